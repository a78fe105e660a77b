package workflow_test

import (
	"github.com/appreg/appreg/internal/appreg"
	planpkg "github.com/appreg/appreg/internal/plan"
	"slices"
	"strings"
	"testing"

	"github.com/appreg/appreg/internal/apply/applytest"
	"github.com/appreg/appreg/internal/policy"
	"github.com/appreg/appreg/internal/workflow"
	"github.com/appreg/appreg/internal/workflow/workflowtest"
)

// The attacks of a contributor with push access to a branch, each as
// reproduced with the Action's and serve's code before the approval gate
// moved into workflow (632e642): each test fails there and passes now.

const noRequireSettings = `apiVersion: appreg/v1
tenantId: 8d3d5a53-6c2c-4a6c-9b0e-4f5a2b1c9d7e
namePrefix: contoso-
registrations: registrations
policy:
  reviewers:
    identity-admins: {teams: [contoso/identity-admins]}
  require: {credential-change: identity-admins}
`

// secretYAML adds a client secret to an app that holds User.Read.All and
// delivers it to a repository the contributor controls.
const secretYAML = `apiVersion: appreg/v1
name: daemon
displayName: Daemon
credentials:
  secrets:
    - name: ci
      lifetime: 90d
      deliver:
        - github: {repo: mallory/loot, secret: STOLEN}
`

// Attack 1: a new client secret needs approval (credential-change, built
// in), and the apply after an unapproved merge does not create it.
func TestAttackNewSecretNeedsApproval(t *testing.T) {
	t.Parallel()
	for _, settings := range []string{noRequireSettings, strings.Replace(noRequireSettings, "  require: {credential-change: identity-admins}\n", "", 1)} {
		dir := t.TempDir()
		write(t, dir, "appreg.yaml", settings)
		write(t, dir, "registrations/daemon.yaml", secretYAML)
		gh := &workflowtest.GitHub{}
		if _, _, err := runEvent(t, dir, workflow.CommandAuto, pullEvent("opened", false), gh, &applytest.Tenant{}); err != nil {
			t.Fatal(err)
		}
		got := gh.StatusesOf(workflow.ApprovalContext)
		if len(got) != 1 || !strings.HasPrefix(got[0], "pending: needs 1 more approval from identity-admins") {
			t.Errorf("appreg/approval = %q, want pending on identity-admins", got)
		}
		gh.Merged = map[string]int{"pushedsha": 7}
		gh.Pulls = map[int]workflow.PullRequest{7: {Number: 7, HeadSHA: "headsha", Author: "dev"}}
		tenant := &applytest.Tenant{}
		_, rep, err := runEvent(t, dir, workflow.CommandAuto, pushEvent("refs/heads/main", false), gh, tenant)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Result.Refused) != 1 || rep.Result.Refused[0].Key != "daemon" || len(rep.Result.Secrets) != 0 {
			t.Errorf("refused %+v, secrets %+v: want the secret's registration refused and no secret", rep.Result.Refused, rep.Result.Secrets)
		}
	}
}

// Attack 3: the pull request sets its own policy. Its appreg.yaml drops
// policy.require while a registration asks for Directory.ReadWrite.All;
// the base commit's policy judges it, and the policy change itself needs
// approval.
func TestAttackPolicyFromTheBase(t *testing.T) {
	t.Parallel()
	base := approvalRepo(t)
	head := t.TempDir()
	write(t, head, "appreg.yaml", strings.Replace(approvalSettings, "  require: {application-permission: identity-admins, admin-consent: identity-admins}\n", "", 1))
	write(t, head, "registrations/daemon.yaml", strings.Replace(daemonYAML, "User.Read.All", "Directory.ReadWrite.All", 1))
	write(t, head, "registrations/reports.yaml", "apiVersion: appreg/v1\nname: reports\ndisplayName: Reports\n")
	gh := &workflowtest.GitHub{}
	ev := pullEvent("opened", false)
	ev.PullRequest.BaseSHA = "basesha"
	rep, err := workflow.Run(t.Context(), deps(gh, &applytest.Tenant{}, head, map[string]string{"basesha": base}), workflow.CommandAuto, ev)
	if err != nil {
		t.Fatal(err)
	}
	got := gh.StatusesOf(workflow.ApprovalContext)
	if len(got) != 1 || !strings.HasPrefix(got[0], "pending: needs 1 more approval from identity-admins") {
		t.Errorf("appreg/approval = %q, want pending on identity-admins", got)
	}
	i := slices.IndexFunc(rep.Plan.Changes, func(c planChange) bool { return c.Key == "appreg.yaml" })
	if i < 0 || !slices.Contains(rep.Plan.Changes[i].Categories, "policy-change") {
		t.Errorf("the plan does not show the change of appreg.yaml as a policy-change: %+v", rep.Plan.Changes)
	}
	if !strings.Contains(gh.Sticky[0], "appreg.yaml, daemon (application-permission, admin-consent, policy-change)") {
		t.Errorf("the Approval section does not ask for the daemon's permissions:\n%s", gh.Sticky[0])
	}
}

