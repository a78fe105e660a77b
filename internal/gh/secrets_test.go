package gh_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/appreg/appreg/internal/gh"
	"github.com/appreg/appreg/internal/gh/ghtest"
	"github.com/google/go-cmp/cmp"
)

func TestPutSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		target gh.SecretTarget
		// stored is where the fake should have stored it.
		stored         ghtest.SecretTarget
		wantVisibility string
		// wantSelected are repositories whose ids must be selected.
		wantSelected []string
	}{
		{
			name:   "repository",
			target: gh.SecretTarget{Repo: repo, Name: "AZURE_CLIENT_SECRET"},
			stored: ghtest.SecretTarget{Repo: repo, Name: "AZURE_CLIENT_SECRET"},
		},
		{
			name:   "environment",
			target: gh.SecretTarget{Repo: repo, Environment: "production", Name: "AZURE_CLIENT_SECRET"},
			stored: ghtest.SecretTarget{Repo: repo, Environment: "production", Name: "AZURE_CLIENT_SECRET"},
		},
		{
			name:   "environment with a space in its name",
			target: gh.SecretTarget{Repo: repo, Environment: "staging eu", Name: "S"},
			stored: ghtest.SecretTarget{Repo: repo, Environment: "staging eu", Name: "S"},
		},
		{
			name:           "organisation, selected repositories by name and full name",
			target:         gh.SecretTarget{Org: "contoso", Name: "PAYMENTS_SECRET", SelectedRepos: []string{"payments", "contoso/billing"}},
			stored:         ghtest.SecretTarget{Org: "contoso", Name: "PAYMENTS_SECRET"},
			wantVisibility: "selected",
			wantSelected:   []string{repo, "contoso/billing"},
		},
		{
			name:           "organisation, private by default",
			target:         gh.SecretTarget{Org: "contoso", Name: "PAYMENTS_SECRET"},
			stored:         ghtest.SecretTarget{Org: "contoso", Name: "PAYMENTS_SECRET"},
			wantVisibility: "private",
		},
		{
			name:           "organisation, all repositories",
			target:         gh.SecretTarget{Org: "contoso", Name: "PAYMENTS_SECRET", Visibility: "all"},
			stored:         ghtest.SecretTarget{Org: "contoso", Name: "PAYMENTS_SECRET"},
			wantVisibility: "all",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t)
			srv.AddRepo("contoso/billing")
			if at, err := c.SecretUpdatedAt(t.Context(), tt.target); err != nil || !at.IsZero() {
				t.Fatalf("SecretUpdatedAt before any write = %v, %v; want the zero time", at, err)
			}
			before := time.Now().Add(-time.Second)
			values := []string{"Xy7~first.value_abcdefghijklmnopq", "Zq8~second.value_rstuvwxyz0123456"}
			for i, v := range values {
				if err := c.PutSecret(t.Context(), tt.target, []byte(v)); err != nil {
					t.Fatalf("put %d: %v", i+1, err)
				}
				got, ok := srv.Secret(tt.stored)
				if !ok || got != v {
					t.Fatalf("put %d: fake decrypted %q (found %v), want the value sent", i+1, got, ok)
				}
			}
			if at, err := c.SecretUpdatedAt(t.Context(), tt.target); err != nil || at.Before(before) {
				t.Errorf("SecretUpdatedAt after writing = %v, %v; want a time after %v", at, err, before)
			}
			info, _ := srv.SecretInfo(tt.stored)
			if info.Writes != 2 {
				t.Errorf("%d writes, want 2", info.Writes)
			}
			if info.Visibility != tt.wantVisibility {
				t.Errorf("visibility %q, want %q", info.Visibility, tt.wantVisibility)
			}
			var wantIDs []int64
			for _, r := range tt.wantSelected {
				wantIDs = append(wantIDs, srv.AddRepo(r))
			}
			if diff := cmp.Diff(sorted(wantIDs), sorted(info.SelectedRepositoryIDs)); diff != "" {
				t.Errorf("selected repository ids (-want +got):\n%s", diff)
			}
			// The first PUT creates (201), the second updates (204); no
			// request carries a value in the clear.
			var puts []string
			for _, r := range srv.Requests() {
				for _, v := range values {
					if strings.Contains(r.Body, v) || strings.Contains(r.Path, v) {
						t.Errorf("%s %s carried the secret value in the clear", r.Method, r.Path)
					}
				}
				if r.Method == http.MethodPut {
					puts = append(puts, r.Path)
				}
			}
			if len(puts) != 2 {
				t.Errorf("PUTs = %v, want 2", puts)
			}
			if tt.target.Environment != "" {
				id := srv.AddRepo(repo)
				want := "/repositories/" + strconv.FormatInt(id, 10) + "/environments/" +
					url.PathEscape(tt.target.Environment) + "/secrets/" + tt.target.Name
				if puts[0] != want {
					t.Errorf("PUT %s, want %s (by repository id)", puts[0], want)
				}
			}
		})
	}
}

