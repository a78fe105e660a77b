package workflow

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/policy"
	"github.com/appreg/appreg/internal/render"
	"github.com/appreg/appreg/internal/spec"
)

// plan plans and reports on pr (nil outside pull requests). review is set
// on pull_request_review events: the appreg/plan status is left alone.
func (r *run) plan(ctx context.Context, pr *PullRequest, review bool) error {
	sha := r.ev.SHA
	if pr != nil {
		sha = pr.HeadSHA
		r.log = r.log.With("pr", pr.Number)
	}
	title := r.title("appreg plan", sha)
	if pr != nil && pr.Fork {
		return r.forkPlan(ctx, pr, title)
	}
	st := &statuses{r: r, pr: pr, review: review}
	st.plan(ctx, StatePending, "Planning…")
	loaded, diags := r.load()
	if diags.HasErrors() {
		md := render.InvalidMarkdown(title, diags, "Nothing was planned: fix them and push again.")
		errs := []error{invalidError(diags), r.comment(ctx, pr, PlanMarker, []string{md})}
		st.plan(ctx, StateFailure, plural(render.ErrorCount(diags), "error", "errors")+" in the registration files")
		st.approval(ctx, StateError, "not evaluated: the registration files have errors")
		r.summary(md)
		r.output("has-changes", "false")
		return errors.Join(errs...)
	}
	var base *plan.Base
	if pr != nil {
		base = r.base(ctx, pr.BaseSHA)
	}
	p, err := r.readPlan(ctx, loaded, base)
	if err != nil {
		err = fmt.Errorf("planning: %w", err)
		md := render.FailureMarkdown(title, "The plan failed", r.redact(err.Error()), r.ev.RunURL, true)
		cerr := r.comment(ctx, pr, PlanMarker, []string{md})
		st.plan(ctx, StateError, "The plan failed: "+firstLine(r.redact(err.Error())))
		st.approval(ctx, StateError, "not evaluated: the plan failed")
		r.summary(md)
		return errors.Join(err, cerr)
	}
	r.rep.Plan = p
	r.rep.annotate(p.Diagnostics)
	r.rep.annotate(adviceWarnings(p))
	r.logText("Plan", func(b *strings.Builder) error { return render.PlanText(b, p, render.Options{}) })

	ro := render.Options{Repo: r.ev.Repo, Commit: sha}
	var errs []error
	var section string
	if pr != nil {
		pol := r.policyOf(loaded, base)
		pusher := r.pusherOf(ctx, pr)
		section = r.approve(ctx, pr, st, p, pol, pusher)
		parts := render.WithSection(render.PlanMarkdown(p, ro), section)
		parts[0] += render.FingerprintLine(p.Fingerprint)
		parts = render.WithHidden(parts, shownLines(p, pol, pusher))
		errs = append(errs, r.comment(ctx, pr, PlanMarker, parts))
		if n := render.ErrorCount(p.Diagnostics); n > 0 {
			st.plan(ctx, StateFailure, "The plan has "+plural(n, "error", "errors")+": see the pull request comment")
		} else {
			st.plan(ctx, StateSuccess, planLine(p))
		}
	}
	summary := render.StepSummary(p, ro)
	if section != "" {
		summary += "\n" + section
	}
	r.summary(summary)
	r.output("has-changes", strconv.FormatBool(p.HasChanges()))
	if r.drift {
		errs = append(errs, r.reportDrift(ctx, p))
	}
	if n := render.ErrorCount(p.Diagnostics); n > 0 {
		errs = append(errs, &PlanErrorsError{Errors: n})
	}
	return errors.Join(errs...)
}

// PlanErrorsError is the error of a run whose plan has errors (unknown
// owners, permissions the tenant does not offer); they were reported.
type PlanErrorsError struct{ Errors int }

func (e *PlanErrorsError) Error() string {
	return fmt.Sprintf("the plan has %s (annotated on the files)", plural(e.Errors, "error", "errors"))
}

// readPlan builds the Graph client and plans against base.
func (r *run) readPlan(ctx context.Context, loaded *spec.Result, base *plan.Base) (*plan.Plan, error) {
	if err := r.checkOrg(loaded); err != nil {
		return nil, err
	}
	g, err := r.graph(ctx)
	if err != nil {
		return nil, err
	}
	return PlanAgainst(ctx, g, loaded, r.d.Now, base)
}

// forkPlan answers a pull request from a fork: it cannot be planned, but
// its files can be validated.
func (r *run) forkPlan(ctx context.Context, pr *PullRequest, title string) error {
	loaded, diags := r.load()
	md := render.ForkMarkdown(title, diags, len(loaded.Desired.Registrations))
	if err := r.comment(ctx, pr, PlanMarker, []string{md}); err != nil {
		// Fork pull requests usually get a read-only GITHUB_TOKEN.
		r.warn("Could not comment on the pull request from a fork (its GITHUB_TOKEN is usually read-only): %v", err)
	}
	r.summary(md)
	r.output("has-changes", "false")
	r.info("Pull request #%d comes from a fork: not planned, because GitHub gives fork pull requests no repository credentials.", pr.Number)
	if diags.HasErrors() {
		return invalidError(diags)
	}
	return nil
}

