package workflow_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/appreg/appreg/internal/apply/applytest"
	"github.com/appreg/appreg/internal/workflow"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/policy"
)

// fakeTeams is GitHub's team membership; it records every lookup.
type fakeTeams struct {
	members    map[string]bool  // "org/slug user"
	unreadable map[string]bool  // "org/slug": 403
	fail       map[string]error // "org/slug": another error
	mu         sync.Mutex
	asked      []string
}

func (f *fakeTeams) TeamMember(_ context.Context, org, slug, user string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	team := org + "/" + slug
	f.asked = append(f.asked, team+" "+user)
	if f.unreadable[team] {
		return false, fmt.Errorf("checking membership of %s in team %s: %w", user, team, workflow.ErrTeamUnreadable)
	}
	if err := f.fail[team]; err != nil {
		return false, err
	}
	return f.members[team+" "+user], nil
}

func TestMembersAsksOncePerTeamAndUser(t *testing.T) {
	t.Parallel()
	teams := &fakeTeams{
		members:    map[string]bool{"contoso/admins alice": true},
		unreadable: map[string]bool{"contoso/secret": true},
		fail:       map[string]error{"contoso/flaky": errors.New("github answered 502")},
	}
	m := workflow.NewMembers(teams)
	ctx := t.Context()
	got := []bool{
		m.IsMember(ctx, "contoso/admins", "alice"),
		m.IsMember(ctx, "contoso/admins", "Alice"), // cached: logins compare without case
		m.IsMember(ctx, "contoso/admins", "bob"),
		m.IsMember(ctx, "contoso/admins", "bob"),
		m.IsMember(ctx, "contoso/secret", "alice"),
		m.IsMember(ctx, "contoso/secret", "bob"), // an unreadable team is not asked again
		m.IsMember(ctx, "contoso/flaky", "alice"),
		m.IsMember(ctx, "contoso/flaky", "alice"),
	}
	if diff := cmp.Diff([]bool{true, true, false, false, false, false, false, false}, got); diff != "" {
		t.Errorf("IsMember (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"contoso/admins alice", "contoso/admins bob", "contoso/secret alice", "contoso/flaky alice"}, teams.asked); diff != "" {
		t.Errorf("lookups (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"contoso/secret"}, m.Unreadable()); diff != "" {
		t.Errorf("Unreadable (-want +got):\n%s", diff)
	}
	if err := m.Err(); err == nil || !strings.Contains(err.Error(), "checking whether alice is in team contoso/flaky: github answered 502") {
		t.Errorf("Err = %v", err)
	}
	if workflow.NewMembers(nil).IsMember(ctx, "contoso/admins", "alice") {
		t.Error("with no Teams a user was a member")
	}
}

var approvalPolicy = appreg.Policy{
	Reviewers: map[string]appreg.ReviewerGroup{"identity-admins": {Teams: []string{"contoso/identity-admins"}, Users: []string{"lead"}, Required: 1}},
	Require:   map[appreg.Category]string{appreg.CategoryAdminConsent: "identity-admins", appreg.CategoryOwnerChange: "identity-admins"},
}

func TestApproveFallsBackToListedUsers(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Changes: []plan.Change{{Key: "daemon", Categories: []appreg.Category{appreg.CategoryAdminConsent}}}}
	teams := &fakeTeams{unreadable: map[string]bool{"contoso/identity-admins": true}}
	rv := workflow.Reviewed{Number: 4, Head: "h", Author: "dev", Reviews: []policy.Review{
		{User: "alice", State: policy.Approved, CommitID: "h"},
	}}
	a, err := workflow.Approve(t.Context(), p, approvalPolicy, rv, workflow.NewMembers(teams))
	if err != nil {
		t.Fatal(err)
	}
	if a.Verdict.Approved || !cmp.Equal(a.Unreadable, []string{"contoso/identity-admins"}) {
		t.Errorf("a team member counted though the team is unreadable: %+v", a)
	}
	rv.Reviews = append(rv.Reviews, policy.Review{User: "lead", State: policy.Approved, CommitID: "h"})
	a, _ = workflow.Approve(t.Context(), p, approvalPolicy, rv, workflow.NewMembers(teams))
	if !a.Verdict.Approved {
		t.Errorf("a listed user's approval did not count: %+v", a.Verdict)
	}
}

func TestApprovalGate(t *testing.T) {
	t.Parallel()
	daemon := plan.Change{Key: "daemon", Action: plan.Update, Categories: []appreg.Category{appreg.CategoryAdminConsent, appreg.CategoryOwnerChange}}
	web := plan.Change{Key: "web", Action: plan.Update, Categories: []appreg.Category{appreg.CategoryRedirectURIChange}}
	teams := &fakeTeams{members: map[string]bool{"contoso/identity-admins alice": true}}
	approved := &workflow.Reviewed{Number: 4, Head: "0123456789", Author: "dev", Reviews: []policy.Review{{User: "alice", State: "APPROVED", CommitID: "0123456789"}}}
	stale := &workflow.Reviewed{Number: 4, Head: "0123456789", Author: "dev", Reviews: []policy.Review{{User: "alice", State: "APPROVED", CommitID: "abc"}}}
	type verdict struct {
		OK           bool
		Reason, Hint string
	}
	tests := []struct {
		name string
		rv   *workflow.Reviewed
		c    plan.Change
		want verdict
	}{
		{"no approval needed, no pull request", nil, web, verdict{OK: true}},
		{"approved", approved, daemon, verdict{OK: true}},
		{"no pull request", nil, daemon, verdict{
			Reason: "no reviewed pull request (a direct push): admin-consent and owner-change changes need 1 approval from identity-admins (contoso/identity-admins, lead)",
			Hint:   "merge the change through a pull request that the reviewers approve, or have an operator run appreg apply",
		}},
		{"approved an earlier commit", stale, daemon, verdict{
			Reason: "not approved on pull request #4 (last commit 0123456): needs 1 more approval from identity-admins (contoso/identity-admins, lead)",
			Hint:   "an approval of pull request #4's last commit, then re-running this apply, applies it; or an operator runs appreg apply",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := workflow.ApprovalGate(approvalPolicy, tt.rv, "no reviewed pull request (a direct push)", workflow.NewMembers(teams))
			var got verdict
			got.OK, got.Reason, got.Hint = g(t.Context(), tt.c)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("gate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyGateRefusesBeforeApplying(t *testing.T) {
	t.Parallel()
	g := &applytest.Tenant{Users: map[string]string{"alice@contoso.com": "alice-id"}}
	loaded := load(t, map[string]string{
		"daemon": "permissions:\n  - api: microsoft-graph\n    application: [User.Read.All]\n    adminConsent: true\n",
		"owned":  "owners: [alice@contoso.com]\ncredentials:\n  secrets:\n    - name: ci\n      lifetime: 90d\n      deliver: [{github: {repo: contoso/x, secret: S}}]\n",
		"plain":  "description: nothing to approve\n",
	})
	var asked []string
	gate := func(_ context.Context, c plan.Change) (bool, string, string) {
		asked = append(asked, c.Key)
		if c.Key == "plain" {
			return true, "", ""
		}
		return false, "not approved", "approve it"
	}
	p, res, err := workflow.Apply(t.Context(), g, loaded, workflow.ApplyOptions{Gate: gate})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"daemon", "owned", "plain"}, asked); diff != "" {
		t.Errorf("gate asked about (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"contoso-plain"}, g.Written()); diff != "" {
		t.Errorf("written (-want +got):\n%s", diff)
	}
	want := []plan.Refusal{
		{Key: "daemon", Action: plan.Create, Reason: "not approved", Hint: "approve it"},
		{Key: "owned", Action: plan.Create, Reason: "not approved", Hint: "approve it"},
	}
	if diff := cmp.Diff(want, res.Refused); diff != "" {
		t.Errorf("refused (-want +got):\n%s", diff)
	}
	if len(res.Secrets) != 0 {
		t.Errorf("secrets of a refused registration were attempted: %+v", res.Secrets)
	}
	if len(p.Changes) != 3 {
		t.Errorf("the returned plan lost the refused changes: %d changes", len(p.Changes))
	}
	if res.Failed() {
		t.Errorf("a refusal made the apply fail: %+v", res)
	}
}
