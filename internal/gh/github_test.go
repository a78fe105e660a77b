package gh_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/appreg/appreg/internal/gh"
	"github.com/appreg/appreg/internal/gh/ghtest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestSetStatus(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("d", 200)
	tests := []struct {
		name    string
		status  gh.Status
		want    ghtest.Status
		wantErr string
	}{
		{
			name:   "pending with link",
			status: gh.Status{State: gh.StatePending, Context: "appreg/approval", Description: "waiting for identity-admins", TargetURL: "https://example.com/run/1"},
			want:   ghtest.Status{State: "pending", Context: "appreg/approval", Description: "waiting for identity-admins", TargetURL: "https://example.com/run/1"},
		},
		{
			name:   "long description is shortened to 140 characters",
			status: gh.Status{State: gh.StateSuccess, Context: "appreg/plan", Description: long},
			want:   ghtest.Status{State: "success", Context: "appreg/plan", Description: long[:139] + "…"},
		},
		{
			name:   "failure",
			status: gh.Status{State: gh.StateFailure, Context: "appreg/plan"},
			want:   ghtest.Status{State: "failure", Context: "appreg/plan"},
		},
		{
			name:    "unknown state",
			status:  gh.Status{State: "ok", Context: "appreg/plan"},
			wantErr: `setting status "appreg/plan" on contoso/payments@0123456789ab: state "ok" is not one of pending, success, failure, error`,
		},
	}
	const sha = "0123456789abcdef0123456789abcdef01234567"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t)
			err := c.SetStatus(t.Context(), repo, sha, tt.status)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got error %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := srv.Statuses(repo, sha)
			want := []ghtest.Status{tt.want}
			want[0].Creator = "github-actions[bot]"
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(ghtest.Status{}, "ID", "CreatedAt")); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListReviews(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	srv.AddPullRequest(repo, ghtest.PullRequest{Number: 7, HeadSHA: "h2", Author: "carol"})
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var want []gh.Review
	states := []string{gh.ReviewCommented, gh.ReviewChangesRequested, gh.ReviewApproved, gh.ReviewDismissed}
	for i := range 230 {
		r := gh.Review{
			User:        fmt.Sprintf("user%d", i%7),
			State:       states[i%len(states)],
			CommitID:    fmt.Sprintf("h%d", i%3),
			SubmittedAt: base.Add(time.Duration(i) * time.Minute),
		}
		srv.AddReview(repo, 7, ghtest.Review{User: r.User, State: r.State, CommitID: r.CommitID, SubmittedAt: r.SubmittedAt, Body: "lgtm"})
		want = append(want, r)
	}
	got, err := c.ListReviews(t.Context(), repo, 7)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reviews (-want +got):\n%s", diff)
	}

	if _, err := c.ListReviews(t.Context(), repo, 8); err == nil || !strings.HasPrefix(err.Error(), "listing reviews of contoso/payments#8: github answered 404") {
		t.Errorf("missing pull request: got error %v", err)
	}
}

func TestTeamMember(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	srv.AddTeamMember("contoso", "identity-admins", "alice")
	srv.AddTeamMembership("contoso", "identity-admins", "mallory", "maintainer", "active")
	srv.AddTeamMembership("contoso", "identity-admins", "bob", "member", "pending")
	tests := []struct {
		user string
		want bool
	}{
		{"alice", true},
		{"ALICE", true}, // logins are case-insensitive
		{"mallory", true},
		{"bob", false},   // pending invitation
		{"carol", false}, // 404
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			t.Parallel()
			got, err := c.TeamMember(t.Context(), "contoso", "identity-admins", tt.user)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("TeamMember(%s) = %v, want %v", tt.user, got, tt.want)
			}
		})
	}
	t.Run("server error is an error, not a no", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t)
		srv.FailNext(http.MethodGet, "/memberships/alice", http.StatusInternalServerError)
		_, err := c.TeamMember(t.Context(), "contoso", "identity-admins", "alice")
		want := "checking membership of alice in team contoso/identity-admins: github answered 500"
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("got error %v, want %s…", err, want)
		}
	})
}

