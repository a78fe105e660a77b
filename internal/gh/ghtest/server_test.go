package ghtest_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appreg/appreg/internal/gh/ghtest"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/nacl/box"
)

const (
	repo  = "contoso/payments"
	token = "ghp_test"
)

func newServer(t *testing.T, opts ...ghtest.Option) *ghtest.Server {
	t.Helper()
	srv := ghtest.New(opts...)
	t.Cleanup(srv.Close)
	srv.AddToken(token)
	srv.AddRepo(repo)
	return srv
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("response %d is not JSON: %v\n%s", r.status, err, r.body)
	}
	return v
}

// do sends a request with the test token (auth "" omits it).
func do(t *testing.T, srv *ghtest.Server, auth, method, path string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func fixture(t *testing.T, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// shapeDiff lists where got lacks a key of want or has a different JSON type.
// A null in want matches anything; arrays compare their first elements.
func shapeDiff(path string, want, got any) []string {
	if want == nil {
		return nil
	}
	if got == nil {
		return []string{fmt.Sprintf("%s: null, want %T", path, want)}
	}
	if reflect.TypeOf(want) != reflect.TypeOf(got) {
		return []string{fmt.Sprintf("%s: %T, want %T", path, got, want)}
	}
	var out []string
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			out = append(out, shapeDiff(path+"."+k, wv, gv)...)
		}
	case []any:
		g := got.([]any)
		if len(w) > 0 && len(g) > 0 {
			out = append(out, shapeDiff(path+"[0]", w[0], g[0])...)
		}
	}
	slices.Sort(out)
	return out
}

func TestResponsesMatchFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		seed         func(t *testing.T, srv *ghtest.Server)
		method, path string
		body         any
		wantStatus   int
		fixture      string
		// sameValues are keys whose values must equal the fixture's too.
		sameValues []string
	}{
		{name: "repository public key", method: "GET", path: "/repos/contoso/payments/actions/secrets/public-key",
			wantStatus: 200, fixture: "actions-secrets-public-key.response.json"},
		{name: "environment public key", method: "GET", path: "/repositories/1001/environments/prod/secrets/public-key",
			wantStatus: 200, fixture: "actions-secrets-public-key.response.json"},
		{name: "organisation public key", method: "GET", path: "/orgs/contoso/actions/secrets/public-key",
			wantStatus: 200, fixture: "actions-secrets-public-key.response.json"},
		{name: "get secret", seed: putRepoSecret("GH_TOKEN"), method: "GET", path: "/repos/contoso/payments/actions/secrets/GH_TOKEN",
			wantStatus: 200, fixture: "actions-secrets-get.response.json", sameValues: []string{"name"}},
		{name: "list secrets", seed: putRepoSecret("GH_TOKEN", "GIST_ID"), method: "GET", path: "/repos/contoso/payments/actions/secrets",
			wantStatus: 200, fixture: "actions-secrets-list.response.json", sameValues: []string{"total_count"}},
		{name: "create status (docs example)", method: "POST", path: "/repos/contoso/payments/statuses/6dcb09b5b57875f334f61aebed695e2e4193db5e",
			body: fixture(t, "repos-create-commit-status.request.json"), wantStatus: 201,
			fixture: "repos-create-commit-status.response.json", sameValues: []string{"context", "state"}},
		{name: "create status (recorded)", method: "POST", path: "/repos/contoso/payments/statuses/0000000000000000000000000000000000000001",
			body: fixture(t, "repos-create-commit-status.recorded.request.json"), wantStatus: 201,
			fixture: "repos-create-commit-status.recorded.response.json", sameValues: []string{"state", "description", "target_url", "context"}},
		{name: "list reviews", seed: func(t *testing.T, srv *ghtest.Server) {
			srv.AddPullRequest(repo, ghtest.PullRequest{Number: 12, HeadSHA: "abc"})
			srv.AddReview(repo, 12, ghtest.Review{User: "octocat", State: "APPROVED", CommitID: "abc", Body: "Here is the body for the review."})
		}, method: "GET", path: "/repos/contoso/payments/pulls/12/reviews", wantStatus: 200, fixture: "pulls-list-reviews.response.json"},
		{name: "active membership", seed: func(t *testing.T, srv *ghtest.Server) { srv.AddTeamMember("contoso", "admins", "octocat") },
			method: "GET", path: "/orgs/contoso/teams/admins/memberships/octocat", wantStatus: 200,
			fixture: "teams-get-membership.active.response.json", sameValues: []string{"role", "state"}},
		{name: "pending membership", seed: func(t *testing.T, srv *ghtest.Server) {
			srv.AddTeamMembership("contoso", "admins", "octocat", "member", "pending")
		}, method: "GET", path: "/orgs/contoso/teams/admins/memberships/octocat", wantStatus: 200,
			fixture: "teams-get-membership.pending.response.json", sameValues: []string{"role", "state"}},
		{name: "maintainer membership", seed: func(t *testing.T, srv *ghtest.Server) {
			srv.AddTeamMembership("contoso", "admins", "octocat", "maintainer", "active")
		}, method: "GET", path: "/orgs/contoso/teams/admins/memberships/octocat", wantStatus: 200,
			fixture: "teams-get-membership.maintainer.response.json", sameValues: []string{"role", "state"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			if tt.seed != nil {
				tt.seed(t, srv)
			}
			resp := do(t, srv, "Bearer "+token, tt.method, tt.path, tt.body)
			if resp.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.status, tt.wantStatus, resp.body)
			}
			if ct := resp.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			want, got := fixture(t, tt.fixture), resp.json(t)
			if diff := shapeDiff("$", want, got); len(diff) > 0 {
				t.Errorf("response differs in shape from %s:\n%s", tt.fixture, strings.Join(diff, "\n"))
			}
			for _, k := range tt.sameValues {
				w, g := want.(map[string]any)[k], got.(map[string]any)[k]
				if !reflect.DeepEqual(w, g) {
					t.Errorf("%s = %v, want %v", k, g, w)
				}
			}
		})
	}
}

