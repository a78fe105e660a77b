package action

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/catalog"
	"github.com/appreg/appreg/internal/policy"
	"github.com/appreg/appreg/internal/workflow"
)

// fakeTenant is an empty Entra tenant that records the applications
// written and the app roles granted.
type fakeTenant struct {
	mu      sync.Mutex
	written []string
	granted []string
}

func (f *fakeTenant) ReadManaged(context.Context, string, []string, map[string]bool) (*appreg.Set, error) {
	return &appreg.Set{}, nil
}

func (f *fakeTenant) Catalogs(_ context.Context, ids []string) (map[string]*catalog.Catalog, error) {
	out := map[string]*catalog.Catalog{}
	for _, id := range ids {
		if strings.EqualFold(id, appreg.MicrosoftGraphAppID) {
			out[strings.ToLower(id)] = catalog.Graph()
		}
	}
	return out, nil
}

func (f *fakeTenant) ResolveOwners(_ context.Context, owners []appreg.Owner) ([]appreg.Owner, error) {
	return owners, nil
}

func (f *fakeTenant) Self(context.Context) (appreg.Owner, error) {
	return appreg.Owner{Ref: "sp:appreg", Kind: appreg.OwnerServicePrincipal, ID: "self"}, nil
}

func (f *fakeTenant) UpsertApplication(_ context.Context, want, _ *appreg.Registration, _ []appreg.ResourceAccess) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.written = append(f.written, want.Name)
	return "obj-" + want.Name, "app-" + want.Name, nil
}

func (f *fakeTenant) DisableFirst(context.Context, *appreg.Registration, []string) error { return nil }

func (f *fakeTenant) UpsertServicePrincipal(_ context.Context, appID string, _, _ *appreg.ServicePrincipal) (string, error) {
	return "sp-" + appID, nil
}

func (f *fakeTenant) DeleteApplication(context.Context, string) error         { return nil }
func (f *fakeTenant) AddOwner(context.Context, string, appreg.Owner) error    { return nil }
func (f *fakeTenant) RemoveOwner(context.Context, string, appreg.Owner) error { return nil }
func (f *fakeTenant) UpsertFederatedCredential(context.Context, string, appreg.FederatedCredential) error {
	return nil
}
func (f *fakeTenant) DeleteFederatedCredential(context.Context, string, string) error { return nil }

func (f *fakeTenant) GrantAppRole(_ context.Context, sp, _, role string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.granted = append(f.granted, sp+" "+role)
	return nil
}

func (f *fakeTenant) RevokeAppRole(context.Context, string, string, string) error { return nil }
func (f *fakeTenant) SetDelegatedConsent(context.Context, string, string, []string, []string) error {
	return nil
}

// fakeReviews is GitHub's pull requests, reviews and teams for approval;
// it records every team lookup.
type fakeReviews struct {
	pulls      map[int]workflow.PullRequest
	reviews    map[int][]policy.Review
	members    map[string]bool // "org/slug user"
	unreadable bool            // every team answers 403
	reviewsErr error
	asked      []string
}

func (f *fakeReviews) PullRequest(_ context.Context, _ string, n int) (workflow.PullRequest, error) {
	p, ok := f.pulls[n]
	if !ok {
		return workflow.PullRequest{}, fmt.Errorf("github answered 404 Not Found")
	}
	return p, nil
}

func (f *fakeReviews) ListReviews(_ context.Context, _ string, n int) ([]policy.Review, error) {
	if f.reviewsErr != nil {
		return nil, f.reviewsErr
	}
	return f.reviews[n], nil
}

func (f *fakeReviews) TeamMember(_ context.Context, org, slug, user string) (bool, error) {
	f.asked = append(f.asked, org+"/"+slug+" "+user)
	if f.unreadable {
		return false, fmt.Errorf("%w: github answered 403 Forbidden", workflow.ErrTeamUnreadable)
	}
	return f.members[org+"/"+slug+" "+user], nil
}

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
// needs approval (daemon) and one that does not (reports).
func approvalRepo(t *testing.T) {
	t.Helper()
	t.Chdir(t.TempDir())
	write(t, "appreg.yaml", approvalSettings)
	write(t, "registrations/daemon.yaml", daemonYAML)
	write(t, "registrations/reports.yaml", "apiVersion: appreg/v1\nname: reports\ndisplayName: Reports\n")
}