// approve evaluates the reviews of pr against what plan p needs approved,
// sets the appreg/approval status on its head commit and returns the
// Approval section of the plan comment.
func (r *run) approve(ctx context.Context, pr *PullRequest, st *statuses, p *plan.Plan, pol appreg.Policy, pusher string) string {
	reqs := policy.Requirements(p, pol)
	if len(reqs) == 0 {
		st.approval(ctx, StateSuccess, "no approval required")
		return render.ApprovalMarkdown(render.Approval{})
	}
	data := render.Approval{Head: shortSHA(pr.HeadSHA)}
	var reviews []policy.Review
	err := errors.New("no GitHub client configured for reviews")
	if r.d.Reviews != nil {
		reviews, err = r.d.Reviews.ListReviews(ctx, r.ev.Repo, pr.Number)
	}
	if err != nil {
		r.warn("Could not read the reviews of pull request #%d (does the workflow grant pull-requests: read?): %v", pr.Number, err)
		st.approval(ctx, StateError, "could not read the pull request's reviews")
		data.Error = "The reviews could not be read, so approval was not evaluated: see the run log."
		data.Groups = approvalGroups(policy.Evaluate(reqs, nil, "", "", nil))
		return render.ApprovalMarkdown(data)
	}
	members := NewMembers(r.d.Teams)
	a, _ := Approve(ctx, p, pol, Reviewed{Number: pr.Number, Head: pr.HeadSHA, Author: pr.Author, Reviews: withoutPusher(reviews, pusher)}, members)
	r.membershipWarnings(members)
	v := a.Verdict
	state := StatePending
	switch {
	case v.Approved:
		state = StateSuccess
	case v.Blocked():
		state = StateFailure
	}
	st.approval(ctx, state, v.Description())
	r.info("Approval (%s): %s.", ApprovalContext, v.Description())
	data.Groups = approvalGroups(v)
	data.Unreadable = a.Unreadable
	return render.ApprovalMarkdown(data)
}

// approvalGroups is the verdict as the Approval section shows it.
func approvalGroups(v policy.Verdict) []render.ApprovalGroup {
	var out []render.ApprovalGroup
	for _, g := range v.Groups {
		cats := make([]string, len(g.Categories))
		for i, c := range g.Categories {
			cats[i] = string(c)
		}
		out = append(out, render.ApprovalGroup{
			Group: g.Group, Teams: g.Teams, Users: g.Users, Required: g.Required, Keys: g.Registrations,
			Categories: cats, Approvers: g.Approvers, Stale: g.Stale, BlockedBy: g.BlockedBy, Missing: g.Missing,
		})
	}
	return out
}

// membershipWarnings says which team memberships could not be read.
func (r *run) membershipWarnings(m *Members) {
	if teams := m.Unreadable(); len(teams) > 0 {
		r.warn("Could not read the membership of %s: GitHub refused (403), and a workflow's GITHUB_TOKEN cannot read organisation teams. Only the users the reviewer groups list count. Give the action a GitHub App or personal access token with organization members: read as secrets-token.", strings.Join(teams, ", "))
	}
	if err := m.Err(); err != nil {
		r.warn("Some team memberships could not be checked, so those reviewers were not counted: %v", err)
	}
}

// comment keeps the sticky comment marker on pr up to date with parts.
func (r *run) comment(ctx context.Context, pr *PullRequest, marker string, parts []string) error {
	if pr == nil {
		return nil
	}
	if r.d.Comments == nil {
		return errors.New("no GitHub client configured for comments")
	}
	for i := range parts {
		parts[i] = r.redact(parts[i])
	}
	ids, err := r.d.Comments.UpsertStickyComment(ctx, r.ev.Repo, pr.Number, marker, parts)
	if err != nil {
		return fmt.Errorf("commenting on pull request #%d: %w", pr.Number, err)
	}
	r.log.Info("commented on the pull request", "marker", marker, "comments", len(ids))
	return nil
}

// newComment adds parts as new comments on pr, each headed by marker (and
// "part i/n" when there are several).
func (r *run) newComment(ctx context.Context, pr *PullRequest, marker string, parts []string) error {
	if pr == nil {
		return nil
	}
	if r.d.Comments == nil {
		return errors.New("no GitHub client configured for comments")
	}
	key := strings.TrimSuffix(strings.TrimPrefix(marker, "<!-- "), " -->")
	for i, p := range parts {
		head := marker
		if len(parts) > 1 {
			head = fmt.Sprintf("<!-- %s part %d/%d -->", key, i+1, len(parts))
		}
		if _, err := r.d.Comments.CreateComment(ctx, r.ev.Repo, pr.Number, head+"\n"+r.redact(p)); err != nil {
			return fmt.Errorf("commenting on pull request #%d: %w", pr.Number, err)
		}
	}
	r.log.Info("commented on the pull request", "marker", marker, "comments", len(parts))
	return nil
}

// statuses sets the commit statuses of one pull request's head commit. A
// failure is a warning, not fatal: the comment carries the same news.
type statuses struct {
	r  *run
	pr *PullRequest
	// review is set on review events, which do not change the plan's
	// standing: appreg/plan is left alone.
	review bool
}

func (s *statuses) plan(ctx context.Context, state, description string) {
	if !s.review {
		s.set(ctx, StatusContext, state, description)
	}
}

func (s *statuses) approval(ctx context.Context, state, description string) {
	s.set(ctx, ApprovalContext, state, description)
}

func (s *statuses) set(ctx context.Context, context, state, description string) {
	r := s.r
	if s.pr == nil || s.pr.HeadSHA == "" || r.d.Statuses == nil {
		return
	}
	st := Status{State: state, Context: context, Description: description, TargetURL: r.ev.RunURL}
	if err := r.d.Statuses.SetStatus(ctx, r.ev.Repo, s.pr.HeadSHA, st); err != nil {
		r.warn("Could not set the %s status (does the workflow grant statuses: write?): %v", context, err)
	}
}
