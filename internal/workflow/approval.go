package workflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/policy"
)

// Teams reads GitHub team membership.
type Teams interface {
	// TeamMember reports whether user is an active member of team slug in
	// org. An error wrapping ErrTeamUnreadable means the token may not read
	// the team's membership.
	TeamMember(ctx context.Context, org, slug, user string) (bool, error)
}

// ErrTeamUnreadable is what a Teams implementation wraps when GitHub
// refuses to show a team's membership (403): a workflow's GITHUB_TOKEN
// cannot read organisation teams. Approval then falls back to the users a
// reviewer group lists.
var ErrTeamUnreadable = errors.New("the token may not read team membership (it needs organization members: read)")

// Members answers team membership questions for one run through Teams,
// asking GitHub at most once per team and user. A lookup that fails counts
// as "not a member": approval fails closed.
type Members struct {
	teams Teams

	mu         sync.Mutex
	known      map[string]bool // "org/slug\x00user" (lower case)
	unreadable map[string]bool // teams GitHub refused to show (403)
	errs       []error
}

// NewMembers returns an empty cache over t; a nil t reads no team at all.
func NewMembers(t Teams) *Members {
	return &Members{teams: t, known: map[string]bool{}, unreadable: map[string]bool{}}
}

// IsMember reports whether user is an active member of team ("org/slug").
func (m *Members) IsMember(ctx context.Context, team, user string) bool {
	key := strings.ToLower(team) + "\x00" + strings.ToLower(user)
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.known[key]; ok {
		return v
	}
	if m.unreadable[strings.ToLower(team)] {
		return false
	}
	org, slug, _ := strings.Cut(team, "/")
	var ok bool
	var err error
	if m.teams == nil {
		err = ErrTeamUnreadable
	} else {
		ok, err = m.teams.TeamMember(ctx, org, slug, user)
	}
	switch {
	case errors.Is(err, ErrTeamUnreadable):
		m.unreadable[strings.ToLower(team)] = true
		return false
	case err != nil:
		m.errs = append(m.errs, fmt.Errorf("checking whether %s is in team %s: %w", user, team, err))
	}
	m.known[key] = ok
	return ok
}

// Unreadable lists, sorted, the teams whose membership the token could not
// read: for them only a group's listed users counted.
func (m *Members) Unreadable() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for t := range m.unreadable {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Err joins the lookups that failed for another reason than
// ErrTeamUnreadable; those reviewers were not counted.
func (m *Members) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return errors.Join(m.errs...)
}

// Reviewed is a pull request's reviews, as approval reads them.
type Reviewed struct {
	// Number is the pull request's number.
	Number int
	// Head is its head commit (for a merged pull request, its last one):
	// only reviews of it count.
	Head string
	// Author is the login that opened it; its own approval never counts.
	Author  string
	Reviews []policy.Review
}

// Approval is where a plan's approval stands.
type Approval struct {
	Verdict policy.Verdict
	// Unreadable lists the teams whose membership could not be read, so
	// that only listed users counted for them.
	Unreadable []string
}

// Approve evaluates the plan's requirements under pol against the reviews,
// asking m about team membership. The error reports membership lookups
// that failed (the reviewers concerned were not counted); the approval is
// valid either way.
func Approve(ctx context.Context, p *plan.Plan, pol appreg.Policy, rv Reviewed, m *Members) (Approval, error) {
	reqs := policy.Requirements(p, pol)
	v := policy.Evaluate(reqs, rv.Reviews, rv.Head, rv.Author, func(team, user string) bool { return m.IsMember(ctx, team, user) })
	return Approval{Verdict: v, Unreadable: m.Unreadable()}, m.Err()
}

// Gate decides whether apply may make change c. A refused change is not
// applied: it is reported in Result.Refused with reason and hint.
type Gate func(ctx context.Context, c plan.Change) (ok bool, reason, hint string)

// ApprovalGate is a Gate that lets through the changes pol requires no
// approval for and those rv approves. rv nil means there is no reviewed
// pull request (a direct push, or one that could not be read): then every
// change that needs approval is refused, with why as the reason.
func ApprovalGate(pol appreg.Policy, rv *Reviewed, why string, m *Members) Gate {
	return func(ctx context.Context, c plan.Change) (bool, string, string) {
		reqs := policy.ChangeRequirements(c, pol)
		if len(reqs) == 0 {
			return true, "", ""
		}
		if rv == nil {
			return false, fmt.Sprintf("%s: %s need %s", why, changeCategories(reqs), needs(reqs)),
				"merge the change through a pull request that the reviewers approve, or have an operator run appreg apply"
		}
		v := policy.Evaluate(reqs, rv.Reviews, rv.Head, rv.Author, func(team, user string) bool { return m.IsMember(ctx, team, user) })
		if ok, reason := v.ChangeApproved(c.Key); !ok {
			return false, fmt.Sprintf("not approved on pull request #%d (last commit %s): %s", rv.Number, shortSHA(rv.Head), reason),
				fmt.Sprintf("an approval of pull request #%d's last commit, then re-running this apply, applies it; or an operator runs appreg apply", rv.Number)
		}
		return true, "", ""
	}
}

// changeCategories names the categories of reqs: "application-permission
// and admin-consent changes".
func changeCategories(reqs []policy.Requirement) string {
	var cats []string
	for _, r := range reqs {
		for _, c := range r.Categories {
			if !slices.Contains(cats, string(c)) {
				cats = append(cats, string(c))
			}
		}
	}
	if len(cats) == 1 {
		return cats[0] + " changes"
	}
	return strings.Join(cats[:len(cats)-1], ", ") + " and " + cats[len(cats)-1] + " changes"
}

// needs says who must approve reqs: "1 approval from identity-admins
// (contoso/identity-admins)".
func needs(reqs []policy.Requirement) string {
	var out []string
	for _, r := range reqs {
		s := fmt.Sprintf("%d approval", r.Required)
		if r.Required != 1 {
			s += "s"
		}
		s += " from " + r.Group
		if who := append(slices.Clone(r.Teams), r.Users...); len(who) > 0 {
			s += " (" + strings.Join(who, ", ") + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, " and ")
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
