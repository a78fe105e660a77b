// Package policy decides who must approve a plan and whether a pull
// request's reviews do: the change categories of a plan.Plan, mapped through
// appreg.yaml's policy.require to reviewer groups, become Requirements, and
// the reviews, read the way GitHub reads them, become a Verdict.
//
// It is pure: team membership is asked of a function the caller provides
// (and caches), so that the same rules serve the Action's commit status, its
// apply gate and the webhook server, and are tested without GitHub.
package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
)

// Review states as GitHub's REST API spells them; webhook payloads use
// lower case, which Evaluate accepts too.
const (
	Approved         = "APPROVED"
	ChangesRequested = "CHANGES_REQUESTED"
	Commented        = "COMMENTED"
	Dismissed        = "DISMISSED"
	Pending          = "PENDING"
)

// Review is one pull request review, as GitHub lists them.
//
// See https://docs.github.com/rest/pulls/reviews#list-reviews-for-a-pull-request.
type Review struct {
	// User is the reviewer's login.
	User string
	// State is one of the review state constants.
	State string
	// CommitID is the pull request's head commit when the review was
	// submitted.
	CommitID    string
	SubmittedAt time.Time
}

// Requirement is one reviewer group's part in approving a plan: which of
// its categories the plan touches, in which registrations, and who belongs
// to the group.
type Requirement struct {
	// Group is the reviewer group's name in policy.reviewers.
	Group string
	// Categories are the change categories policy.require maps to Group
	// that the plan has, in appreg.Categories order.
	Categories []appreg.Category
	// Registrations are the keys of the changes with those categories,
	// sorted.
	Registrations []string
	// Required is how many of the group's members must approve (at least
	// 1).
	Required int
	// Teams ("org/slug") and Users (logins) make up the group.
	Teams []string
	Users []string
}

// Requirements lists, per reviewer group and sorted by group name, what
// the plan's changes need that group to approve. A plan whose changes have
// no category policy.require names needs no approval: the result is empty.
func Requirements(p *plan.Plan, pol appreg.Policy) []Requirement {
	byGroup := map[string]*Requirement{}
	for _, c := range p.Changes {
		for _, cat := range c.Categories {
			group, ok := pol.Require[cat]
			if !ok {
				continue
			}
			r := byGroup[group]
			if r == nil {
				g := pol.Reviewers[group]
				r = &Requirement{
					Group: group, Required: max(g.Required, 1),
					Teams: slices.Clone(g.Teams), Users: slices.Clone(g.Users),
				}
				byGroup[group] = r
			}
			if !slices.Contains(r.Categories, cat) {
				r.Categories = append(r.Categories, cat)
			}
			if !slices.Contains(r.Registrations, c.Key) {
				r.Registrations = append(r.Registrations, c.Key)
			}
		}
	}
	out := make([]Requirement, 0, len(byGroup))
	for _, r := range byGroup {
		slices.SortFunc(r.Categories, func(a, b appreg.Category) int {
			return slices.Index(appreg.Categories, a) - slices.Index(appreg.Categories, b)
		})
		slices.Sort(r.Registrations)
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Requirement) int { return strings.Compare(a.Group, b.Group) })
	return out
}

// ChangeRequirements is Requirements for one change: what applying it
// needs.
func ChangeRequirements(c plan.Change, pol appreg.Policy) []Requirement {
	return Requirements(&plan.Plan{Changes: []plan.Change{c}}, pol)
}

// Verdict is what the reviews say about a plan's requirements.
type Verdict struct {
	// Approved is true when every group approved (and when nothing needs
	// approval).
	Approved bool
	// Groups has one entry per Requirement, in the same order.
	Groups []GroupVerdict
}

// GroupVerdict is one reviewer group's standing.
type GroupVerdict struct {
	Requirement
	// Approvers are the qualifying reviewers whose latest review approves
	// the head commit, sorted.
	Approvers []string
	// Missing is how many more approvals the group needs.
	Missing int
	// BlockedBy are the qualifying reviewers whose latest review on the
	// head commit requests changes; the group is not satisfied while there
	// are any.
	BlockedBy []string
	// Stale are qualifying reviewers whose latest review approved an
	// earlier commit: a push after an approval needs a new one.
	Stale []string
}

// Satisfied reports whether the group approved: enough approvals and no
// changes requested.
func (g GroupVerdict) Satisfied() bool { return g.Missing == 0 && len(g.BlockedBy) == 0 }

