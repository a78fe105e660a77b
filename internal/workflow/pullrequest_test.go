package workflow_test

import (
	"errors"
	"github.com/appreg/appreg/internal/apply/applytest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/policy"
	"github.com/appreg/appreg/internal/workflow"
	"github.com/appreg/appreg/internal/workflow/workflowtest"
)

const (
	approvalSettings = `apiVersion: appreg/v1
tenantId: 8d3d5a53-6c2c-4a6c-9b0e-4f5a2b1c9d7e
namePrefix: contoso-
registrations: registrations
policy:
  reviewers:
    identity-admins: {teams: [contoso/identity-admins], users: [lead]}
  require: {application-permission: identity-admins, admin-consent: identity-admins}
`
	daemonYAML = `apiVersion: appreg/v1
name: daemon
displayName: Daemon
permissions:
  - api: microsoft-graph
    application: [User.Read.All]
    adminConsent: true
`
)

// approvalRepo writes a configuration with a policy, one registration that
// needs approval (daemon) and one that does not (reports), and returns its
// folder.
func approvalRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, "appreg.yaml", approvalSettings)
	write(t, dir, "registrations/daemon.yaml", daemonYAML)
	write(t, dir, "registrations/reports.yaml", "apiVersion: appreg/v1\nname: reports\ndisplayName: Reports\n")
	return dir
}