func TestPullRequests(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	srv.AddPullRequest(repo, ghtest.PullRequest{Number: 12, Title: "Add payments-api", HeadSHA: "head12", HeadRef: "add-payments",
		Author: "alice", Merged: true, MergeCommitSHA: "merge12"})
	srv.AddPullRequest(repo, ghtest.PullRequest{Number: 13, Title: "From a fork", HeadSHA: "head13", HeadRef: "patch-1",
		Author: "mallory", Fork: true})
	srv.AddPullRequest(repo, ghtest.PullRequest{Number: 14, Title: "Same head", HeadSHA: "head12", Author: "bob"})

	pr12 := gh.PullRequest{Number: 12, Title: "Add payments-api", State: "closed", HeadSHA: "head12", HeadRef: "add-payments",
		BaseRef: "main", Author: "alice", Merged: true, MergeCommitSHA: "merge12", HTMLURL: "https://github.com/contoso/payments/pull/12"}
	pr13 := gh.PullRequest{Number: 13, Title: "From a fork", State: "open", HeadSHA: "head13", HeadRef: "patch-1",
		BaseRef: "main", Author: "mallory", FromFork: true, HTMLURL: "https://github.com/contoso/payments/pull/13"}
	pr14 := gh.PullRequest{Number: 14, Title: "Same head", State: "open", HeadSHA: "head12", HeadRef: "pr-14",
		BaseRef: "main", Author: "bob", HTMLURL: "https://github.com/contoso/payments/pull/14"}

	t.Run("get", func(t *testing.T) {
		t.Parallel()
		for _, want := range []gh.PullRequest{pr12, pr13} {
			got, err := c.PullRequest(t.Context(), repo, want.Number)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("PullRequest(%d) (-want +got):\n%s", want.Number, diff)
			}
		}
		if _, err := c.PullRequest(t.Context(), repo, 99); !gh.IsNotFound(err) {
			t.Errorf("PullRequest(99): got %v, want a not-found error", err)
		}
	})
	t.Run("for commit", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			sha  string
			want []gh.PullRequest
		}{
			{"merge12", []gh.PullRequest{pr12}},
			{"head12", []gh.PullRequest{pr14, pr12}},
			{"head13", []gh.PullRequest{pr13}},
			{"unknown", nil},
		}
		for _, tt := range tests {
			got, err := c.PullRequestsForCommit(t.Context(), repo, tt.sha)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PullRequestsForCommit(%s) (-want +got):\n%s", tt.sha, diff)
			}
		}
	})
}

func TestPullRequestFiles(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	var files, want []string
	for i := range 240 {
		f := fmt.Sprintf("registrations/app-%03d.yaml", i)
		files = append(files, f)
		want = append(want, f)
		if i == 150 {
			want = append(want, "registrations/old-name.yaml")
		}
	}
	srv.AddPullRequest(repo, ghtest.PullRequest{Number: 5, HeadSHA: "h", Files: files,
		Renames: map[string]string{"registrations/app-150.yaml": "registrations/old-name.yaml"}})
	got, err := c.PullRequestFiles(t.Context(), repo, 5)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestRepository(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	id := srv.AddRepo("contoso/billing")
	got, err := c.Repository(t.Context(), "contoso/billing")
	if err != nil {
		t.Fatal(err)
	}
	want := gh.Repository{ID: id, FullName: "contoso/billing", DefaultBranch: "main", Private: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Repository (-want +got):\n%s", diff)
	}
	if _, err := c.RepoID(t.Context(), "contoso/gone"); err == nil || !strings.HasPrefix(err.Error(), "looking up id of repository contoso/gone: github answered 404") {
		t.Errorf("RepoID of a missing repository: got %v", err)
	}
}

func TestBadCredentials(t *testing.T) {
	t.Parallel()
	srv := ghtest.New()
	t.Cleanup(srv.Close)
	srv.AddRepo(repo)
	c, err := gh.New(gh.Options{BaseURL: srv.URL(), Token: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateComment(t.Context(), repo, 1, "hi")
	want := "creating comment on contoso/payments#1: github answered 401 Unauthorized: Bad credentials"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v, want %s…", err, want)
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		failures []ghtest.Failure
		// wantErr is a prefix of the error; empty means success after retries.
		wantErr string
	}{
		{
			name:     "primary limit that has reset is retried",
			failures: []ghtest.Failure{ghtest.PrimaryRateLimit(time.Now().Add(-time.Second))},
		},
		{
			name:     "secondary limit is retried after Retry-After",
			failures: []ghtest.Failure{ghtest.SecondaryRateLimit(0), ghtest.SecondaryRateLimit(0)},
		},
		{
			name:     "429 with Retry-After is retried",
			failures: []ghtest.Failure{{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"0"}}}},
		},
		{
			name: "retries are bounded",
			failures: []ghtest.Failure{
				ghtest.SecondaryRateLimit(0), ghtest.SecondaryRateLimit(0), ghtest.SecondaryRateLimit(0), ghtest.SecondaryRateLimit(0),
			},
			wantErr: "creating comment on contoso/payments#1: github answered 403 Forbidden: You have exceeded a secondary rate limit.",
		},
		{
			name:     "a reset too far away fails at once",
			failures: []ghtest.Failure{ghtest.PrimaryRateLimit(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))},
			wantErr: "creating comment on contoso/payments#1: github answered 403 Forbidden: API rate limit exceeded for installation ID 1. " +
				"(rate limited until 2099-01-01T00:00:00Z)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t)
			for _, f := range tt.failures {
				srv.FailNextWith(http.MethodPost, "/comments", f)
			}
			start := time.Now()
			_, err := c.CreateComment(t.Context(), repo, 1, "hi")
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("took %s", elapsed)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("got error\n%v\nwant it to start with\n%s", err, tt.wantErr)
				}
				var ae *gh.APIError
				if !errors.As(err, &ae) || !ae.RateLimited {
					t.Errorf("want a rate-limited *APIError, got %#v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := len(srv.Comments(repo, 1)); n != 1 {
				t.Errorf("%d comments after retries, want exactly 1", n)
			}
		})
	}
}