// seal encrypts value for the public key in a public-key response.
func seal(t *testing.T, pk response, value string) (keyID, encrypted string) {
	t.Helper()
	var k struct {
		KeyID string `json:"key_id"`
		Key   string `json:"key"`
	}
	if err := json.Unmarshal(pk.body, &k); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(k.Key)
	if err != nil || len(raw) != 32 {
		t.Fatalf("key %q is not 32 base64 bytes", k.Key)
	}
	var key [32]byte
	copy(key[:], raw)
	sealed, err := box.SealAnonymous(nil, []byte(value), &key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k.KeyID, base64.StdEncoding.EncodeToString(sealed)
}

func putRepoSecret(names ...string) func(t *testing.T, srv *ghtest.Server) {
	return func(t *testing.T, srv *ghtest.Server) {
		for _, n := range names {
			pk := do(t, srv, "Bearer "+token, "GET", "/repos/contoso/payments/actions/secrets/public-key", nil)
			id, enc := seal(t, pk, "value of "+n)
			if r := do(t, srv, "Bearer "+token, "PUT", "/repos/contoso/payments/actions/secrets/"+n,
				map[string]string{"key_id": id, "encrypted_value": enc}); r.status != 201 {
				t.Fatalf("PUT %s: %d %s", n, r.status, r.body)
			}
		}
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	billing := srv.AddRepo("contoso/billing")
	auth := "Bearer " + token

	// The request fixture's own values cannot be opened with the server's key.
	put := fixture(t, "actions-secrets-put.request.json").(map[string]any)
	if r := do(t, srv, auth, "PUT", "/repos/contoso/payments/actions/secrets/GH_TOKEN", put); r.status != 422 {
		t.Errorf("PUT with the fixture's foreign key id: %d, want 422", r.status)
	}

	// Same keys, real values: 201, then 204.
	pk := do(t, srv, auth, "GET", "/repos/contoso/payments/actions/secrets/public-key", nil)
	for i, want := range []int{201, 204} {
		id, enc := seal(t, pk, fmt.Sprintf("value %d", i))
		body := map[string]any{}
		for k := range put {
			body[k] = map[string]string{"key_id": id, "encrypted_value": enc}[k]
		}
		if r := do(t, srv, auth, "PUT", "/repos/contoso/payments/actions/secrets/gh_token", body); r.status != want {
			t.Errorf("PUT %d: %d %s, want %d", i+1, r.status, r.body, want)
		}
	}
	if v, ok := srv.Secret(ghtest.SecretTarget{Repo: repo, Name: "GH_TOKEN"}); !ok || v != "value 1" {
		t.Errorf("Secret = %q, %v; want the last value (names are case-insensitive)", v, ok)
	}

	// A sealed box for another key is refused.
	otherPub, _, _ := box.GenerateKey(rand.Reader)
	sealed, _ := box.SealAnonymous(nil, []byte("x"), otherPub, rand.Reader)
	id, _ := seal(t, pk, "x")
	r := do(t, srv, auth, "PUT", "/repos/contoso/payments/actions/secrets/OTHER",
		map[string]string{"key_id": id, "encrypted_value": base64.StdEncoding.EncodeToString(sealed)})
	if r.status != 422 {
		t.Errorf("PUT sealed for another key: %d, want 422", r.status)
	}

	// Names GitHub refuses.
	for _, name := range []string{"GITHUB_X", "1ABC"} {
		id, enc := seal(t, pk, "x")
		if r := do(t, srv, auth, "PUT", "/repos/contoso/payments/actions/secrets/"+name,
			map[string]string{"key_id": id, "encrypted_value": enc}); r.status != 422 {
			t.Errorf("PUT %s: %d, want 422", name, r.status)
		}
	}

	// Organisation secrets need a visibility and record selected repositories.
	opk := do(t, srv, auth, "GET", "/orgs/contoso/actions/secrets/public-key", nil)
	id, enc := seal(t, opk, "org value")
	if r := do(t, srv, auth, "PUT", "/orgs/contoso/actions/secrets/ORG_S",
		map[string]any{"key_id": id, "encrypted_value": enc}); r.status != 422 {
		t.Errorf("org PUT without visibility: %d, want 422", r.status)
	}
	if r := do(t, srv, auth, "PUT", "/orgs/contoso/actions/secrets/ORG_S",
		map[string]any{"key_id": id, "encrypted_value": enc, "visibility": "selected", "selected_repository_ids": []int64{billing}}); r.status != 201 {
		t.Errorf("org PUT: %d %s", r.status, r.body)
	}
	info, ok := srv.SecretInfo(ghtest.SecretTarget{Org: "contoso", Name: "ORG_S"})
	if !ok || info.Value != "org value" || info.Visibility != "selected" || !slices.Equal(info.SelectedRepositoryIDs, []int64{billing}) {
		t.Errorf("SecretInfo = %+v", info)
	}

	// Environment secrets are addressed by repository id.
	epk := do(t, srv, auth, "GET", fmt.Sprintf("/repositories/%d/environments/prod/secrets/public-key", billing), nil)
	id, enc = seal(t, epk, "env value")
	if r := do(t, srv, auth, "PUT", fmt.Sprintf("/repositories/%d/environments/prod/secrets/E", billing),
		map[string]any{"key_id": id, "encrypted_value": enc}); r.status != 201 {
		t.Errorf("environment PUT: %d %s", r.status, r.body)
	}
	if v, _ := srv.Secret(ghtest.SecretTarget{Repo: "contoso/billing", Environment: "prod", Name: "E"}); v != "env value" {
		t.Errorf("environment secret = %q", v)
	}
	if r := do(t, srv, auth, "GET", "/repositories/999999/environments/prod/secrets/public-key", nil); r.status != 404 {
		t.Errorf("unknown repository id: %d, want 404", r.status)
	}

	// Deleting.
	if r := do(t, srv, auth, "DELETE", fmt.Sprintf("/repositories/%d/environments/prod/secrets/E", billing), nil); r.status != 204 {
		t.Errorf("DELETE: %d", r.status)
	}
	if _, ok := srv.Secret(ghtest.SecretTarget{Repo: "contoso/billing", Environment: "prod", Name: "E"}); ok {
		t.Errorf("secret still there after DELETE")
	}
}

func TestComments(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	auth := "token " + token

	r := do(t, srv, auth, "POST", "/repos/contoso/payments/issues/12/comments", map[string]string{"body": "hello"})
	if r.status != 201 || r.header.Get("Location") == "" {
		t.Fatalf("create: %d %s (Location %q)", r.status, r.body, r.header.Get("Location"))
	}
	c := r.json(t).(map[string]any)
	if c["body"] != "hello" || c["user"].(map[string]any)["login"] != "github-actions[bot]" || c["user"].(map[string]any)["type"] != "Bot" {
		t.Errorf("created comment = %v", c)
	}
	id := int64(c["id"].(float64))

	tooLong := strings.Repeat("é", 65537)
	r = do(t, srv, auth, "POST", "/repos/contoso/payments/issues/12/comments", map[string]string{"body": tooLong})
	want := map[string]any{
		"message": "Validation Failed",
		"errors": []any{map[string]any{"resource": "IssueComment", "code": "unprocessable", "field": "data",
			"message": "Body is too long (maximum is 65536 characters)"}},
		"documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
		"status":            "422",
	}
	if diff := cmp.Diff(want, r.json(t)); r.status != 422 || diff != "" {
		t.Errorf("too long: %d (-want +got):\n%s", r.status, diff)
	}
	if r := do(t, srv, auth, "POST", "/repos/contoso/payments/issues/12/comments", map[string]string{}); r.status != 422 {
		t.Errorf("missing body: %d, want 422", r.status)
	}
	if r := do(t, srv, auth, "POST", "/repos/contoso/payments/issues/12/comments", "{not json"); r.status != 400 {
		t.Errorf("malformed JSON: %d, want 400", r.status)
	}
	if r := do(t, srv, auth, "POST", "/repos/contoso/nope/issues/12/comments", map[string]string{"body": "x"}); r.status != 404 {
		t.Errorf("unknown repository: %d, want 404", r.status)
	}

	path := fmt.Sprintf("/repos/contoso/payments/issues/comments/%d", id)
	if r := do(t, srv, auth, "PATCH", path, map[string]string{"body": tooLong}); r.status != 422 {
		t.Errorf("edit too long: %d, want 422", r.status)
	}
	if r := do(t, srv, auth, "PATCH", path, map[string]string{"body": "edited"}); r.status != 200 {
		t.Errorf("edit: %d", r.status)
	}
	if got := srv.Comments(repo, 12); len(got) != 1 || got[0].Body != "edited" {
		t.Errorf("Comments = %+v", got)
	}
	if r := do(t, srv, auth, "DELETE", path, nil); r.status != 204 {
		t.Errorf("delete: %d", r.status)
	}
	if r := do(t, srv, auth, "DELETE", path, nil); r.status != 404 {
		t.Errorf("second delete: %d, want 404", r.status)
	}
}

// links parses a Link header into rel → page.
func links(t *testing.T, h string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if h == "" {
		return out
	}
	for _, part := range strings.Split(h, ",") {
		u, rel, ok := strings.Cut(strings.TrimSpace(part), ">; rel=")
		if !ok {
			t.Fatalf("bad Link part %q", part)
		}
		u = strings.TrimPrefix(u, "<")
		if !strings.HasPrefix(u, "http://") {
			t.Errorf("Link URL %q is not absolute", u)
		}
		_, q, _ := strings.Cut(u, "?")
		out[strings.Trim(rel, `"`)] = q
	}
	return out
}

func TestPaging(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for i := range 250 {
		srv.AddComment(repo, 1, "alice", fmt.Sprint(i))
	}
	tests := []struct {
		query     string
		wantFirst string
		wantN     int
		wantLinks map[string]string
	}{
		{"", "0", 30, map[string]string{"next": "page=2&per_page=30", "last": "page=9&per_page=30"}},
		{"?per_page=100", "0", 100, map[string]string{"next": "page=2&per_page=100", "last": "page=3&per_page=100"}},
		{"?per_page=100&page=2", "100", 100, map[string]string{
			"prev": "page=1&per_page=100", "next": "page=3&per_page=100", "last": "page=3&per_page=100", "first": "page=1&per_page=100"}},
		{"?per_page=100&page=3", "200", 50, map[string]string{"prev": "page=2&per_page=100", "first": "page=1&per_page=100"}},
		{"?per_page=500", "0", 100, map[string]string{"next": "page=2&per_page=100", "last": "page=3&per_page=100"}},
		{"?per_page=100&page=9", "", 0, map[string]string{"prev": "page=8&per_page=100", "first": "page=1&per_page=100"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			r := do(t, srv, "Bearer "+token, "GET", "/repos/contoso/payments/issues/1/comments"+tt.query, nil)
			items := r.json(t).([]any)
			if len(items) != tt.wantN {
				t.Fatalf("%d items, want %d", len(items), tt.wantN)
			}
			if tt.wantN > 0 && items[0].(map[string]any)["body"] != tt.wantFirst {
				t.Errorf("first item %v, want %s", items[0].(map[string]any)["body"], tt.wantFirst)
			}
			if diff := cmp.Diff(tt.wantLinks, links(t, r.header.Get("Link"))); diff != "" {
				t.Errorf("Link (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAuthorization(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tests := []struct {
		auth string
		want int
	}{
		{"Bearer " + token, 200},
		{"token " + token, 200},
		{"", 401},
		{"Bearer nope", 401},
		{"Basic " + token, 401},
	}
	for _, tt := range tests {
		r := do(t, srv, tt.auth, "GET", "/repos/contoso/payments", nil)
		if r.status != tt.want {
			t.Errorf("Authorization %q: %d, want %d", tt.auth, r.status, tt.want)
		}
		if tt.want == 401 && r.json(t).(map[string]any)["message"] != "Bad credentials" {
			t.Errorf("401 body %s", r.body)
		}
	}
	var logged []string
	for _, r := range srv.Requests() {
		logged = append(logged, r.Authorization)
	}
	if len(logged) != len(tests) {
		t.Errorf("logged %d requests, want %d (rejected ones too)", len(logged), len(tests))
	}
}

// appJWT builds an RS256 GitHub App JWT.
func appJWT(t *testing.T, key *rsa.PrivateKey, alg string, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(map[string]string{"alg": alg, "typ": "JWT"}) + "." + enc(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestInstallationTokens(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ghtest.WithPrefix("/api/v3"))
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	srv.AddApp(42, &key.PublicKey)
	now := time.Now().Unix()
	tests := []struct {
		name string
		jwt  string
		want int
	}{
		{"valid, string issuer", appJWT(t, key, "RS256", map[string]any{"iss": "42", "iat": now - 30, "exp": now + 90}), 201},
		{"valid, numeric issuer", appJWT(t, key, "RS256", map[string]any{"iss": 42, "iat": now - 30, "exp": now + 90}), 201},
		{"expired", appJWT(t, key, "RS256", map[string]any{"iss": "42", "iat": now - 700, "exp": now - 100}), 401},
		{"longer than ten minutes", appJWT(t, key, "RS256", map[string]any{"iss": "42", "iat": now, "exp": now + 1200}), 401},
		{"unknown app", appJWT(t, key, "RS256", map[string]any{"iss": "43", "iat": now, "exp": now + 60}), 401},
		{"signed by another key", appJWT(t, other, "RS256", map[string]any{"iss": "42", "iat": now, "exp": now + 60}), 401},
		{"wrong algorithm", appJWT(t, key, "HS256", map[string]any{"iss": "42", "iat": now, "exp": now + 60}), 401},
		{"garbage", "a.b.c", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := do(t, srv, "Bearer "+tt.jwt, "POST", "/app/installations/7/access_tokens", nil)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			if tt.want != 201 {
				return
			}
			var tok struct {
				Token     string    `json:"token"`
				ExpiresAt time.Time `json:"expires_at"`
			}
			if err := json.Unmarshal(r.body, &tok); err != nil || !strings.HasPrefix(tok.Token, "ghs_") {
				t.Fatalf("token response %s", r.body)
			}
			if d := time.Until(tok.ExpiresAt); d < 55*time.Minute || d > time.Hour {
				t.Errorf("expires in %s, want about an hour", d)
			}
			if r := do(t, srv, "token "+tok.Token, "GET", "/repos/contoso/payments", nil); r.status != 200 {
				t.Errorf("installation token not accepted: %d", r.status)
			}
			// The app JWT itself does not authorise repository requests.
			if r := do(t, srv, "Bearer "+tt.jwt, "GET", "/repos/contoso/payments", nil); r.status != 401 {
				t.Errorf("app JWT accepted for a repository request: %d", r.status)
			}
		})
	}
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.FailNext("GET", "/repos/contoso/payments", 503)
	srv.FailNextWith("", "/repos/", ghtest.SecondaryRateLimit(7))
	r := do(t, srv, "Bearer "+token, "GET", "/repos/contoso/payments", nil)
	if r.status != 503 || r.json(t).(map[string]any)["message"] != "Service Unavailable" {
		t.Errorf("first: %d %s", r.status, r.body)
	}
	r = do(t, srv, "Bearer "+token, "GET", "/repos/contoso/payments", nil)
	if r.status != 403 || r.header.Get("Retry-After") != "7" ||
		!strings.HasSuffix(r.json(t).(map[string]any)["documentation_url"].(string), "secondary-rate-limits") {
		t.Errorf("second: %d %v %s", r.status, r.header, r.body)
	}
	if r := do(t, srv, "Bearer "+token, "GET", "/repos/contoso/payments", nil); r.status != 200 {
		t.Errorf("third: %d, want the failures used up", r.status)
	}
}

func TestStatusValidation(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	path := "/repos/contoso/payments/statuses/abc"
	tests := []struct {
		body any
		want int
	}{
		{map[string]string{"state": "success"}, 201},
		{map[string]string{"state": "ok"}, 422},
		{map[string]string{"state": "success", "description": strings.Repeat("d", 141)}, 422},
		{map[string]string{"state": "success", "description": strings.Repeat("d", 140)}, 201},
	}
	for _, tt := range tests {
		if r := do(t, srv, "Bearer "+token, "POST", path, tt.body); r.status != tt.want {
			t.Errorf("%v: %d, want %d: %s", tt.body, r.status, tt.want, r.body)
		}
	}
	got := srv.Statuses(repo, "abc")
	if len(got) != 2 || got[0].Context != "default" {
		t.Errorf("Statuses = %+v", got)
	}
	r := do(t, srv, "Bearer "+token, "GET", "/repos/contoso/payments/commits/abc/statuses", nil)
	if items := r.json(t).([]any); len(items) != 2 || items[0].(map[string]any)["id"].(float64) != float64(got[1].ID) {
		t.Errorf("list is not newest first: %s", r.body)
	}
}

func TestConcurrentRequests(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			do(t, srv, "Bearer "+token, "POST", "/repos/contoso/payments/issues/1/comments", map[string]string{"body": fmt.Sprint(i)})
			do(t, srv, "Bearer "+token, "POST", "/repos/contoso/payments/statuses/s", map[string]string{"state": "pending"})
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for _, c := range srv.Comments(repo, 1) {
		seen[c.ID] = true
	}
	if len(seen) != 40 || len(srv.Statuses(repo, "s")) != 40 || len(srv.Requests()) != 80 {
		t.Errorf("%d distinct comments, %d statuses, %d requests; want 40, 40, 80", len(seen), len(srv.Statuses(repo, "s")), len(srv.Requests()))
	}
}

func TestShapeDiff(t *testing.T) {
	t.Parallel()
	want := map[string]any{"a": "s", "b": 1.0, "n": nil, "l": []any{map[string]any{"x": true}}}
	got := map[string]any{"a": 2.0, "n": "anything", "l": []any{map[string]any{}}, "extra": 1.0}
	diff := shapeDiff("$", want, got)
	wantDiff := []string{"$.a: float64, want string", "$.b: missing", "$.l[0].x: missing"}
	if !slices.Equal(diff, wantDiff) {
		t.Errorf("shapeDiff = %q, want %q", diff, wantDiff)
	}
}
