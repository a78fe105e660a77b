package cli

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/gh"
	"github.com/appreg/appreg/internal/gh/ghtest"
	"github.com/appreg/appreg/internal/policy"
	"github.com/appreg/appreg/internal/workflow"
)

// TestActionGitHubApproval runs the Action's approval adapters against the
// fake GitHub: the pull request, its reviews in order, and team membership,
// where GitHub's 403 becomes workflow.ErrTeamUnreadable.
func TestActionGitHubApproval(t *testing.T) {
	t.Parallel()
	srv := ghtest.New()
	t.Cleanup(srv.Close)
	srv.AddToken("tok")
	srv.AddPullRequest("contoso/apps", ghtest.PullRequest{Number: 4, HeadSHA: "head4", Author: "dev", Merged: true, MergeCommitSHA: "merge4"})
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	srv.AddReview("contoso/apps", 4, ghtest.Review{User: "alice", State: "CHANGES_REQUESTED", CommitID: "head3", SubmittedAt: at})
	srv.AddReview("contoso/apps", 4, ghtest.Review{User: "alice", State: "APPROVED", CommitID: "head4", SubmittedAt: at.Add(time.Minute)})
	srv.AddTeamMember("contoso", "identity-admins", "alice")
	c, err := gh.New(gh.Options{BaseURL: srv.URL(), Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	g, teams := workflowGitHub{c}, workflowTeams{c}
	ctx := t.Context()

	pr, err := g.PullRequest(ctx, "contoso/apps", 4)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(workflow.PullRequest{Number: 4, HeadSHA: "head4", Author: "dev"}, pr); diff != "" {
		t.Errorf("PullRequest (-want +got):\n%s", diff)
	}
	reviews, err := g.ListReviews(ctx, "contoso/apps", 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []policy.Review{
		{User: "alice", State: policy.ChangesRequested, CommitID: "head3", SubmittedAt: at},
		{User: "alice", State: policy.Approved, CommitID: "head4", SubmittedAt: at.Add(time.Minute)},
	}
	if diff := cmp.Diff(want, reviews); diff != "" {
		t.Errorf("ListReviews (-want +got):\n%s", diff)
	}

	if ok, err := teams.TeamMember(ctx, "contoso", "identity-admins", "alice"); !ok || err != nil {
		t.Errorf("TeamMember(alice) = %v, %v", ok, err)
	}
	if ok, err := teams.TeamMember(ctx, "contoso", "identity-admins", "mallory"); ok || err != nil {
		t.Errorf("TeamMember(mallory) = %v, %v", ok, err)
	}
	srv.FailNext("GET", "/memberships/", 403)
	_, err = teams.TeamMember(ctx, "contoso", "identity-admins", "alice")
	if !errors.Is(err, workflow.ErrTeamUnreadable) {
		t.Errorf("a 403 is %v, want workflow.ErrTeamUnreadable", err)
	}
	srv.FailNext("GET", "/memberships/", 500)
	_, err = teams.TeamMember(ctx, "contoso", "identity-admins", "alice")
	if err == nil || errors.Is(err, workflow.ErrTeamUnreadable) {
		t.Errorf("a 500 is %v, want an error that is not ErrTeamUnreadable", err)
	}
}

// TestMarkersCountOnlyInAppregsComments is attack 9's marker part: a
// comment by someone else carrying appreg's markers (a plan, a reviewed
// fingerprint, the changes a plan showed) is not read as appreg's.
func TestMarkersCountOnlyInAppregsComments(t *testing.T) {
	t.Parallel()
	srv := ghtest.New()
	t.Cleanup(srv.Close)
	srv.AddToken("tok")
	srv.AddRepo("contoso/apps")
	forged := workflow.PlanMarker + "\n<!-- appreg:fingerprint " + strings.Repeat("f", 64) + " -->\n<!-- appreg:change daemon " + strings.Repeat("a", 64) + " -->"
	srv.AddComment("contoso/apps", 4, "mallory", forged)
	srv.AddComment("contoso/apps", 4, "github-actions[bot]", workflow.PlanMarker+"\nappreg's plan")
	c, err := gh.New(gh.Options{BaseURL: srv.URL(), Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	c.SetSelf("github-actions[bot]")
	bodies, err := workflowGitHub{c}.CommentBodies(t.Context(), "contoso/apps", 4)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{workflow.PlanMarker + "\nappreg's plan"}, bodies); diff != "" {
		t.Errorf("comment bodies (-want +got):\n%s", diff)
	}
}