func reviewPayload(action string, fork bool) map[string]any {
	p := pullPayload("opened", fork, false)
	p["action"] = action
	p["pull_request"].(map[string]any)["user"] = map[string]any{"login": "dev"}
	p["review"] = map[string]any{"user": map[string]any{"login": "alice"}, "state": "approved"}
	return p
}

// runApproval runs the Action against the fake tenant and GitHub.
func runApproval(t *testing.T, e env, gh *fakeGitHub, rv *fakeReviews, tenant *fakeTenant) (string, error) {
	t.Helper()
	e["GITHUB_REPOSITORY"] = "contoso/apps"
	o, err := Parse(e.get)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err = Run(t.Context(), o, Deps{Deps: workflow.Deps{
		Graph:    func(context.Context) (workflow.Graph, error) { return tenant, nil },
		Comments: gh, Statuses: gh, PullRequests: gh, Reviews: rv, Teams: rv, }, Stdout: &out,
	})
	return out.String(), err
}

func approvalStatuses(gh *fakeGitHub) []string {
	var out []string
	for _, s := range gh.statuses {
		if s.Context == workflow.ApprovalContext {
			out = append(out, s.State+": "+s.Description)
		}
	}
	return out
}

func TestApprovalStatusOnPullRequest(t *testing.T) {
	const needs = "pending: needs 1 more approval from identity-admins (contoso/identity-admins, lead)"
	member := map[string]bool{"contoso/identity-admins alice": true, "contoso/identity-admins carol": true}
	tests := []struct {
		name       string
		event      string
		body       map[string]any
		reviews    []policy.Review
		unreadable bool
		want       string
		comment    []string // in the plan comment
	}{
		{"opened, no reviews", "pull_request", pullPayload("opened", false, false), nil, false, needs,
			[]string{"#### Approval", "| **identity-admins** | 1 of contoso/identity-admins, lead | daemon (application-permission, admin-consent) | — | ⏳ needs 1 more approval |"}},
		{"a member approves the head", "pull_request_review", reviewPayload("submitted", false),
			[]policy.Review{{User: "alice", State: "APPROVED", CommitID: "headsha"}}, false, "success: approved by alice (identity-admins)",
			[]string{"| alice | ✅ approved |"}},
		{"the author's approval does not count", "pull_request_review", reviewPayload("submitted", false),
			[]policy.Review{{User: "dev", State: "APPROVED", CommitID: "headsha"}}, false, needs, nil},
		{"an approval of an earlier commit", "pull_request", pullPayload("synchronize", false, false),
			[]policy.Review{{User: "alice", State: "APPROVED", CommitID: "oldsha"}}, false, needs,
			[]string{"approved an earlier commit: alice", "a push after an approval needs a new one"}},
		{"a dismissed approval", "pull_request_review", reviewPayload("dismissed", false),
			[]policy.Review{{User: "alice", State: "DISMISSED", CommitID: "headsha"}}, false, needs, nil},
		{"changes requested by a member", "pull_request_review", reviewPayload("submitted", false),
			[]policy.Review{{User: "alice", State: "APPROVED", CommitID: "headsha"}, {User: "carol", State: "CHANGES_REQUESTED", CommitID: "headsha"}}, false,
			"failure: changes requested by carol (identity-admins)", []string{"❌ changes requested by carol"}},
		{"teams unreadable: a member does not count", "pull_request_review", reviewPayload("edited", false),
			[]policy.Review{{User: "alice", State: "APPROVED", CommitID: "headsha"}}, true, needs,
			[]string{"could not be read with the action's token"}},
		{"teams unreadable: a listed user counts", "pull_request_review", reviewPayload("submitted", false),
			[]policy.Review{{User: "lead", State: "APPROVED", CommitID: "headsha"}}, true, "success: approved by lead (identity-admins)", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			approvalRepo(t)
			gh := &fakeGitHub{}
			rv := &fakeReviews{reviews: map[int][]policy.Review{7: tt.reviews}, members: member, unreadable: tt.unreadable}
			out, err := runApproval(t, env{"GITHUB_EVENT_NAME": tt.event, "GITHUB_EVENT_PATH": payload(t, tt.body)}, gh, rv, &fakeTenant{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tt.want}, approvalStatuses(gh)); diff != "" {
				t.Errorf("appreg/approval statuses (-want +got):\n%s", diff)
			}
			var plans int
			for _, s := range gh.statuses {
				if s.Context == workflow.StatusContext {
					plans++
				}
			}
			if review := tt.event == "pull_request_review"; review != (plans == 0) {
				t.Errorf("%d appreg/plan statuses on a %s event", plans, tt.event)
			}
			if len(gh.sticky) != 1 {
				t.Fatalf("sticky = %q, want one plan comment", gh.sticky)
			}
			for _, want := range tt.comment {
				if !strings.Contains(gh.sticky[0], want) {
					t.Errorf("the plan comment does not say %q:\n%s", want, gh.sticky[0])
				}
			}
			// A listed user's approval needs no lookup, so nothing is found unreadable.
			if tt.unreadable && tt.want == needs && !strings.Contains(out, "::warning title=appreg::Could not read the membership of contoso/identity-admins") {
				t.Errorf("no warning about unreadable teams in %q", out)
			}
		})
	}
}

