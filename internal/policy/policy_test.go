package policy

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
)

var testPolicy = appreg.Policy{
	Reviewers: map[string]appreg.ReviewerGroup{
		"identity-admins": {Teams: []string{"contoso/identity-admins"}, Required: 1},
		"security":        {Teams: []string{"contoso/security"}, Users: []string{"Sec-Lead"}, Required: 2},
	},
	Require: map[appreg.Category]string{
		appreg.CategoryApplicationPermission: "identity-admins",
		appreg.CategoryAdminConsent:          "identity-admins",
		appreg.CategoryOwnerChange:           "identity-admins",
		appreg.CategoryPrivilegedPermission:  "security",
	},
}

func change(key string, cats ...appreg.Category) plan.Change {
	return plan.Change{Key: key, Action: plan.Update, Categories: cats}
}

func TestRequirements(t *testing.T) {
	t.Parallel()
	admins := Requirement{Group: "identity-admins", Required: 1, Teams: []string{"contoso/identity-admins"}}
	tests := []struct {
		name    string
		changes []plan.Change
		pol     appreg.Policy
		want    []Requirement
	}{
		{"no changes", nil, testPolicy, []Requirement{}},
		{"no policy", []plan.Change{change("a", appreg.CategoryAdminConsent)}, appreg.Policy{}, []Requirement{}},
		{"categories policy does not gate", []plan.Change{change("a", appreg.CategoryRedirectURIChange, appreg.CategoryNewRegistration)}, testPolicy, []Requirement{}},
		{
			"one change, two categories of one group",
			[]plan.Change{change("daemon", appreg.CategoryApplicationPermission, appreg.CategoryAdminConsent, appreg.CategoryRedirectURIChange)},
			testPolicy,
			[]Requirement{with(admins, []appreg.Category{appreg.CategoryApplicationPermission, appreg.CategoryAdminConsent}, "daemon")},
		},
		{
			"several changes and groups, sorted",
			[]plan.Change{
				change("zeta", appreg.CategoryOwnerChange),
				change("alpha", appreg.CategoryAdminConsent, appreg.CategoryPrivilegedPermission),
				change("web", appreg.CategoryRedirectURIChange),
			},
			testPolicy,
			[]Requirement{
				with(admins, []appreg.Category{appreg.CategoryAdminConsent, appreg.CategoryOwnerChange}, "alpha", "zeta"),
				{Group: "security", Categories: []appreg.Category{appreg.CategoryPrivilegedPermission}, Registrations: []string{"alpha"},
					Required: 2, Teams: []string{"contoso/security"}, Users: []string{"Sec-Lead"}},
			},
		},
		{
			"a group without a required count needs one approval",
			[]plan.Change{change("a", appreg.CategoryDeletion)},
			appreg.Policy{Reviewers: map[string]appreg.ReviewerGroup{"ops": {Users: []string{"alice"}}}, Require: map[appreg.Category]string{appreg.CategoryDeletion: "ops"}},
			[]Requirement{{Group: "ops", Categories: []appreg.Category{appreg.CategoryDeletion}, Registrations: []string{"a"}, Required: 1, Users: []string{"alice"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Requirements(&plan.Plan{Changes: tt.changes}, tt.pol)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Requirements (-want +got):\n%s", diff)
			}
		})
	}
}

func with(r Requirement, cats []appreg.Category, keys ...string) Requirement {
	r.Categories, r.Registrations = cats, keys
	return r
}

const (
	head = "headsha"
	old  = "oldsha"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func review(user, state, commit string, minute int) Review {
	return Review{User: user, State: state, CommitID: commit, SubmittedAt: t0.Add(time.Duration(minute) * time.Minute)}
}

// members of contoso/identity-admins and contoso/security in the tests.
var teams = map[string][]string{
	"contoso/identity-admins": {"alice", "bob", "carol"},
	"contoso/security":        {"sam"},
}

func isMember(team, user string) bool {
	for _, m := range teams[team] {
		if strings.EqualFold(m, user) {
			return true
		}
	}
	return false
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	admins := []Requirement{{Group: "identity-admins", Categories: []appreg.Category{appreg.CategoryAdminConsent}, Registrations: []string{"daemon"},
		Required: 1, Teams: []string{"contoso/identity-admins"}}}
	two := []Requirement{{Group: "security", Registrations: []string{"daemon"}, Required: 2, Teams: []string{"contoso/security"}, Users: []string{"sec-lead"}}}
	type group struct {
		Approvers, BlockedBy, Stale []string
		Missing                     int
	}
	tests := []struct {
		name     string
		reqs     []Requirement
		reviews  []Review
		approved bool
		want     []group
		desc     string
	}{
		{"nothing required", nil, nil, true, []group{}, "no approval required"},
		{"no reviews", admins, nil, false, []group{{Missing: 1}}, "needs 1 more approval from identity-admins (contoso/identity-admins)"},
		{"a team member approves the head", admins, []Review{review("alice", Approved, head, 1)}, true,
			[]group{{Approvers: []string{"alice"}}}, "approved by alice (identity-admins)"},
		{"webhook states are lower case", admins, []Review{review("alice", "approved", head, 1)}, true,
			[]group{{Approvers: []string{"alice"}}}, "approved by alice (identity-admins)"},
		{"the author's approval never counts", admins, []Review{review("Alice", Approved, head, 1)}, false,
			[]group{{Missing: 1}}, "needs 1 more approval from identity-admins (contoso/identity-admins)"},
		{"an approval of an earlier commit is stale", admins, []Review{review("bob", Approved, old, 1)}, false,
			[]group{{Missing: 1, Stale: []string{"bob"}}}, "needs 1 more approval from identity-admins (contoso/identity-admins)"},
		{"someone outside the group", admins, []Review{review("mallory", Approved, head, 1)}, false,
			[]group{{Missing: 1}}, "needs 1 more approval from identity-admins (contoso/identity-admins)"},
		{"a later comment does not cancel an approval", admins, []Review{review("bob", Approved, head, 1), review("bob", Commented, head, 2), review("bob", Pending, head, 3)}, true,
			[]group{{Approvers: []string{"bob"}}}, "approved by bob (identity-admins)"},
		{"a dismissed review cancels", admins, []Review{review("bob", Approved, head, 1), review("bob", Dismissed, head, 2)}, false,
			[]group{{Missing: 1}}, "needs 1 more approval from identity-admins (contoso/identity-admins)"},
		{"the latest review wins: approval after changes requested", admins, []Review{review("bob", ChangesRequested, head, 1), review("bob", Approved, head, 2)}, true,
			[]group{{Approvers: []string{"bob"}}}, "approved by bob (identity-admins)"},
		{"the latest review wins: changes requested after approval", admins, []Review{review("bob", Approved, head, 1), review("bob", ChangesRequested, head, 2)}, false,
			[]group{{Missing: 1, BlockedBy: []string{"bob"}}}, "changes requested by bob (identity-admins)"},
		{"reviews are ordered by time, not by position", admins, []Review{review("bob", ChangesRequested, head, 2), review("bob", Approved, head, 1)}, false,
			[]group{{Missing: 1, BlockedBy: []string{"bob"}}}, "changes requested by bob (identity-admins)"},
		{"changes requested by a member blocks despite approvals", admins, []Review{review("alice", Approved, head, 1), review("carol", ChangesRequested, head, 2)}, false,
			[]group{{Approvers: []string{"alice"}, BlockedBy: []string{"carol"}}}, "changes requested by carol (identity-admins)"},
		{"changes requested by an outsider does not block", admins, []Review{review("alice", Approved, head, 1), review("mallory", ChangesRequested, head, 2)}, true,
			[]group{{Approvers: []string{"alice"}}}, "approved by alice (identity-admins)"},
		{"changes requested on an earlier commit does not block", admins, []Review{review("carol", ChangesRequested, old, 1), review("alice", Approved, head, 2)}, true,
			[]group{{Approvers: []string{"alice"}}}, "approved by alice (identity-admins)"},
		{"listed users qualify without a team", two, []Review{review("SEC-LEAD", Approved, head, 1)}, false,
			[]group{{Approvers: []string{"SEC-LEAD"}, Missing: 1}}, "needs 1 more approval from security (contoso/security, sec-lead)"},
		{"two approvals", two, []Review{review("sec-lead", Approved, head, 1), review("sam", Approved, head, 2)}, true,
			[]group{{Approvers: []string{"sam", "sec-lead"}}}, "approved by sam, sec-lead (security)"},
		{"needs two, has none", two, nil, false, []group{{Missing: 2}}, "needs 2 more approvals from security (contoso/security, sec-lead)"},
		{"every group must approve", append(admins, two...), []Review{review("alice", Approved, head, 1)}, false,
			[]group{{Approvers: []string{"alice"}}, {Missing: 2}}, "needs 2 more approvals from security (contoso/security, sec-lead)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			author := "octocat"
			if tt.name == "the author's approval never counts" {
				author = "alice" // the review is by "Alice": logins compare without case
			}
			v := Evaluate(tt.reqs, tt.reviews, head, author, isMember)
			got := []group{}
			for _, g := range v.Groups {
				got = append(got, group{Approvers: g.Approvers, BlockedBy: g.BlockedBy, Stale: g.Stale, Missing: g.Missing})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
			if v.Approved != tt.approved {
				t.Errorf("Approved = %v, want %v", v.Approved, tt.approved)
			}
			if d := v.Description(); d != tt.desc {
				t.Errorf("Description = %q, want %q", d, tt.desc)
			}
		})
	}
}

func TestEvaluateAsksMembershipOnlyForReviewsThatCount(t *testing.T) {
	t.Parallel()
	reqs := []Requirement{{Group: "g", Required: 1, Teams: []string{"contoso/identity-admins", "contoso/security"}, Users: []string{"listed"}}}
	var asked []string
	count := func(team, user string) bool {
		asked = append(asked, team+" "+user)
		return isMember(team, user)
	}
	Evaluate(reqs, []Review{
		review("listed", Approved, head, 1),             // listed: no lookup
		review("author", Approved, head, 2),             // the author: no lookup
		review("stale", Commented, old, 3),              // a comment: no lookup
		review("sam", Approved, head, 4),                // both teams until a match
		review("dismissed", Approved, head, 5),          // dismissed below: no lookup
		review("dismissed", Dismissed, head, 6),         //
		review("old-request", ChangesRequested, old, 7), // a request on an earlier commit: no lookup
	}, head, "author", count)
	want := []string{"contoso/identity-admins sam", "contoso/security sam"}
	if diff := cmp.Diff(want, asked); diff != "" {
		t.Errorf("membership lookups (-want +got):\n%s", diff)
	}
}

func TestChangeApproved(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Changes: []plan.Change{
		change("daemon", appreg.CategoryAdminConsent, appreg.CategoryPrivilegedPermission),
		change("web", appreg.CategoryOwnerChange),
		change("plain", appreg.CategoryRedirectURIChange),
	}}
	v := Evaluate(Requirements(p, testPolicy), []Review{review("bob", Approved, head, 1)}, head, "octocat", isMember)
	type result struct {
		OK     bool
		Reason string
	}
	got := map[string]result{}
	for _, key := range []string{"daemon", "web", "plain", "unknown"} {
		ok, reason := v.ChangeApproved(key)
		got[key] = result{ok, reason}
	}
	want := map[string]result{
		"daemon":  {false, "needs 2 more approvals from security (contoso/security, Sec-Lead)"},
		"web":     {true, ""},
		"plain":   {true, ""},
		"unknown": {true, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ChangeApproved (-want +got):\n%s", diff)
	}
}

func TestDescriptionFitsAStatus(t *testing.T) {
	t.Parallel()
	var reqs []Requirement
	for _, g := range []string{"identity-admins", "security-architecture-board", "platform-owners", "app-governance"} {
		reqs = append(reqs, Requirement{Group: g, Required: 3, Teams: []string{"contoso/" + g + "-primary", "contoso/" + g + "-backup"}})
	}
	d := Evaluate(reqs, nil, head, "", isMember).Description()
	if n := utf8.RuneCountInString(d); n > MaxDescription {
		t.Errorf("description has %d characters, over %d: %q", n, MaxDescription, d)
	}
	if !strings.HasPrefix(d, "needs 3 more approvals from identity-admins (contoso/identity-admins-primary, contoso/identity-admins-backup); ") || !strings.HasSuffix(d, "…") {
		t.Errorf("description = %q", d)
	}
}

func TestEffectivePolicy(t *testing.T) {
	t.Parallel()
	admins := appreg.ReviewerGroup{Teams: []string{"contoso/identity-admins"}, Required: 1}
	base := &appreg.Policy{
		Reviewers: map[string]appreg.ReviewerGroup{"identity-admins": admins},
		Require:   map[appreg.Category]string{appreg.CategoryPrivilegedPermission: "identity-admins"},
	}
	// The pull request's own policy drops every requirement and names
	// its author the only reviewer: the base's policy judges it.
	head := &appreg.Policy{Reviewers: map[string]appreg.ReviewerGroup{"me": {Users: []string{"mallory"}, Required: 1}}}
	got := Effective(base, head, nil)
	want := map[appreg.Category]string{
		appreg.CategoryPrivilegedPermission: "identity-admins", appreg.CategoryCredentialChange: "identity-admins",
		appreg.CategoryAdoption: "identity-admins", appreg.CategoryPolicyChange: "identity-admins", appreg.CategoryDeletion: "identity-admins",
	}
	if diff := cmp.Diff(want, got.Require); diff != "" {
		t.Errorf("require (-want +got):\n%s", diff)
	}
	if _, ok := got.Reviewers["me"]; ok {
		t.Error("the pull request's own reviewer group judges it")
	}
	// With no reviewers anywhere, the built-in categories go to a group
	// nobody is in: never approved.
	none := Effective(nil, &appreg.Policy{}, nil)
	if g := none.Reviewers[DefaultGroup]; none.Require[appreg.CategoryCredentialChange] != DefaultGroup || len(g.Teams)+len(g.Users) != 0 {
		t.Errorf("no reviewers: %+v", none)
	}
	// The organisation pins its groups and categories over the repository's.
	org := &appreg.OrgPolicy{
		Reviewers: map[string]appreg.ReviewerGroup{"security": {Teams: []string{"contoso/security"}, Required: 2}},
		Require:   map[appreg.Category]string{appreg.CategoryPrivilegedPermission: "security", appreg.CategoryCredentialChange: "security"},
		Prefixes:  map[string]string{"contoso/payments": "payments-"},
	}
	pinned := Effective(base, head, org)
	if pinned.Require[appreg.CategoryPrivilegedPermission] != "security" || pinned.Require[appreg.CategoryCredentialChange] != "security" || pinned.Reviewers["security"].Required != 2 {
		t.Errorf("the organisation's policy was loosened: %+v", pinned)
	}
	for _, tt := range []struct{ repo, prefix, err string }{
		{"contoso/payments", "payments-", ""},
		{"Contoso/Payments", "payments-", ""},
		{"contoso/payments", "contoso-", `gives repository contoso/payments the namePrefix "payments-"`},
		{"contoso/other", "other-", "gives repository contoso/other no namePrefix"},
	} {
		err := CheckPrefix(org, tt.repo, tt.prefix)
		if (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("CheckPrefix(%s, %s) = %v, want %q", tt.repo, tt.prefix, err, tt.err)
		}
	}
	if err := CheckPrefix(nil, "contoso/x", "any-"); err != nil {
		t.Errorf("no organisation policy: %v", err)
	}
}