func write(t *testing.T, dir, path, content string) {
	t.Helper()
	path = filepath.Join(dir, path)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pullEvent is a pull_request event about #7 of contoso/apps, by dev.
func pullEvent(action string, fork bool) workflow.Event {
	return workflow.Event{Name: "pull_request", Action: action, Repo: "contoso/apps", SHA: "headsha", DefaultBranch: "main",
		PullRequest: &workflow.PullRequest{Number: 7, HeadSHA: "headsha", Author: "dev", Fork: fork, BaseRef: "main"}}
}

// reviewEvent is alice's approval of #7.
func reviewEvent(action string, fork bool) workflow.Event {
	e := pullEvent(action, fork)
	e.Name, e.Reviewer, e.ReviewState = "pull_request_review", "alice", "approved"
	return e
}

// pushEvent is a push of pushedsha to ref.
func pushEvent(ref string, deleted bool) workflow.Event {
	return workflow.Event{Name: "push", Repo: "contoso/apps", SHA: "pushedsha", Ref: ref, DefaultBranch: "main", Deleted: deleted}
}

// runEvent runs command for ev against the fakes, with the files of dir,
// and returns the report's log as text: notes, "warning: " notes and
// diagnostics, a line each.
func runEvent(t *testing.T, dir, command string, ev workflow.Event, gh *workflowtest.GitHub, tenant workflow.Graph) (string, *workflow.Report, error) {
	t.Helper()
	rep, err := workflow.Run(t.Context(), deps(gh, tenant, dir, nil), command, ev)
	return logText(rep), rep, err
}

// planned plans pull request number at head, as the run on its last push
// did: its plan comment shows the changes reviewers approve.
func planned(t *testing.T, dir string, gh *workflowtest.GitHub, number int, head string) {
	t.Helper()
	ev := pullEvent("synchronize", false)
	ev.PullRequest.Number, ev.PullRequest.HeadSHA, ev.SHA = number, head, head
	if _, _, err := runEvent(t, dir, workflow.CommandAuto, ev, gh, &applytest.Tenant{}); err != nil {
		t.Fatalf("planning #%d: %v", number, err)
	}
}

// deps are the ports over the fakes; pushes are of the default branch's
// head (pushedsha) unless the test says otherwise.
func deps(gh *workflowtest.GitHub, tenant workflow.Graph, dir string, bases map[string]string) workflow.Deps {
	if gh.Heads == nil {
		gh.Heads = map[string]string{"contoso/apps main": "pushedsha"}
	}
	return gh.Deps(tenant, dir, bases)
}

func logText(rep *workflow.Report) string {
	var b strings.Builder
	for _, e := range rep.Log {
		switch {
		case len(e.Diagnostics) > 0:
			for _, d := range e.Diagnostics {
				b.WriteString(d.String() + "\n")
			}
		case e.Group != "":
		case e.Level == workflow.Warning:
			b.WriteString("warning: " + e.Text + "\n")
		default:
			b.WriteString(e.Text + "\n")
		}
	}
	return b.String()
}

func TestApprovalStatusOnPullRequest(t *testing.T) {
	const needs = "pending: needs 1 more approval from identity-admins (contoso/identity-admins, lead)"
	member := map[string]bool{"contoso/identity-admins alice": true, "contoso/identity-admins carol": true}
	tests := []struct {
		name       string
		ev         workflow.Event
		reviews    []policy.Review
		unreadable bool
		want       string
		comment    []string // in the plan comment
	}{
		{"opened, no reviews", pullEvent("opened", false), nil, false, needs,
			[]string{"#### Approval", "| **identity-admins** | 1 of contoso/identity-admins, lead | daemon (application-permission, admin-consent) | — | ⏳ needs 1 more approval |"}},
		{"a member approves the head", reviewEvent("submitted", false),
			[]policy.Review{{User: "alice", State: "APPROVED", CommitID: "headsha"}}, false, "success: approved by alice (identity-admins)",
			[]string{"| alice | ✅ approved |"}},
		{"the author's approval does not count", reviewEvent("submitted", false),
			[]policy.Review{{User: "dev", State: "APPROVED", CommitID: "headsha"}}, false, needs, nil},
		{"an approval of an earlier commit", pullEvent("synchronize", false),
			[]policy.Review{{User: "alice", State: "APPROVED", CommitID: "oldsha"}}, false, needs,
			[]string{"approved an earlier commit: alice", "a push after an approval needs a new one"}},
		{"a dismissed approval", reviewEvent("dismissed", false),
			[]policy.Review{{User: "alice", State: "DISMISSED", CommitID: "headsha"}}, false, needs, nil},
		{"changes requested by a member", reviewEvent("submitted", false),
			[]policy.Review{{User: "alice", State: "APPROVED", CommitID: "headsha"}, {User: "carol", State: "CHANGES_REQUESTED", CommitID: "headsha"}}, false,
			"failure: changes requested by carol (identity-admins)", []string{"❌ changes requested by carol"}},
		{"teams unreadable: a member does not count", reviewEvent("edited", false),
			[]policy.Review{{User: "alice", State: "APPROVED", CommitID: "headsha"}}, true, needs,
			[]string{"could not be read with the action's token"}},
		{"teams unreadable: a listed user counts", reviewEvent("submitted", false),
			[]policy.Review{{User: "lead", State: "APPROVED", CommitID: "headsha"}}, true, "success: approved by lead (identity-admins)", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := approvalRepo(t)
			gh := &workflowtest.GitHub{Reviews: map[int][]policy.Review{7: tt.reviews}, Members: member, Unreadable: tt.unreadable}
			out, _, err := runEvent(t, dir, workflow.CommandAuto, tt.ev, gh, &applytest.Tenant{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tt.want}, gh.StatusesOf(workflow.ApprovalContext)); diff != "" {
				t.Errorf("appreg/approval statuses (-want +got):\n%s", diff)
			}
			var plans int
			for _, s := range gh.Statuses {
				if s.Context == workflow.StatusContext {
					plans++
				}
			}
			if review := tt.ev.Name == "pull_request_review"; review != (plans == 0) {
				t.Errorf("%d appreg/plan statuses on a %s event", plans, tt.ev.Name)
			}
			if len(gh.Sticky) != 1 {
				t.Fatalf("sticky = %q, want one plan comment", gh.Sticky)
			}
			for _, want := range tt.comment {
				if !strings.Contains(gh.Sticky[0], want) {
					t.Errorf("the plan comment does not say %q:\n%s", want, gh.Sticky[0])
				}
			}
			// A listed user's approval needs no lookup, so nothing is found unreadable.
			if tt.unreadable && tt.want == needs && !strings.Contains(out, "warning: Could not read the membership of contoso/identity-admins") {
				t.Errorf("no warning about unreadable teams in %q", out)
			}
		})
	}
}