// Attack 4: an approval is for a change, not a pull request. A privileged
// change merged without review is refused; the next, unrelated pull
// request that identity-admins approve does not apply it.
func TestAttackApprovalIsForTheChange(t *testing.T) {
	t.Parallel()
	dir := approvalRepo(t)
	gh := &workflowtest.GitHub{Members: map[string]bool{"contoso/identity-admins alice": true}}
	// #12 adds the daemon; nobody approves; it is merged.
	planned(t, dir, gh, 12, "sha12")
	gh.Merged = map[string]int{"pushedsha": 12}
	gh.Pulls = map[int]workflow.PullRequest{12: {Number: 12, HeadSHA: "sha12", Author: "mallory"}}
	tenant := &applytest.Tenant{}
	if _, _, err := runEvent(t, dir, workflow.CommandAuto, pushEvent("refs/heads/main", false), gh, tenant); err != nil {
		t.Fatal(err)
	}
	// #13 changes only reports' description (no approval needed) but
	// carries an owner change that identity-admins approve; its comment
	// shows reports, not daemon.
	write(t, dir, "registrations/reports.yaml", "apiVersion: appreg/v1\nname: reports\ndisplayName: Reports\nowners: [alice@contoso.com]\n")
	write(t, dir, "appreg.yaml", approvalSettings+"  # owner changes too\n")
	gh.Sticky = nil
	ev := pullEvent("synchronize", false)
	ev.PullRequest.Number, ev.PullRequest.HeadSHA = 13, "sha13"
	ev.PullRequest.BaseSHA = ""
	// The tenant of #13's plan already has reports (applied by #12's merge)
	// but not the daemon: #13's plan shows both, yet as a fresh plan of
	// the daemon — so give the plan a tenant without the daemon's change
	// by removing it from #13's files, as an unrelated pull request would.
	onlyReports := t.TempDir()
	write(t, onlyReports, "appreg.yaml", approvalSettings)
	write(t, onlyReports, "registrations/reports.yaml", "apiVersion: appreg/v1\nname: reports\ndisplayName: Reports\nowners: [alice@contoso.com]\n")
	if _, err := workflow.Run(t.Context(), deps(gh, &applytest.Tenant{}, onlyReports, nil), workflow.CommandAuto, ev); err != nil {
		t.Fatal(err)
	}
	gh.Merged = map[string]int{"pushedsha": 13}
	gh.Pulls[13] = workflow.PullRequest{Number: 13, HeadSHA: "sha13", Author: "dev"}
	gh.Reviews = map[int][]policy.Review{13: {{User: "alice", State: "APPROVED", CommitID: "sha13"}}}
	tenant = &applytest.Tenant{}
	_, rep, err := runEvent(t, dir, workflow.CommandAuto, pushEvent("refs/heads/main", false), gh, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(tenant.Written(), "contoso-daemon") {
		t.Errorf("the daemon, refused before, was applied by the approval of an unrelated pull request: %v", tenant.Calls())
	}
	if !slices.ContainsFunc(rep.Result.Refused, func(r refusal) bool {
		return r.Key == "daemon" && strings.Contains(r.Reason, "pull request #13 did not show this change")
	}) {
		t.Errorf("refused = %+v", rep.Result.Refused)
	}
}

// Attack 4, the pusher: the last pusher of the head commit cannot approve
// their own push, even when they did not open the pull request.
func TestAttackPusherCannotApprove(t *testing.T) {
	t.Parallel()
	dir := approvalRepo(t)
	gh := &workflowtest.GitHub{Members: map[string]bool{"contoso/identity-admins bob": true}}
	ev := pullEvent("synchronize", false)
	ev.Sender = "bob" // bob pushed the head commit of dev's pull request
	if _, _, err := runEvent(t, dir, workflow.CommandAuto, ev, gh, &applytest.Tenant{}); err != nil {
		t.Fatal(err)
	}
	gh.Reviews = map[int][]policy.Review{7: {{User: "bob", State: "APPROVED", CommitID: "headsha"}}}
	gh.Statuses = nil
	if _, _, err := runEvent(t, dir, workflow.CommandAuto, reviewEvent("submitted", false), gh, &applytest.Tenant{}); err != nil {
		t.Fatal(err)
	}
	if got := gh.StatusesOf(workflow.ApprovalContext); len(got) != 1 || !strings.HasPrefix(got[0], "pending:") {
		t.Errorf("after the pusher's own approval appreg/approval = %q, want pending", got)
	}
	// At the merge, the pusher's approval does not count either.
	gh.Merged = map[string]int{"pushedsha": 7}
	gh.Pulls = map[int]workflow.PullRequest{7: {Number: 7, HeadSHA: "headsha", Author: "dev"}}
	tenant := &applytest.Tenant{}
	if _, _, err := runEvent(t, dir, workflow.CommandAuto, pushEvent("refs/heads/main", false), gh, tenant); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(tenant.Written(), "contoso-daemon") {
		t.Error("the pusher's own approval applied the daemon's privileged change")
	}
}

// Attack 8: a redelivered old push does not roll the tenant back: only the
// current head of the default branch is applied.
func TestAttackOldPushIsSkipped(t *testing.T) {
	t.Parallel()
	dir := approvalRepo(t)
	gh := &workflowtest.GitHub{Heads: map[string]string{"contoso/apps main": "newersha"}}
	tenant := &applytest.Tenant{}
	_, rep, err := runEvent(t, dir, workflow.CommandAuto, pushEvent("refs/heads/main", false), gh, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if calls := tenant.Calls(); len(calls) > 0 {
		t.Errorf("an old push touched the tenant: %v", calls)
	}
	if !strings.Contains(logText(rep), "is no longer the head of main") {
		t.Errorf("the log does not say why: %q", logText(rep))
	}
	// Without a way to know the head, nothing is applied either.
	gh.Heads = map[string]string{}
	if _, _, err := runEvent(t, dir, workflow.CommandAuto, pushEvent("refs/heads/main", false), gh, tenant); err == nil || len(tenant.Calls()) > 0 {
		t.Errorf("an unknown head: err %v, calls %v", err, tenant.Calls())
	}
}

type (
	planChange = planpkg.Change
	refusal    = planpkg.Refusal
)

// The organisation's policy: a repository may use only the namePrefix it
// is given, and cannot loosen the groups and categories it pins.
func TestOrganisationPolicy(t *testing.T) {
	t.Parallel()
	dir := approvalRepo(t)
	org := &appreg.OrgPolicy{
		Reviewers: map[string]appreg.ReviewerGroup{"security": {Teams: []string{"contoso/security"}, Required: 1}},
		Require:   map[appreg.Category]string{appreg.CategoryApplicationPermission: "security"},
		Prefixes:  map[string]string{"contoso/apps": "contoso-"},
	}
	gh := &workflowtest.GitHub{}
	d := deps(gh, &applytest.Tenant{}, dir, nil)
	d.Org = org
	if _, err := workflow.Run(t.Context(), d, workflow.CommandAuto, pullEvent("opened", false)); err != nil {
		t.Fatal(err)
	}
	if got := gh.StatusesOf(workflow.ApprovalContext); len(got) != 1 || !strings.Contains(got[0], "security") {
		t.Errorf("appreg/approval = %q, want the organisation's security group", got)
	}
	org.Prefixes = map[string]string{"contoso/apps": "apps-"}
	tenant := &applytest.Tenant{}
	d = deps(gh, tenant, dir, nil)
	d.Org = org
	_, err := workflow.Run(t.Context(), d, workflow.CommandAuto, pushEvent("refs/heads/main", false))
	if err == nil || !strings.Contains(err.Error(), `the organisation policy gives repository contoso/apps the namePrefix "apps-"`) || len(tenant.Calls()) > 0 {
		t.Errorf("a prefix the organisation did not give: err %v, calls %v", err, tenant.Calls())
	}
}
