package action

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/policy"
	"github.com/appreg/appreg/internal/render"
	"github.com/appreg/appreg/internal/workflow"
)

// approve evaluates the reviews of pr against what plan p needs approved,
// sets the appreg/approval status on its head commit and returns the
// Approval section of the plan comment.
func (r *run) approve(ctx context.Context, pr *pullRequest, p *plan.Plan, pol appreg.Policy) string {
	reqs := policy.Requirements(p, pol)
	if len(reqs) == 0 {
		r.approvalStatus(ctx, pr, StateSuccess, "no approval required")
		return approvalMarkdown(approvalData{})
	}
	data := approvalData{Head: shortSHA(pr.HeadSHA)}
	var reviews []policy.Review
	err := errors.New("no GitHub client configured for reviews")
	if r.d.Reviews != nil {
		reviews, err = r.d.Reviews.ListReviews(ctx, r.o.Repository, pr.Number)
	}
	if err != nil {
		r.warn("Could not read the reviews of pull request #%d (does the workflow grant pull-requests: read?): %v", pr.Number, err)
		r.approvalStatus(ctx, pr, StateError, "could not read the pull request's reviews")
		data.Error = "The reviews could not be read, so approval was not evaluated: see the run log."
		data.Groups = groupRows(policy.Evaluate(reqs, nil, "", "", nil))
		return approvalMarkdown(data)
	}
	members := workflow.NewMembers(r.d.Teams)
	a, _ := workflow.Approve(ctx, p, pol, workflow.Reviewed{Number: pr.Number, Head: pr.HeadSHA, Author: pr.Author, Reviews: reviews}, members)
	r.membershipWarnings(members)
	v := a.Verdict
	state := StatePending
	switch {
	case v.Approved:
		state = StateSuccess
	case v.Blocked():
		state = StateFailure
	}
	r.approvalStatus(ctx, pr, state, v.Description())
	r.info("Approval (%s): %s.", ApprovalContext, v.Description())
	data.Groups = groupRows(v)
	data.Unreadable = a.Unreadable
	return approvalMarkdown(data)
}

// membershipWarnings says which team memberships could not be read.
func (r *run) membershipWarnings(m *workflow.Members) {
	if teams := m.Unreadable(); len(teams) > 0 {
		r.warn("Could not read the membership of %s: GitHub refused (403), and a workflow's GITHUB_TOKEN cannot read organisation teams. Only the users the reviewer groups list count. Give the action a GitHub App or personal access token with organization members: read as secrets-token.", strings.Join(teams, ", "))
	}
	if err := m.Err(); err != nil {
		r.warn("Some team memberships could not be checked, so those reviewers were not counted: %v", err)
	}
}

// refusalWarning annotates the run when changes were refused.
func (r *run) refusalWarning(res *plan.Result) {
	if len(res.Refused) == 0 {
		return
	}
	keys := make([]string, len(res.Refused))
	for i, ref := range res.Refused {
		keys[i] = ref.Key
	}
	r.warn("Not applied (refused): %s. The result says why.", strings.Join(keys, ", "))
}

// approvalGate is the apply's gate: the changes pol requires approval for
// pass only if the merged pull request's reviews approve its last commit.
// The pull request and its reviews are read once, when the first such
// change is asked about; merged nil (why says why) refuses them all.
func (r *run) approvalGate(merged *pullRequest, why string, pol appreg.Policy, members *workflow.Members) workflow.Gate {
	if len(pol.Require) == 0 {
		return nil
	}
	var inner workflow.Gate
	return func(ctx context.Context, c plan.Change) (bool, string, string) {
		if len(policy.ChangeRequirements(c, pol)) == 0 {
			return true, "", ""
		}
		if inner == nil {
			rv, reason := r.reviewed(ctx, merged, why)
			inner = workflow.ApprovalGate(pol, rv, reason, members)
		}
		return inner(ctx, c)
	}
}

// reviewed reads the merged pull request's last head commit, author and
// reviews; nil and why when there is none or it cannot be read.
func (r *run) reviewed(ctx context.Context, merged *pullRequest, why string) (*workflow.Reviewed, string) {
	if merged == nil {
		return nil, why
	}
	if r.d.Reviews == nil {
		return nil, fmt.Sprintf("the reviews of pull request #%d could not be read (no GitHub client configured)", merged.Number)
	}
	info, err := r.d.Reviews.PullRequest(ctx, r.o.Repository, merged.Number)
	var reviews []policy.Review
	if err == nil {
		reviews, err = r.d.Reviews.ListReviews(ctx, r.o.Repository, merged.Number)
	}
	if err != nil {
		r.warn("Could not read pull request #%d and its reviews, so changes that need approval are refused (does the workflow grant pull-requests: read?): %v", merged.Number, err)
		return nil, fmt.Sprintf("the reviews of pull request #%d could not be read", merged.Number)
	}
	return &workflow.Reviewed{Number: merged.Number, Head: info.HeadSHA, Author: info.Author, Reviews: reviews}, ""
}

// approvalData is what the approval template shows.
type approvalData struct {
	// Groups is empty when nothing needs approval.
	Groups     []groupRow
	Head       string
	Unreadable []string
	Error      string
}

type groupRow struct {
	Group, Members, Changes, Approvers, Standing string
	Stale                                        string
}

// maxListedKeys is how many registrations an approval row names.
const maxListedKeys = 10

func groupRows(v policy.Verdict) []groupRow {
	var rows []groupRow
	for _, g := range v.Groups {
		who := append(append([]string{}, g.Teams...), g.Users...)
		keys := g.Registrations
		more := ""
		if len(keys) > maxListedKeys {
			more = fmt.Sprintf(" and %d more", len(keys)-maxListedKeys)
			keys = keys[:maxListedKeys]
		}
		cats := make([]string, len(g.Categories))
		for i, c := range g.Categories {
			cats[i] = string(c)
		}
		row := groupRow{
			Group:     g.Group,
			Members:   fmt.Sprintf("%d of %s", g.Required, strings.Join(who, ", ")),
			Changes:   strings.Join(keys, ", ") + more + " (" + strings.Join(cats, ", ") + ")",
			Approvers: strings.Join(g.Approvers, ", "),
			Stale:     strings.Join(g.Stale, ", "),
		}
		switch {
		case len(g.BlockedBy) > 0:
			row.Standing = "❌ changes requested by " + strings.Join(g.BlockedBy, ", ")
		case g.Missing > 0:
			row.Standing = "⏳ needs " + plural(g.Missing, "more approval", "more approvals")
		default:
			row.Standing = "✅ approved"
		}
		rows = append(rows, row)
	}
	return rows
}

func approvalMarkdown(d approvalData) string {
	return strings.TrimRight(exec("approval", d), "\n") + "\n"
}

// withSection appends section to the last part of a comment, or as a part
// of its own when the last part has no room left.
func withSection(parts []string, section string) []string {
	if len(parts) == 0 {
		return []string{section}
	}
	last := parts[len(parts)-1] + "\n" + section
	// The marker and "part i/n" the comment adds take well under 100.
	if utf8.RuneCountInString(last) > render.MaxCommentSize-100 {
		return append(parts, section)
	}
	out := append([]string{}, parts[:len(parts)-1]...)
	return append(out, last)
}