// Blocked reports whether a qualifying reviewer requested changes in some
// group.
func (v Verdict) Blocked() bool {
	for _, g := range v.Groups {
		if len(g.BlockedBy) > 0 {
			return true
		}
	}
	return false
}

// Evaluate reads reviews the way GitHub does and checks them against reqs:
//
//   - per user only the latest review counts, ignoring COMMENTED and
//     PENDING ones; a DISMISSED review cancels the user's standing;
//   - only a review of head, the pull request's head commit, counts: a push
//     after an approval needs a new one;
//   - the pull request's author never counts;
//   - a reviewer qualifies for a group when listed in its users or an
//     active member of one of its teams (isMember, asked only for reviews
//     that count; the caller caches it);
//   - a qualifying reviewer's CHANGES_REQUESTED blocks that group.
//
// reviews need not be sorted: they are ordered by SubmittedAt, keeping the
// given order for equal times.
func Evaluate(reqs []Requirement, reviews []Review, head, author string, isMember func(team, user string) bool) Verdict {
	sorted := slices.Clone(reviews)
	slices.SortStableFunc(sorted, func(a, b Review) int { return a.SubmittedAt.Compare(b.SubmittedAt) })
	latest := map[string]Review{}
	var order []string
	for _, rv := range sorted {
		key := strings.ToLower(rv.User)
		switch strings.ToUpper(rv.State) {
		case Approved, ChangesRequested:
			if _, seen := latest[key]; !seen {
				order = append(order, key)
			}
			latest[key] = rv
		case Dismissed:
			delete(latest, key)
		}
	}

	v := Verdict{Approved: true, Groups: make([]GroupVerdict, 0, len(reqs))}
	for _, req := range reqs {
		g := GroupVerdict{Requirement: req}
		for _, key := range order {
			rv, ok := latest[key]
			if !ok || author != "" && strings.EqualFold(rv.User, author) {
				continue
			}
			state := strings.ToUpper(rv.State)
			onHead := head != "" && strings.EqualFold(rv.CommitID, head)
			if !onHead && state != Approved {
				continue
			}
			if !qualifies(req, rv.User, isMember) {
				continue
			}
			switch {
			case !onHead:
				g.Stale = append(g.Stale, rv.User)
			case state == Approved:
				g.Approvers = append(g.Approvers, rv.User)
			default:
				g.BlockedBy = append(g.BlockedBy, rv.User)
			}
		}
		slices.Sort(g.Approvers)
		slices.Sort(g.BlockedBy)
		slices.Sort(g.Stale)
		g.Missing = max(0, max(req.Required, 1)-len(g.Approvers))
		if !g.Satisfied() {
			v.Approved = false
		}
		v.Groups = append(v.Groups, g)
	}
	return v
}

// qualifies reports whether user belongs to req's group: listed, or an
// active member of one of its teams.
func qualifies(req Requirement, user string, isMember func(team, user string) bool) bool {
	for _, u := range req.Users {
		if strings.EqualFold(u, user) {
			return true
		}
	}
	if isMember == nil {
		return false
	}
	for _, t := range req.Teams {
		if isMember(t, user) {
			return true
		}
	}
	return false
}

// MaxDescription is the longest commit status description GitHub accepts.
const MaxDescription = 140

// Description says in one line, at most MaxDescription characters, where
// the approval stands: "no approval required", "approved by alice
// (identity-admins)", "changes requested by carol (identity-admins)" or
// "needs 1 more approval from identity-admins (contoso/identity-admins)".
func (v Verdict) Description() string {
	if len(v.Groups) == 0 {
		return "no approval required"
	}
	var blocked, missing, approved []string
	for _, g := range v.Groups {
		switch {
		case len(g.BlockedBy) > 0:
			blocked = append(blocked, fmt.Sprintf("%s (%s)", strings.Join(g.BlockedBy, ", "), g.Group))
		case g.Missing > 0:
			s := fmt.Sprintf("%d more approval", g.Missing)
			if g.Missing > 1 {
				s += "s"
			}
			s += " from " + g.Group
			if who := g.members(); who != "" {
				s += " (" + who + ")"
			}
			missing = append(missing, s)
		default:
			approved = append(approved, fmt.Sprintf("%s (%s)", strings.Join(g.Approvers, ", "), g.Group))
		}
	}
	var parts []string
	if len(blocked) > 0 {
		parts = append(parts, "changes requested by "+strings.Join(blocked, "; "))
	}
	if len(missing) > 0 {
		parts = append(parts, "needs "+strings.Join(missing, "; "))
	}
	if len(parts) == 0 {
		parts = append(parts, "approved by "+strings.Join(approved, "; "))
	}
	return truncate(strings.Join(parts, "; "), MaxDescription)
}

