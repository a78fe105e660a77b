package workflow

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/policy"
	"github.com/appreg/appreg/internal/render"
	"github.com/appreg/appreg/internal/rotate"
	"github.com/appreg/appreg/internal/spec"
)

// ApplyMerge applies a push to the default branch and comments the result
// on the pull request whose merge produced the pushed commit. Every change
// that the policy says needs approval is applied only if the reviews of
// that pull request approve it; otherwise it is refused and reported, and
// the rest is applied.
func ApplyMerge(ctx context.Context, d Deps, ev Event) (*Report, error) {
	r := newRun(d, ev)
	return r.rep, r.apply(ctx)
}

// apply applies the files and reports on the merged pull request.
func (r *run) apply(ctx context.Context) error {
	sha := r.ev.SHA
	title := r.title("appreg apply", sha)
	if r.ev.Name == "push" {
		if old, err := r.stale(ctx); err != nil || old {
			return err
		}
	}
	merged, why := r.mergedPullRequest(ctx, sha)
	// The result is commented on the merged pull request of a push; other
	// events (workflow_dispatch, schedule) use it only for approval.
	var pr *PullRequest
	if r.ev.Name == "push" {
		pr = merged
	}
	loaded, diags := r.load()
	if diags.HasErrors() {
		md := render.InvalidMarkdown(title, diags, "Nothing was applied: fix them and merge the fix.")
		err := errors.Join(invalidError(diags), r.newComment(ctx, pr, ApplyMarker, []string{md}))
		r.summary(md)
		return err
	}
	if err := r.checkOrg(loaded); err != nil {
		md := render.FailureMarkdown(title, "The apply failed before changing anything", err.Error(), r.ev.RunURL, false)
		r.summary(md)
		return errors.Join(fmt.Errorf("applying: %w", err), r.newComment(ctx, pr, ApplyMarker, []string{md}))
	}
	base := r.base(ctx, r.ev.Before)
	members := NewMembers(r.d.Teams)
	p, res, err := r.applyGated(ctx, r.policyOf(loaded, base), merged, why, members, loaded, base)
	if err != nil {
		err = fmt.Errorf("applying: %w", err)
		md := render.FailureMarkdown(title, "The apply failed before changing anything", r.redact(err.Error()), r.ev.RunURL, false)
		cerr := r.newComment(ctx, pr, ApplyMarker, []string{md})
		r.summary(md)
		return errors.Join(err, cerr)
	}
	r.rep.Plan, r.rep.Result = p, res
	r.rep.annotate(p.Diagnostics)
	r.membershipWarnings(members)
	r.refusalWarning(res)
	r.logText("Apply", func(b *strings.Builder) error { return render.ResultText(b, res, render.Options{}) })

	parts := render.ResultMarkdown(res, render.Options{Repo: r.ev.Repo, Commit: sha})
	errs := []error{r.newComment(ctx, pr, ApplyMarker, parts)}
	r.summary(render.JoinForSummary(parts))
	r.output("has-changes", strconv.FormatBool(p.HasChanges()))
	if res.Failed() {
		errs = append(errs, applyFailure(res))
	}
	if n := render.ErrorCount(p.Diagnostics); n > 0 {
		errs = append(errs, fmt.Errorf("the plan has %s; those registrations were not applied", plural(n, "error", "errors")))
	}
	return errors.Join(errs...)
}

// applyGated builds the clients and applies, gated on the approval of
// merged.
func (r *run) applyGated(ctx context.Context, pol appreg.Policy, merged *PullRequest, why string, members *Members, loaded *spec.Result, base *plan.Base) (*plan.Plan, *plan.Result, error) {
	g, err := r.graph(ctx)
	if err != nil {
		return nil, nil, err
	}
	var rot *rotate.Rotator
	if r.d.Rotator != nil {
		if rot, err = r.d.Rotator(ctx); err != nil {
			return nil, nil, err
		}
	}
	gate := r.approvalGate(merged, why, pol, members)
	expected := r.reviewedFingerprint(ctx, merged)
	return Apply(ctx, g, loaded, ApplyOptions{Logger: r.log, Rotator: rot, Gate: gate, Expected: expected, Now: r.d.Now, Base: base})
}

// applyFailure is the error of an apply that failed for some
// registrations or secrets.
func applyFailure(res *plan.Result) error {
	n, secrets := 0, 0
	for _, oc := range res.Outcomes {
		if oc.Status == plan.Failed {
			n++
		}
	}
	for _, s := range res.Secrets {
		if s.Error != "" {
			secrets++
		}
	}
	what := plural(n, "registration", "registrations")
	if secrets > 0 {
		what += " and " + plural(secrets, "client secret", "client secrets")
	}
	return fmt.Errorf("the apply failed for %s: see the log above", what)
}