func TestNoApprovalRequired(t *testing.T) {
	dir := approvalRepo(t)
	write(t, dir, "registrations/daemon.yaml", "apiVersion: appreg/v1\nname: daemon\ndisplayName: Daemon\n")
	gh := &workflowtest.GitHub{}
	if _, _, err := runEvent(t, dir, workflow.CommandAuto, pullEvent("opened", false), gh, &applytest.Tenant{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"success: no approval required"}, gh.StatusesOf(workflow.ApprovalContext)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if len(gh.Sticky) != 1 || !strings.Contains(gh.Sticky[0], "No change in this plan needs approval") {
		t.Errorf("sticky = %q", gh.Sticky)
	}
}

func TestApprovalReviewsUnreadable(t *testing.T) {
	dir := approvalRepo(t)
	gh := &workflowtest.GitHub{ReviewsErr: errors.New("github answered 403 Forbidden")}
	out, _, err := runEvent(t, dir, workflow.CommandAuto, pullEvent("opened", false), gh, &applytest.Tenant{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"error: could not read the pull request's reviews"}, gh.StatusesOf(workflow.ApprovalContext)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if !strings.Contains(out, "Could not read the reviews of pull request #7 (does the workflow grant pull-requests: read?)") {
		t.Errorf("no warning in %q", out)
	}
}

func TestReviewOnForkSetsNoStatus(t *testing.T) {
	dir := approvalRepo(t)
	gh := &workflowtest.GitHub{}
	out, _, err := runEvent(t, dir, workflow.CommandAuto, reviewEvent("submitted", true), gh, &applytest.Tenant{})
	if err != nil {
		t.Fatal(err)
	}
	if len(gh.Statuses)+len(gh.Sticky) > 0 {
		t.Errorf("a review on a fork pull request wrote to GitHub: %+v", gh)
	}
	if !strings.Contains(out, "comes from a fork: it is not planned") || !strings.Contains(out, "sets no appreg/approval status") {
		t.Errorf("output %q does not say why", out)
	}
}

func TestReviewRouting(t *testing.T) {
	dir := approvalRepo(t)
	gh := &workflowtest.GitHub{}
	out, _, err := runEvent(t, dir, workflow.CommandAuto, reviewEvent("requested", false), gh, &applytest.Tenant{})
	if err != nil || !strings.Contains(out, `Nothing to do for pull_request_review "requested"`) {
		t.Errorf("out = %q, err = %v", out, err)
	}
	_, _, err = runEvent(t, dir, workflow.CommandApply, reviewEvent("submitted", false), gh, &applytest.Tenant{})
	if err == nil || !strings.Contains(err.Error(), "command apply refuses to run on pull_request_review events") {
		t.Errorf("apply on a review event: %v", err)
	}
}

func TestApplyGate(t *testing.T) {
	approved := []policy.Review{{User: "alice", State: "APPROVED", CommitID: "last"}}
	tests := []struct {
		name      string
		merged    map[string]int
		lookupErr error
		reviews   []policy.Review
		applied   []string
		refused   string // the reason, in the result comment or summary
	}{
		{"approved", map[string]int{"pushedsha": 12}, nil, approved, []string{"contoso-daemon", "contoso-reports"}, ""},
		{"not approved", map[string]int{"pushedsha": 12}, nil, nil, []string{"contoso-reports"},
			"not approved on pull request #12 (last commit last): needs 1 more approval from identity-admins (contoso/identity-admins, lead)"},
		{"approved an earlier commit", map[string]int{"pushedsha": 12}, nil, []policy.Review{{User: "alice", State: "APPROVED", CommitID: "first"}}, []string{"contoso-reports"},
			"not approved on pull request #12"},
		{"approved by the author", map[string]int{"pushedsha": 12}, nil, []policy.Review{{User: "dev", State: "APPROVED", CommitID: "last"}}, []string{"contoso-reports"},
			"not approved on pull request #12"},
		{"a direct push", nil, nil, nil, []string{"contoso-reports"},
			"no reviewed pull request (a direct push): application-permission and admin-consent changes need 1 approval from identity-admins (contoso/identity-admins, lead)"},
		{"the lookup fails", nil, errors.New("github answered 502"), approved, []string{"contoso-reports"},
			"no reviewed pull request (looking up the pull request merged as pusheds failed)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := approvalRepo(t)
			gh := &workflowtest.GitHub{
				Merged: tt.merged, LookupErr: tt.lookupErr,
				Pulls:   map[int]workflow.PullRequest{12: {Number: 12, HeadSHA: "last", Author: "dev"}},
				Reviews: map[int][]policy.Review{12: tt.reviews},
				Members: map[string]bool{"contoso/identity-admins alice": true},
			}
			tenant := &applytest.Tenant{}
			planned(t, dir, gh, 12, "last")
			out, rep, err := runEvent(t, dir, workflow.CommandAuto, pushEvent("refs/heads/main", false), gh, tenant)
			if err != nil {
				t.Fatalf("a refusal failed the step: %v", err)
			}
			written := tenant.Written()
			slices.Sort(written)
			if diff := cmp.Diff(tt.applied, written); diff != "" {
				t.Errorf("applied (-want +got):\n%s", diff)
			}
			granted := tenant.Index("grant ") >= 0
			if want := slices.Contains(tt.applied, "contoso-daemon"); granted != want {
				t.Errorf("consent granted = %v (%q), want %v", granted, tenant.Calls(), want)
			}
			if tt.refused == "" {
				if strings.Contains(out, "Not applied (refused)") || len(gh.Created) > 0 && strings.Contains(gh.Created[0], "Refused (not applied)") {
					t.Errorf("output mentions a refusal: %q", out)
				}
				return
			}
			if !strings.Contains(out, "warning: Not applied (refused): daemon.") {
				t.Errorf("no warning in %q", out)
			}
			where := strings.Join(rep.Summary, "\n")
			if len(gh.Created) > 0 {
				where = gh.Created[0]
			}
			if !strings.Contains(where, "Refused (not applied)") || !strings.Contains(where, tt.refused) {
				t.Errorf("the result does not give the reason %q:\n%s", tt.refused, where)
			}
		})
	}
}

func TestApplyGateAsksOncePerUserAndTeam(t *testing.T) {
	dir := approvalRepo(t)
	write(t, dir, "registrations/daemon2.yaml", strings.ReplaceAll(daemonYAML, "daemon", "daemon2"))
	write(t, dir, "registrations/daemon3.yaml", strings.ReplaceAll(daemonYAML, "daemon", "daemon3"))
	gh := &workflowtest.GitHub{
		Merged: map[string]int{"pushedsha": 12},
		Pulls:  map[int]workflow.PullRequest{12: {Number: 12, HeadSHA: "last", Author: "dev"}},
		Reviews: map[int][]policy.Review{12: {
			{User: "mallory", State: "APPROVED", CommitID: "last"},
			{User: "alice", State: "APPROVED", CommitID: "last"},
		}},
		Members: map[string]bool{"contoso/identity-admins alice": true},
	}
	tenant := &applytest.Tenant{}
	planned(t, dir, gh, 12, "last")
	gh.Asked = nil
	if _, _, err := runEvent(t, dir, workflow.CommandAuto, pushEvent("refs/heads/main", false), gh, tenant); err != nil {
		t.Fatal(err)
	}
	if written := tenant.Written(); len(written) != 4 {
		t.Errorf("written = %v, want all four", written)
	}
	if diff := cmp.Diff([]string{"contoso/identity-admins mallory", "contoso/identity-admins alice"}, gh.Asked); diff != "" {
		t.Errorf("team lookups (-want +got):\n%s", diff)
	}
}