func TestNoApprovalRequired(t *testing.T) {
	approvalRepo(t)
	write(t, "registrations/daemon.yaml", "apiVersion: appreg/v1\nname: daemon\ndisplayName: Daemon\n")
	gh := &fakeGitHub{}
	rv := &fakeReviews{}
	if _, err := runApproval(t, env{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": payload(t, pullPayload("opened", false, false))}, gh, rv, &fakeTenant{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"success: no approval required"}, approvalStatuses(gh)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if len(gh.sticky) != 1 || !strings.Contains(gh.sticky[0], "No change in this plan needs approval") {
		t.Errorf("sticky = %q", gh.sticky)
	}
}

func TestApprovalReviewsUnreadable(t *testing.T) {
	approvalRepo(t)
	gh := &fakeGitHub{}
	rv := &fakeReviews{reviewsErr: errors.New("github answered 403 Forbidden")}
	out, err := runApproval(t, env{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": payload(t, pullPayload("opened", false, false))}, gh, rv, &fakeTenant{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"error: could not read the pull request's reviews"}, approvalStatuses(gh)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if !strings.Contains(out, "Could not read the reviews of pull request #7 (does the workflow grant pull-requests: read?)") {
		t.Errorf("no warning in %q", out)
	}
}

func TestReviewOnForkSetsNoStatus(t *testing.T) {
	approvalRepo(t)
	gh := &fakeGitHub{}
	tenant := &fakeTenant{}
	out, err := runApproval(t, env{"GITHUB_EVENT_NAME": "pull_request_review", "GITHUB_EVENT_PATH": payload(t, reviewPayload("submitted", true))}, gh, &fakeReviews{}, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if len(gh.statuses)+len(gh.sticky) > 0 {
		t.Errorf("a review on a fork pull request wrote to GitHub: %+v", gh)
	}
	if !strings.Contains(out, "comes from a fork: it is not planned") || !strings.Contains(out, "sets no appreg/approval status") {
		t.Errorf("output %q does not say why", out)
	}
}

func TestReviewRouting(t *testing.T) {
	approvalRepo(t)
	gh := &fakeGitHub{}
	out, err := runApproval(t, env{"GITHUB_EVENT_NAME": "pull_request_review", "GITHUB_EVENT_PATH": payload(t, reviewPayload("requested", false))}, gh, &fakeReviews{}, &fakeTenant{})
	if err != nil || !strings.Contains(out, `Nothing to do for pull_request_review "requested"`) {
		t.Errorf("out = %q, err = %v", out, err)
	}
	_, err = runApproval(t, env{"GITHUB_EVENT_NAME": "pull_request_review", "INPUT_COMMAND": "apply", "GITHUB_EVENT_PATH": payload(t, reviewPayload("submitted", false))}, gh, &fakeReviews{}, &fakeTenant{})
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
		{"approved", map[string]int{"pushedsha": 12}, nil, approved, []string{"daemon", "reports"}, ""},
		{"not approved", map[string]int{"pushedsha": 12}, nil, nil, []string{"reports"},
			"not approved on pull request #12 (last commit last): needs 1 more approval from identity-admins (contoso/identity-admins, lead)"},
		{"approved an earlier commit", map[string]int{"pushedsha": 12}, nil, []policy.Review{{User: "alice", State: "APPROVED", CommitID: "first"}}, []string{"reports"},
			"not approved on pull request #12"},
		{"approved by the author", map[string]int{"pushedsha": 12}, nil, []policy.Review{{User: "dev", State: "APPROVED", CommitID: "last"}}, []string{"reports"},
			"not approved on pull request #12"},
		{"a direct push", nil, nil, nil, []string{"reports"},
			"no reviewed pull request (a direct push): application-permission and admin-consent changes need 1 approval from identity-admins (contoso/identity-admins, lead)"},
		{"the lookup fails", nil, errors.New("github answered 502"), approved, []string{"reports"},
			"no reviewed pull request (looking up the pull request merged as pusheds failed)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			approvalRepo(t)
			gh := &fakeGitHub{merged: tt.merged, lookupErr: tt.lookupErr}
			rv := &fakeReviews{
				pulls:   map[int]workflow.PullRequest{12: {Number: 12, HeadSHA: "last", Author: "dev"}},
				reviews: map[int][]policy.Review{12: tt.reviews},
				members: map[string]bool{"contoso/identity-admins alice": true},
			}
			tenant := &fakeTenant{}
			summary := t.TempDir() + "/summary.md"
			write(t, summary, "")
			out, err := runApproval(t, env{
				"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": payload(t, pushPayload("refs/heads/main", false)),
				"GITHUB_STEP_SUMMARY": summary,
			}, gh, rv, tenant)
			if err != nil {
				t.Fatalf("a refusal failed the step: %v", err)
			}
			slices.Sort(tenant.written)
			if diff := cmp.Diff(tt.applied, tenant.written); diff != "" {
				t.Errorf("applied (-want +got):\n%s", diff)
			}
			granted := len(tenant.granted) > 0
			if want := slices.Contains(tt.applied, "daemon"); granted != want {
				t.Errorf("consent granted = %v (%q), want %v", granted, tenant.granted, want)
			}
			if tt.refused == "" {
				if strings.Contains(out, "Not applied (refused)") || len(gh.created) > 0 && strings.Contains(gh.created[0], "Refused (not applied)") {
					t.Errorf("output mentions a refusal: %q", out)
				}
				return
			}
			if !strings.Contains(out, "::warning title=appreg::Not applied (refused): daemon.") {
				t.Errorf("no warning in %q", out)
			}
			data, err := os.ReadFile(summary)
			if err != nil {
				t.Fatal(err)
			}
			where := string(data)
			if len(gh.created) > 0 {
				where = gh.created[0]
			}
			if !strings.Contains(where, "Refused (not applied)") || !strings.Contains(where, tt.refused) {
				t.Errorf("the result does not give the reason %q:\n%s", tt.refused, where)
			}
		})
	}
}

func TestApplyGateAsksOncePerUserAndTeam(t *testing.T) {
	approvalRepo(t)
	write(t, "registrations/daemon2.yaml", strings.ReplaceAll(daemonYAML, "daemon", "daemon2"))
	write(t, "registrations/daemon3.yaml", strings.ReplaceAll(daemonYAML, "daemon", "daemon3"))
	gh := &fakeGitHub{merged: map[string]int{"pushedsha": 12}}
	rv := &fakeReviews{
		pulls: map[int]workflow.PullRequest{12: {Number: 12, HeadSHA: "last", Author: "dev"}},
		reviews: map[int][]policy.Review{12: {
			{User: "mallory", State: "APPROVED", CommitID: "last"},
			{User: "alice", State: "APPROVED", CommitID: "last"},
		}},
		members: map[string]bool{"contoso/identity-admins alice": true},
	}
	tenant := &fakeTenant{}
	if _, err := runApproval(t, env{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": payload(t, pushPayload("refs/heads/main", false))}, gh, rv, tenant); err != nil {
		t.Fatal(err)
	}
	if len(tenant.written) != 4 {
		t.Errorf("written = %v, want all four", tenant.written)
	}
	if diff := cmp.Diff([]string{"contoso/identity-admins mallory", "contoso/identity-admins alice"}, rv.asked); diff != "" {
		t.Errorf("team lookups (-want +got):\n%s", diff)
	}
}

func TestTeamsToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  env
		want string
	}{
		{env{"INPUT_GITHUB-TOKEN": "gh"}, "gh"},
		{env{"INPUT_GITHUB-TOKEN": "gh", "INPUT_SECRETS-TOKEN": "sec"}, "sec"},
		{env{"INPUT_GITHUB-TOKEN": "gh", "INPUT_SECRETS-TOKEN": "sec", "INPUT_MEMBERS-TOKEN": "mem"}, "mem"},
	}
	for _, tt := range tests {
		o, err := Parse(tt.env.get)
		if err != nil {
			t.Fatal(err)
		}
		if got := o.TeamsToken(); got != tt.want {
			t.Errorf("TeamsToken with %v = %q, want %q", tt.env, got, tt.want)
		}
		if !slices.Contains(o.secrets(), tt.want) {
			t.Errorf("the teams token %q is not redacted", tt.want)
		}
	}
}