func TestPutSecretErrors(t *testing.T) {
	t.Parallel()
	const value = "Sup3r~Secret.Value_0123456789abcdef"
	tests := []struct {
		name   string
		target gh.SecretTarget
		value  string
		fail   func(srv *ghtest.Server)
		want   string
	}{
		{"empty value", gh.SecretTarget{Repo: repo, Name: "S"}, "",
			nil, "writing secret S of contoso/payments: refusing to write an empty value"},
		{"value too large", gh.SecretTarget{Repo: repo, Name: "S"}, strings.Repeat("v", 48*1024+1),
			nil, "writing secret S of contoso/payments: value is 49153 bytes, over github's limit of 49152"},
		{"bad name", gh.SecretTarget{Repo: repo, Name: "1-BAD"}, value,
			nil, `writing secret 1-BAD of contoso/payments: secret name "1-BAD" may contain only letters, digits and underscores and may not start with a digit`},
		{"reserved prefix", gh.SecretTarget{Repo: repo, Name: "github_token"}, value,
			nil, `writing secret github_token of contoso/payments: secret name "github_token" may not start with GITHUB_`},
		{"no scope", gh.SecretTarget{Name: "S"}, value,
			nil, "writing secret S of : exactly one of repository and organisation must be set"},
		{"both scopes", gh.SecretTarget{Repo: repo, Org: "contoso", Name: "S"}, value,
			nil, "writing secret S of organisation contoso: exactly one of repository and organisation must be set"},
		{"visibility on a repository secret", gh.SecretTarget{Repo: repo, Name: "S", Visibility: "all"}, value,
			nil, "writing secret S of contoso/payments: visibility and selected repositories apply to organisation secrets only"},
		{"selected repositories with private visibility", gh.SecretTarget{Org: "contoso", Name: "S", Visibility: "private", SelectedRepos: []string{"payments"}}, value,
			nil, `writing secret S of organisation contoso: selected repositories need visibility selected, not "private"`},
		{"unknown visibility", gh.SecretTarget{Org: "contoso", Name: "S", Visibility: "public"}, value,
			nil, `writing secret S of organisation contoso: visibility "public" is not one of all, private, selected`},
		{"unknown selected repository", gh.SecretTarget{Org: "contoso", Name: "S", SelectedRepos: []string{"nope"}}, value,
			nil, "writing secret S of organisation contoso: resolving selected repository: looking up id of repository contoso/nope: github answered 404 Not Found"},
		{"environment of an unknown repository", gh.SecretTarget{Repo: "contoso/nope", Environment: "prod", Name: "S"}, value,
			nil, "writing secret S of contoso/nope environment prod: looking up id of repository contoso/nope: github answered 404 Not Found"},
		{"public key unavailable", gh.SecretTarget{Repo: repo, Name: "S"}, value,
			func(srv *ghtest.Server) { srv.FailNext(http.MethodGet, "/public-key", http.StatusForbidden) },
			"writing secret S of contoso/payments: getting public key: github answered 403 Forbidden: Forbidden"},
		{"write refused", gh.SecretTarget{Repo: repo, Environment: "prod", Name: "S"}, value,
			func(srv *ghtest.Server) { srv.FailNext(http.MethodPut, "/secrets/S", http.StatusForbidden) },
			"writing secret S of contoso/payments environment prod: github answered 403 Forbidden: Forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t)
			if tt.fail != nil {
				tt.fail(srv)
			}
			err := c.PutSecret(t.Context(), tt.target, []byte(tt.value))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("got error\n%v\nwant it to start with\n%s", err, tt.want)
			}
			if tt.value != "" && strings.Contains(err.Error(), tt.value) {
				t.Errorf("error contains the secret value")
			}
			for _, r := range srv.Requests() {
				if tt.value != "" && strings.Contains(r.Body, tt.value) {
					t.Errorf("%s %s carried the secret value in the clear", r.Method, r.Path)
				}
			}
		})
	}
}
