package workflow_test

import (
	"context"
	"errors"
	"github.com/appreg/appreg/internal/apply/applytest"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/workflow"
	"github.com/appreg/appreg/internal/workflow/workflowtest"
)

// TestParseEvent decodes GitHub's real payloads (see
// cmd/appreg/testdata/events/SOURCES.md) into the typed event.
func TestParseEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, name string
		want       workflow.Event
	}{
		{"pull_request.opened.json", "pull_request", workflow.Event{
			Name: "pull_request", Action: "opened", Repo: "contoso/app-registrations", DefaultBranch: "master",
			SHA: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", Sender: "Codertocat",
			PullRequest: &workflow.PullRequest{Number: 2, HeadSHA: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
				BaseSHA: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", Author: "Codertocat", BaseRef: "master"},
		}},
		{"pull_request_review.submitted.json", "pull_request_review", workflow.Event{
			Name: "pull_request_review", Action: "submitted", Repo: "contoso/app-registrations", DefaultBranch: "master",
			SHA: "b7a1f9c27caa4e03c14a88feb56e2d4f7500aa63", Reviewer: "baxterthehacker", ReviewState: "approved", Sender: "baxterthehacker",
			PullRequest: &workflow.PullRequest{Number: 8, HeadSHA: "b7a1f9c27caa4e03c14a88feb56e2d4f7500aa63",
				BaseSHA: "9049f1265b7d61be4a8904a9a27120d2064dab3b", Author: "skalnik", BaseRef: "master"},
		}},
		{"push.json", "push", workflow.Event{
			Name: "push", Repo: "contoso/app-registrations", DefaultBranch: "master", Ref: "refs/heads/master",
			SHA: "a21683865c088b5fe1906cf6552d15a285a4986d", Before: "8357af6fef17bd180014e419f049944cb491238f", Sender: "ailisp",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile("../../cmd/appreg/testdata/events/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := workflow.ParseEvent(tt.name, body)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
	body, err := os.ReadFile("../../cmd/appreg/testdata/events/pull_request.opened-fork.json")
	if err != nil {
		t.Fatal(err)
	}
	if e, err := workflow.ParseEvent("pull_request", body); err != nil || !e.PullRequest.Fork {
		t.Errorf("the fork's pull request: %+v, %v", e.PullRequest, err)
	}
	if _, err := workflow.ParseEvent("push", []byte("{")); err == nil || !strings.Contains(err.Error(), "parsing the push payload") {
		t.Errorf("a truncated payload: %v", err)
	}
}

func TestRoute(t *testing.T) {
	t.Parallel()
	merged := pullEvent("closed", false)
	merged.PullRequest.Merged = true
	noBranch := pushEvent("refs/heads/main", false)
	noBranch.DefaultBranch = ""
	tests := []struct {
		name string
		ev   workflow.Event
		use  string
		why  string // or the error
	}{
		{"opened", pullEvent("opened", false), workflow.UsePlan, ""},
		{"synchronize", pullEvent("synchronize", false), workflow.UsePlan, ""},
		{"review", reviewEvent("dismissed", false), workflow.UseReview, ""},
		{"push to main", pushEvent("refs/heads/main", false), workflow.UseApply, ""},
		{"closed unmerged", pullEvent("closed", false), workflow.UseNone, "closed without merging"},
		{"closed merged", merged, workflow.UseNone, "was merged: the push to main applies it"},
		{"labeled", pullEvent("labeled", false), workflow.UseNone, `Nothing to do for pull_request "labeled"`},
		{"review requested", reviewEvent("requested", false), workflow.UseNone, `Nothing to do for pull_request_review "requested"`},
		{"push to another branch", pushEvent("refs/heads/feature", false), workflow.UseNone, "not to the default branch main"},
		{"tag push", pushEvent("refs/tags/v1", false), workflow.UseNone, "not to the default branch main"},
		{"branch deleted", pushEvent("refs/heads/main", true), workflow.UseNone, "was deleted"},
		{"no default branch", noBranch, "", "names no default branch"},
		{"no pull request", workflow.Event{Name: "pull_request"}, "", "has no pull_request"},
		{"schedule", workflow.Event{Name: "schedule"}, "", "set the command input"},
		{"no event", workflow.Event{}, "", "GITHUB_EVENT_NAME is not set"},
		{"issues", workflow.Event{Name: "issues"}, "", "does not handle issues events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			use, why, err := workflow.Route(tt.ev)
			if err != nil {
				why = err.Error()
			}
			if use != tt.use || !strings.Contains(why, tt.why) {
				t.Errorf("Route = %q, %q; want %q, %q", use, why, tt.use, tt.why)
			}
		})
	}
}

// graphCounter is a tenant that counts the runs that asked for it.
type graphCounter struct {
	calls int
	err   error
}

func (g *graphCounter) deps(gh *workflowtest.GitHub, dir string) workflow.Deps {
	d := deps(gh, &applytest.Tenant{}, dir, nil)
	inner := d.Graph
	d.Graph = func(ctx context.Context) (workflow.Graph, error) {
		g.calls++
		if g.err != nil {
			return nil, g.err
		}
		return inner(ctx)
	}
	return d
}

func TestNothingToDoTouchesNothing(t *testing.T) {
	t.Parallel()
	dir := approvalRepo(t)
	for _, ev := range []workflow.Event{pullEvent("closed", false), pushEvent("refs/heads/feature", false), pushEvent("refs/heads/main", true)} {
		gh := &workflowtest.GitHub{}
		g := &graphCounter{}
		rep, err := workflow.Run(t.Context(), g.deps(gh, dir), workflow.CommandAuto, ev)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logText(rep), "Nothing to do") {
			t.Errorf("%s %s: the log does not say why: %q", ev.Name, ev.Action, logText(rep))
		}
		if g.calls > 0 || len(gh.Sticky)+len(gh.Created)+len(gh.Statuses) > 0 {
			t.Errorf("%s %s touched Graph (%d) or GitHub (%+v)", ev.Name, ev.Action, g.calls, gh)
		}
	}
}

func TestForkIsValidatedNotPlanned(t *testing.T) {
	t.Parallel()
	dir := approvalRepo(t)
	write(t, dir, "registrations/bad.yaml", "apiVersion: appreg/v1\nname: bad\ndisplayName: Bad\nweb: {redirectUris: [http://example.com/cb]}\n")
	gh := &workflowtest.GitHub{StickyErr: errors.New("403 Resource not accessible by integration")}
	g := &graphCounter{}
	rep, err := workflow.Run(t.Context(), g.deps(gh, dir), workflow.CommandAuto, pullEvent("opened", true))
	var invalid *workflow.InvalidFilesError
	if !errors.As(err, &invalid) || invalid.Errors != 1 {
		t.Fatalf("err = %v, want the invalid file", err)
	}
	if g.calls > 0 || len(gh.Statuses) > 0 {
		t.Errorf("a fork pull request built Graph (%d) or set statuses %+v", g.calls, gh.Statuses)
	}
	text := logText(rep)
	for _, want := range []string{"registrations/bad.yaml:4:", "warning: Could not comment on the pull request from a fork", "comes from a fork: not planned"} {
		if !strings.Contains(text, want) {
			t.Errorf("the log does not say %q:\n%s", want, text)
		}
	}
	if len(rep.Summary) != 1 || !strings.Contains(rep.Summary[0], "Not planned: this pull request comes from a fork") || !strings.Contains(rep.Summary[0], "1 error") {
		t.Errorf("summary = %q", rep.Summary)
	}
}

func TestPlanFailureIsCommentedAndRedacted(t *testing.T) {
	t.Parallel()
	dir := approvalRepo(t)
	gh := &workflowtest.GitHub{}
	g := &graphCounter{err: errors.New("token endpoint said no to s3cret")}
	d := g.deps(gh, dir)
	d.Redact = func(s string) string { return strings.ReplaceAll(s, "s3cret", "***") }
	d.Graph = func(ctx context.Context) (workflow.Graph, error) { return nil, g.err }
	_, err := workflow.PlanPullRequest(t.Context(), d, pullEvent("synchronize", false))
	if err == nil || !strings.Contains(err.Error(), "planning: connecting to Microsoft Graph: token endpoint said no") {
		t.Fatalf("err = %v", err)
	}
	if len(gh.Sticky) != 1 || !strings.Contains(gh.Sticky[0], "The plan failed") || strings.Contains(gh.Sticky[0], "s3cret") {
		t.Fatalf("sticky = %q, want the failure, redacted", gh.Sticky)
	}
	var got []string
	for _, s := range gh.Statuses {
		got = append(got, s.State+" "+s.Context)
	}
	if diff := cmp.Diff([]string{"pending appreg/plan", "error appreg/plan", "error appreg/approval"}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestInvalidFilesOnPullRequestAndMerge(t *testing.T) {
	t.Parallel()
	dir := approvalRepo(t)
	write(t, dir, "registrations/bad.yaml", "apiVersion: appreg/v1\nname: bad\ndisplayName: Bad\nweb: {redirectUris: [http://example.com/cb]}\n")
	gh := &workflowtest.GitHub{Merged: map[string]int{"pushedsha": 12}}
	g := &graphCounter{}
	if _, err := workflow.Run(t.Context(), g.deps(gh, dir), workflow.CommandAuto, pullEvent("opened", false)); err == nil {
		t.Fatal("no error for invalid files")
	}
	want := []workflow.Status{
		{State: workflow.StatePending, Context: workflow.StatusContext, Description: "Planning…"},
		{State: workflow.StateFailure, Context: workflow.StatusContext, Description: "1 error in the registration files"},
		{State: workflow.StateError, Context: workflow.ApprovalContext, Description: "not evaluated: the registration files have errors"},
	}
	if diff := cmp.Diff(want, gh.Statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if len(gh.Sticky) != 1 || !strings.Contains(gh.Sticky[0], "1 error.** Nothing was planned") {
		t.Errorf("sticky = %q", gh.Sticky)
	}
	if _, err := workflow.ApplyMerge(t.Context(), g.deps(gh, dir), pushEvent("refs/heads/main", false)); err == nil {
		t.Fatal("no error for invalid files")
	}
	if len(gh.Created) != 1 || !strings.Contains(gh.Created[0], "Nothing was applied") || g.calls > 0 {
		t.Errorf("created = %q, graph built %d times", gh.Created, g.calls)
	}
}

func TestApplyFailures(t *testing.T) {
	t.Parallel()
	dir := approvalRepo(t)
	gh := &workflowtest.GitHub{LookupErr: errors.New("500 from GitHub")}
	g := &graphCounter{err: errors.New("graph down")}
	rep, err := workflow.ApplyMerge(t.Context(), g.deps(gh, dir), pushEvent("refs/heads/main", false))
	if g.calls != 1 || err == nil || !strings.Contains(err.Error(), "applying: connecting to Microsoft Graph: graph down") {
		t.Errorf("graph built %d times, err = %v", g.calls, err)
	}
	if !strings.Contains(logText(rep), "warning: Could not find the pull request merged as pusheds,") {
		t.Errorf("no warning in %q", logText(rep))
	}

	gh = &workflowtest.GitHub{Merged: map[string]int{"pushedsha": 12}}
	if _, err := workflow.ApplyMerge(t.Context(), g.deps(gh, dir), pushEvent("refs/heads/main", false)); err == nil {
		t.Fatal("no error")
	}
	if len(gh.Created) != 1 || !strings.HasPrefix(gh.Created[0], "contoso/apps#12 <!-- appreg:apply -->\n") || !strings.Contains(gh.Created[0], "graph down") {
		t.Errorf("created = %q, want the failure on #12", gh.Created)
	}

	tenant := &applytest.Tenant{Fail: map[string]bool{"upsert contoso-reports": true}}
	gh = &workflowtest.GitHub{}
	_, err = workflow.ApplyMerge(t.Context(), deps(gh, tenant, dir, nil), pushEvent("refs/heads/main", false))
	if err == nil || !strings.Contains(err.Error(), "the apply failed for 1 registration") {
		t.Errorf("err = %v", err)
	}
}

func TestValidateAndRotateCommands(t *testing.T) {
	t.Parallel()
	dir := approvalRepo(t)
	gh := &workflowtest.GitHub{}
	g := &graphCounter{}
	ev := workflow.Event{Name: "workflow_dispatch", Repo: "contoso/apps", SHA: "abc1234567"}
	rep, err := workflow.Run(t.Context(), g.deps(gh, dir), workflow.CommandValidate, ev)
	if err != nil || !strings.Contains(logText(rep), "2 registrations valid (appreg.yaml).") || g.calls > 0 {
		t.Errorf("validate: %v, %q, graph built %d times", err, logText(rep), g.calls)
	}
	if _, err := workflow.Run(t.Context(), g.deps(gh, dir), workflow.CommandRotate, ev); !errors.Is(err, workflow.ErrNoDelivery) {
		t.Errorf("rotate without a rotator: %v", err)
	}
	if _, err := workflow.Run(t.Context(), g.deps(gh, dir), "destroy", ev); err == nil || !strings.Contains(err.Error(), `command "destroy"`) {
		t.Errorf("an unknown command: %v", err)
	}
	write(t, dir, "registrations/bad.yaml", "apiVersion: appreg/v1\nname: bad\n")
	for _, cmd := range []string{workflow.CommandValidate, workflow.CommandRotate} {
		rep, err := workflow.Run(t.Context(), g.deps(gh, dir), cmd, ev)
		if err == nil || len(rep.Summary) != 1 || !strings.Contains(rep.Summary[0], "The registration files have 1 error") {
			t.Errorf("%s with an invalid file: %v, %q", cmd, err, rep.Summary)
		}
	}
	if len(gh.Sticky)+len(gh.Statuses) > 0 {
		t.Errorf("commands outside pull requests wrote to GitHub: %+v", gh)
	}
}