func TestRateLimitWaitRespectsContext(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	srv.FailNextWith(http.MethodPost, "/comments", ghtest.SecondaryRateLimit(3))
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.CreateComment(ctx, repo, 1, "hi")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "waiting 3s for the github rate limit") {
		t.Errorf("error %q does not say what it was waiting for", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("took %s after the context ended", elapsed)
	}
}

func TestGHESPrefix(t *testing.T) {
	t.Parallel()
	c, srv := setup(t, ghtest.WithPrefix("/api/v3"))
	if !strings.HasSuffix(srv.URL(), "/api/v3") {
		t.Fatalf("URL() = %s", srv.URL())
	}
	if _, err := c.UpsertStickyComment(t.Context(), repo, 2, marker, []string{"plan"}); err != nil {
		t.Fatal(err)
	}
	if err := c.PutSecret(t.Context(), gh.SecretTarget{Repo: repo, Environment: "prod", Name: "X"}, []byte("v4lue")); err != nil {
		t.Fatal(err)
	}
	for _, r := range srv.Requests() {
		if !strings.HasPrefix(r.Path, "/api/v3/") {
			t.Errorf("%s %s is outside /api/v3", r.Method, r.Path)
		}
	}
	// Without the prefix the same server answers 404.
	bare, err := gh.New(gh.Options{BaseURL: strings.TrimSuffix(srv.URL(), "/api/v3"), Token: token})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.RepoID(t.Context(), repo); !gh.IsNotFound(err) {
		t.Errorf("request without the prefix: got %v, want 404", err)
	}
}

func TestNewInstallation(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "/api/v3"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			t.Parallel()
			srv := ghtest.New(ghtest.WithPrefix(prefix))
			t.Cleanup(srv.Close)
			srv.AddRepo(repo)
			pem := srv.AddAppKey(42)
			c, err := gh.NewInstallation(gh.Options{BaseURL: srv.URL()}, 42, 7, pem)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				if _, err := c.CreateComment(t.Context(), repo, 1, fmt.Sprint(i)); err != nil {
					t.Fatal(err)
				}
			}
			if got := srv.Comments(repo, 1); len(got) != 3 || got[0].User != "app-42[bot]" {
				t.Errorf("comments = %+v, want 3 by app-42[bot]", got)
			}
			var tokenRequests []string
			for _, r := range srv.Requests() {
				if strings.Contains(r.Path, "/access_tokens") {
					tokenRequests = append(tokenRequests, r.Method+" "+r.Path)
				} else if !strings.HasPrefix(r.Authorization, "token ghs_") {
					t.Errorf("%s %s authorised with %q, want an installation token", r.Method, r.Path, r.Authorization)
				}
			}
			want := []string{"POST " + prefix + "/app/installations/7/access_tokens"}
			if diff := cmp.Diff(want, tokenRequests); diff != "" {
				t.Errorf("token requests (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("unknown key", func(t *testing.T) {
		t.Parallel()
		srv := ghtest.New()
		t.Cleanup(srv.Close)
		srv.AddRepo(repo)
		srv.AddAppKey(42)
		other := ghtest.New()
		defer other.Close()
		pem := other.AddAppKey(42) // a key the first server does not know
		c, err := gh.NewInstallation(gh.Options{BaseURL: srv.URL()}, 42, 7, pem)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.CreateComment(t.Context(), repo, 1, "hi")
		want := "creating comment on contoso/payments#1: getting a token for github app installation 7: " +
			"github answered 401 Unauthorized: A JSON web token could not be decoded (request id "
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("got error\n%v\nwant it to start with\n%s", err, want)
		}
		if got := gh.StatusCode(err); got != http.StatusUnauthorized {
			t.Errorf("StatusCode = %d, want 401", got)
		}
	})
	t.Run("bad key", func(t *testing.T) {
		t.Parallel()
		_, err := gh.NewInstallation(gh.Options{}, 42, 7, []byte("not a key"))
		if err == nil || !strings.HasPrefix(err.Error(), "creating github app 42 installation 7 transport: ") {
			t.Errorf("got %v", err)
		}
	})
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"api.github.com", "ftp://x/", "://"} {
		if _, err := gh.New(gh.Options{BaseURL: u}); err == nil {
			t.Errorf("New(BaseURL %q) succeeded", u)
		}
	}
	if _, err := gh.New(gh.Options{}); err != nil {
		t.Errorf("New with defaults: %v", err)
	}
}

// sorted returns a sorted copy, for comparing id sets.
func sorted(s []int64) []int64 {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