// mergedPullRequest finds the pull request whose merge made sha, for the
// result comment and the approval gate. A direct push has none; why then
// says so, for the gate's refusals. A lookup failure costs the comment, and
// the changes that need approval.
func (r *run) mergedPullRequest(ctx context.Context, sha string) (pr *PullRequest, why string) {
	if r.d.PullRequests == nil || sha == "" {
		return nil, "no reviewed pull request (the run names no commit)"
	}
	n, found, err := r.d.PullRequests.MergedPullRequest(ctx, r.ev.Repo, sha)
	switch {
	case err != nil:
		r.warn("Could not find the pull request merged as %s, so the result is only in the step summary and changes that need approval are refused: %v", shortSHA(sha), err)
		return nil, fmt.Sprintf("no reviewed pull request (looking up the pull request merged as %s failed)", shortSHA(sha))
	case !found:
		if r.ev.Name == "push" {
			r.info("No pull request was merged as %s (a direct push?): the result is only in the step summary.", shortSHA(sha))
			return nil, "no reviewed pull request (a direct push)"
		}
		r.info("No pull request was merged as %s: changes that need approval are refused.", shortSHA(sha))
		return nil, fmt.Sprintf("no reviewed pull request (no pull request was merged as %s)", shortSHA(sha))
	}
	r.log = r.log.With("pr", n)
	return &PullRequest{Number: n}, ""
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
//
// An approval is for a change, not a pull request: a change that needs
// approval passes only if the merged pull request's plan comment (appreg's
// own) showed the same change, by fingerprint; the reviews of the last
// pusher of its head commit do not count.
func (r *run) approvalGate(merged *PullRequest, why string, pol appreg.Policy, members *Members) Gate {
	if len(pol.Require) == 0 {
		return nil
	}
	var inner Gate
	var seen shown
	return func(ctx context.Context, c plan.Change) (bool, string, string) {
		if len(policy.ChangeRequirements(c, pol)) == 0 {
			return true, "", ""
		}
		if inner == nil {
			rv, reason := r.reviewed(ctx, merged, why)
			if rv != nil {
				var err error
				if seen, err = r.shownOn(ctx, rv.Number); err != nil {
					r.warn("Could not read the plan comment of pull request #%d, so changes that need approval are refused: %v", rv.Number, err)
				}
				rv.Reviews = withoutPusher(rv.Reviews, seen.pusher)
			}
			inner = ApprovalGate(pol, rv, reason, members)
		}
		if merged != nil && !seen.showed(c) {
			return false, fmt.Sprintf("pull request #%d did not show this change to its reviewers (its plan comment has %s)", merged.Number, shownAs(seen, c.Key)),
				"open a pull request that shows the change, have it approved and merged; or an operator runs appreg apply"
		}
		return inner(ctx, c)
	}
}

func shownAs(s shown, key string) string {
	if s.changes[key] == "" {
		return "no change of " + key + " needing approval"
	}
	return "a different change of " + key
}

// stale reports whether the pushed commit is no longer the head of the
// default branch (an older push, redelivered or late): it is reported and
// skipped, so that it cannot roll the tenant back. An unknown head refuses
// the apply.
func (r *run) stale(ctx context.Context) (bool, error) {
	if r.d.Branches == nil {
		return true, fmt.Errorf("cannot check that %s is the head of %s (no GitHub client configured): nothing was applied", shortSHA(r.ev.SHA), r.ev.DefaultBranch)
	}
	head, err := r.d.Branches.BranchHead(ctx, r.ev.Repo, r.ev.DefaultBranch)
	if err != nil {
		return true, fmt.Errorf("reading the head of %s to check that %s is current: %w; nothing was applied", r.ev.DefaultBranch, shortSHA(r.ev.SHA), err)
	}
	if !strings.EqualFold(head, r.ev.SHA) {
		r.warn("%s is no longer the head of %s (it is at %s now): an older push is not applied, so that it cannot roll the tenant back. The push of %s applies the current files.",
			shortSHA(r.ev.SHA), r.ev.DefaultBranch, shortSHA(head), shortSHA(head))
		r.summary(r.title("appreg apply", r.ev.SHA) + fmt.Sprintf("⏭️ Skipped: %s is no longer the head of %s (now %s).\n", shortSHA(r.ev.SHA), r.ev.DefaultBranch, shortSHA(head)))
		return true, nil
	}
	return false, nil
}

// reviewed reads the merged pull request's last head commit, author and
// reviews; nil and why when there is none or it cannot be read.
func (r *run) reviewed(ctx context.Context, merged *PullRequest, why string) (*Reviewed, string) {
	if merged == nil {
		return nil, why
	}
	if r.d.Reviews == nil {
		return nil, fmt.Sprintf("the reviews of pull request #%d could not be read (no GitHub client configured)", merged.Number)
	}
	info, err := r.d.Reviews.PullRequest(ctx, r.ev.Repo, merged.Number)
	var reviews []policy.Review
	if err == nil {
		reviews, err = r.d.Reviews.ListReviews(ctx, r.ev.Repo, merged.Number)
	}
	if err != nil {
		r.warn("Could not read pull request #%d and its reviews, so changes that need approval are refused (does the workflow grant pull-requests: read?): %v", merged.Number, err)
		return nil, fmt.Sprintf("the reviews of pull request #%d could not be read", merged.Number)
	}
	return &Reviewed{Number: merged.Number, Head: info.HeadSHA, Author: info.Author, Reviews: reviews}, ""
}

// fingerprintRE finds the fingerprint a plan comment carries.
var fingerprintRE = regexp.MustCompile(`<!-- appreg:fingerprint ([0-9a-f]{64}) -->`)

// reviewedFingerprint returns the fingerprint of the plan last commented on
// the merged pull request, or "" when there is none (a direct push, a plan
// that failed) or it cannot be read: the result then makes no comparison.
func (r *run) reviewedFingerprint(ctx context.Context, pr *PullRequest) string {
	if pr == nil || r.d.PullRequests == nil {
		return ""
	}
	bodies, err := r.d.PullRequests.CommentBodies(ctx, r.ev.Repo, pr.Number)
	if err != nil {
		r.warn("Could not read the plan comment of pull request #%d to compare fingerprints: %v", pr.Number, err)
		return ""
	}
	fp := ""
	for _, b := range bodies {
		if m := fingerprintRE.FindStringSubmatch(b); m != nil {
			fp = m[1]
		}
	}
	return fp
}
