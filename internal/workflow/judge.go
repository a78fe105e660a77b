package workflow

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/policy"
	"github.com/appreg/appreg/internal/spec"
)

// What judges a change: the policy of the commit it is made against, the
// changes a pull request showed its reviewers, and who pushed its head.

// base reads the files of commit sha, the change's base; nil (with a
// warning) when they cannot be read.
func (r *run) base(ctx context.Context, sha string) *plan.Base {
	if sha == "" || r.d.Base == nil {
		r.warn("The base commit is unknown, so the pull request's own appreg.yaml sets the policy (with the built-in categories, which always need approval).")
		return nil
	}
	loaded, diags, err := r.d.Base(ctx, r.ev.Repo, sha)
	if err == nil && diags.HasErrors() {
		err = diags.Err()
	}
	if err != nil {
		r.warn("Could not read the files of the base commit %s, so the pull request's own appreg.yaml sets the policy (with the built-in categories, which always need approval): %v", shortSHA(sha), err)
		return nil
	}
	return &plan.Base{Settings: loaded.Settings, Desired: loaded.Desired}
}

// policyOf is the policy that judges a change whose files are loaded,
// made against base.
func (r *run) policyOf(loaded *spec.Result, base *plan.Base) appreg.Policy {
	var basePolicy *appreg.Policy
	if base != nil {
		basePolicy = &base.Settings.Policy
	}
	return policy.Effective(basePolicy, &loaded.Settings.Policy, r.d.Org)
}

// checkOrg refuses a repository whose namePrefix the organisation policy
// does not give it.
func (r *run) checkOrg(loaded *spec.Result) error {
	return policy.CheckPrefix(r.d.Org, r.ev.Repo, loaded.Settings.NamePrefix)
}

var (
	approveRE = regexp.MustCompile(`<!-- appreg:change (\S+) ([0-9a-f]{64}) ?([0-9a-f,]*) -->`)
	pusherRE  = regexp.MustCompile(`<!-- appreg:pusher (\S+) -->`)
	// planPartRE matches the start of a plan comment or of one of its
	// parts.
	planPartRE = regexp.MustCompile(`^<!-- appreg:plan(?: part \d+/\d+)? -->`)
)

// shownLines are the hidden lines a plan comment carries for the apply
// after the merge: the fingerprint of every change that needs approval
// under pol, and who pushed the head commit.
func shownLines(p *plan.Plan, pol appreg.Policy, pusher string) []string {
	var out []string
	for _, c := range p.Changes {
		if len(policy.ChangeRequirements(c, pol)) > 0 {
			out = append(out, fmt.Sprintf("<!-- appreg:change %s %s %s -->", c.Key, plan.ChangeFingerprint(c), strings.Join(plan.FieldFingerprints(c), ",")))
		}
	}
	if pusher != "" {
		out = append(out, fmt.Sprintf("<!-- appreg:pusher %s -->", pusher))
	}
	return out
}

// shown is what appreg's plan comments on a pull request showed: the
// fingerprint of each change that needed approval, and the last pusher.
type shown struct {
	changes map[string]string
	fields  map[string][]string // key -> field fingerprints
	pusher  string
}

// showed reports whether the plan comment showed change c: the same
// change, or a remainder of it (a re-run after a partial failure), each of
// whose fields leads to the value reviewers were shown.
func (s shown) showed(c plan.Change) bool {
	if s.changes[c.Key] == "" {
		return false
	}
	if s.changes[c.Key] == plan.ChangeFingerprint(c) {
		return true
	}
	fields := plan.FieldFingerprints(c)
	if len(c.Grants) > 0 && !slices.ContainsFunc(c.Fields, func(f plan.FieldDiff) bool { return f.Section == plan.SectionConsent }) {
		return false
	}
	for _, f := range fields {
		if !slices.Contains(s.fields[c.Key], f) {
			return false
		}
	}
	return true
}

// shownOn reads what appreg's own latest plan comment on pull request
// number showed (the PullRequests port returns only appreg's comments).
func (r *run) shownOn(ctx context.Context, number int) (shown, error) {
	out := shown{changes: map[string]string{}, fields: map[string][]string{}}
	if r.d.PullRequests == nil {
		return out, fmt.Errorf("no GitHub client configured for comments")
	}
	bodies, err := r.d.PullRequests.CommentBodies(ctx, r.ev.Repo, number)
	if err != nil {
		return out, err
	}
	// The plan comment is sticky: edited in place, its parts are the one
	// plan appreg last showed.
	for _, b := range bodies {
		if !planPartRE.MatchString(strings.TrimSpace(b)) {
			continue
		}
		for _, m := range approveRE.FindAllStringSubmatch(b, -1) {
			out.changes[m[1]] = m[2]
			if m[3] != "" {
				out.fields[m[1]] = strings.Split(m[3], ",")
			}
		}
		if m := pusherRE.FindStringSubmatch(b); m != nil {
			out.pusher = m[1]
		}
	}
	return out, nil
}

// pusherOf is who pushed pull request pr's head commit: the sender of a
// pull_request event, else what appreg's plan comment recorded.
func (r *run) pusherOf(ctx context.Context, pr *PullRequest) string {
	if r.ev.Name == "pull_request" && r.ev.Sender != "" {
		return r.ev.Sender
	}
	s, err := r.shownOn(ctx, pr.Number)
	if err != nil {
		return ""
	}
	return s.pusher
}

// withoutPusher drops the reviews of the last pusher of the head commit:
// whoever pushed a change cannot approve it, author or not.
func withoutPusher(reviews []policy.Review, pusher string) []policy.Review {
	if pusher == "" {
		return reviews
	}
	var out []policy.Review
	for _, rv := range reviews {
		if !strings.EqualFold(rv.User, pusher) {
			out = append(out, rv)
		}
	}
	return out
}
