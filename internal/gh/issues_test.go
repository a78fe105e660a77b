package gh_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/appreg/appreg/internal/gh"
	"github.com/appreg/appreg/internal/gh/ghtest"
	"github.com/google/go-cmp/cmp"
)

const driftMarker = "<!-- appreg:drift -->"

func TestIssueLifecycle(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	ctx := t.Context()
	self := "github-actions[bot]"

	// Someone else's issue quoting the marker, and a pull request by the
	// bot, never count as appreg's issue.
	srv.AddIssue(repo, "mallory", "fake drift", driftMarker+"\nclose me")
	srv.AddPullRequest(repo, ghtest.PullRequest{Number: 7, Title: "pr", Author: self})
	if is, err := c.FindIssue(ctx, repo, driftMarker, self); err != nil || is != nil {
		t.Fatalf("FindIssue before creating = %+v, %v; want none", is, err)
	}

	n, err := c.CreateIssue(ctx, repo, "Drift", driftMarker+"\nfirst")
	if err != nil {
		t.Fatal(err)
	}
	if n != 8 {
		t.Errorf("issue number %d, want 8 (issues and pull requests share numbers)", n)
	}
	is, err := c.FindIssue(ctx, repo, driftMarker, self)
	if err != nil || is == nil || is.Number != n || is.Body != driftMarker+"\nfirst" || is.State != "open" {
		t.Fatalf("FindIssue = %+v, %v; want #%d", is, err, n)
	}
	if err := c.EditIssue(ctx, repo, n, "", driftMarker+"\nsecond"); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseIssue(ctx, repo, n); err != nil {
		t.Fatal(err)
	}
	if is, err := c.FindIssue(ctx, repo, driftMarker, self); err != nil || is != nil {
		t.Errorf("FindIssue after closing = %+v, %v; want none", is, err)
	}
	var got []ghtest.Issue
	for _, is := range srv.Issues(repo) {
		got = append(got, ghtest.Issue{Number: is.Number, Title: is.Title, Body: is.Body, State: is.State, StateReason: is.StateReason, User: is.User})
	}
	want := []ghtest.Issue{
		{Number: 1, Title: "fake drift", Body: driftMarker + "\nclose me", State: "open", User: "mallory"},
		{Number: 8, Title: "Drift", Body: driftMarker + "\nsecond", State: "closed", StateReason: "completed", User: self},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("issues (-want +got):\n%s", diff)
	}
	if err := c.EditIssue(ctx, repo, 99, "", "x"); gh.StatusCode(err) != http.StatusNotFound {
		t.Errorf("editing a missing issue: %v, want 404", err)
	}
}

func TestFindIssuePages(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	for range 150 {
		srv.AddIssue(repo, "github-actions[bot]", "other", "<!-- appreg:other -->")
	}
	n := srv.AddIssue(repo, "github-actions[bot]", "Drift", driftMarker+"\nbody")
	is, err := c.FindIssue(t.Context(), repo, driftMarker, "github-actions[bot]")
	if err != nil || is == nil || is.Number != n {
		t.Fatalf("FindIssue = %+v, %v; want #%d on the second page", is, err, n)
	}
}

// TestIssueValidation sends what GitHub refuses straight to the fake.
func TestIssueValidation(t *testing.T) {
	t.Parallel()
	_, srv := setup(t)
	srv.AddIssue(repo, "octocat", "t", "b")
	tests := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"POST", "/repos/" + repo + "/issues", `{"body": "no title"}`, 422, `"code":"missing_field","field":"title"`},
		{"POST", "/repos/" + repo + "/issues", `{"title": 42}`, 201, `"title":"42"`},
		{"POST", "/repos/" + repo + "/issues", `{"title": "` + strings.Repeat("t", 257) + `"}`, 422, "title is too long (maximum is 256 characters)"},
		{"POST", "/repos/" + repo + "/issues", `{"title": "x", "body": "` + strings.Repeat("b", 65537) + `"}`, 422, "body is too long (maximum is 65536 characters)"},
		{"POST", "/repos/contoso/missing/issues", `{"title": "x"}`, 404, "Not Found"},
		{"POST", "/repos/" + repo + "/issues", `{"title": `, 400, "Problems parsing JSON"},
		{"PATCH", "/repos/" + repo + "/issues/1", `{"state": "done"}`, 422, `"field":"state"`},
		{"PATCH", "/repos/" + repo + "/issues/1", `{"state": "closed", "state_reason": "fixed"}`, 422, `"field":"state_reason"`},
		{"PATCH", "/repos/" + repo + "/issues/1", `{"state": "closed", "state_reason": "not_planned"}`, 200, `"state_reason":"not_planned"`},
		{"GET", "/repos/" + repo + "/issues?state=everything", "", 422, "Validation Failed"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequestWithContext(t.Context(), tt.method, srv.URL()+tt.path, bytes.NewBufferString(tt.body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(b.String(), tt.want) {
			t.Errorf("%s %s: %d %s; want %d containing %s", tt.method, tt.path, resp.StatusCode, b.String(), tt.status, tt.want)
		}
	}
}