// members names a group's teams and users for people.
func (g GroupVerdict) members() string {
	return strings.Join(append(slices.Clone(g.Teams), g.Users...), ", ")
}

// ChangeApproved reports whether the change to registration key is
// approved: every group whose requirement names it is satisfied. Otherwise
// reason says what is missing, like Description.
func (v Verdict) ChangeApproved(key string) (ok bool, reason string) {
	var open Verdict
	for _, g := range v.Groups {
		if slices.Contains(g.Registrations, key) && !g.Satisfied() {
			open.Groups = append(open.Groups, g)
		}
	}
	if len(open.Groups) == 0 {
		return true, ""
	}
	return false, open.Description()
}

// truncate shortens s to at most n characters, ending in "…" when
// shortened.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// DefaultGroup is the reviewer group that approves the built-in categories
// (appreg.BuiltInApproval) appreg.yaml does not send to a group of its own:
// every member of every group it declares, one approval. When appreg.yaml
// declares one group, that group approves them.
const DefaultGroup = "reviewers"

// Effective is the policy a change is judged by: base, the policy of the
// commit the change is made against (a pull request's base; nil when it
// cannot be known, then head's), with the built-in categories added where
// base does not name them. A pull request's own appreg.yaml (head) never
// loosens what judges it: its changes to the policy are a change of their
// own (policy-change), approved under base. org, when set, pins reviewer
// groups and categories that no repository can loosen.
func Effective(base, head *appreg.Policy, org *appreg.OrgPolicy) appreg.Policy {
	src := base
	if src == nil {
		src = head
	}
	out := appreg.Policy{
		Reviewers:  map[string]appreg.ReviewerGroup{},
		Require:    map[appreg.Category]string{},
		Privileged: src.Privileged,
		Secrets:    src.Secrets,
		Redirects:  src.Redirects,
	}
	for k, g := range src.Reviewers {
		out.Reviewers[k] = g
	}
	for k, g := range src.Require {
		out.Require[k] = g
	}
	if org != nil {
		for k, g := range org.Reviewers {
			out.Reviewers[k] = g
		}
		for k, g := range org.Require {
			out.Require[k] = g
		}
	}
	fallback := DefaultGroup
	if len(out.Reviewers) == 1 {
		for name := range out.Reviewers {
			fallback = name // the one group is everyone
		}
	}
	for _, c := range appreg.BuiltInApproval {
		if _, ok := out.Require[c]; !ok {
			out.Require[c] = fallback
		}
	}
	if _, ok := out.Reviewers[fallback]; !ok {
		out.Reviewers[fallback] = everyone(out.Reviewers)
	}
	return out
}

// everyone is a group of every member of groups, one approval. With no
// groups it has no member, so what it must approve is never approved.
func everyone(groups map[string]appreg.ReviewerGroup) appreg.ReviewerGroup {
	var g appreg.ReviewerGroup
	for _, x := range groups {
		for _, t := range x.Teams {
			if !slices.Contains(g.Teams, t) {
				g.Teams = append(g.Teams, t)
			}
		}
		for _, u := range x.Users {
			if !slices.Contains(g.Users, u) {
				g.Users = append(g.Users, u)
			}
		}
	}
	slices.Sort(g.Teams)
	slices.Sort(g.Users)
	g.Required = 1
	return g
}

// CheckPrefix says why repo may not use namePrefix prefix under the
// organisation's policy org (nil: none), or returns nil.
func CheckPrefix(org *appreg.OrgPolicy, repo, prefix string) error {
	if org == nil || len(org.Prefixes) == 0 {
		return nil
	}
	want, ok := org.Prefixes[strings.ToLower(repo)]
	switch {
	case !ok:
		return fmt.Errorf("the organisation policy gives repository %s no namePrefix: ask its owners to add it", repo)
	case want != prefix:
		return fmt.Errorf("appreg.yaml sets namePrefix %q, but the organisation policy gives repository %s the namePrefix %q", prefix, repo, want)
	}
	return nil
}
