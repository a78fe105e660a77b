package workflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/render"
	"github.com/appreg/appreg/internal/rotate"
	"github.com/appreg/appreg/internal/spec"
)

// Commands a run accepts (the Action's command input).
const (
	CommandAuto     = "auto"
	CommandPlan     = "plan"
	CommandApply    = "apply"
	CommandValidate = "validate"
	CommandRotate   = "rotate"
	// CommandDrift plans the default branch and keeps the drift issue
	// (ReportDrift); plan on a schedule event does the same.
	CommandDrift = "drift"
)

// run is one execution of a use-case for one event.
type run struct {
	d   Deps
	ev  Event
	rep *Report
	log *slog.Logger
	// drift is set when the plan keeps the drift issue.
	drift bool
}

func newRun(d Deps, ev Event) *run {
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("repo", ev.Repo, "event", ev.Name)
	return &run{d: d, ev: ev, rep: &Report{}, log: log}
}

// Run performs command for event ev: "auto" picks the use-case from the
// event (Route). The report is complete even when the error is not nil.
func Run(ctx context.Context, d Deps, command string, ev Event) (*Report, error) {
	r := newRun(d, ev)
	err := r.route(ctx, command)
	return r.rep, err
}

// Use-cases Route picks.
const (
	UsePlan   = "plan"
	UseReview = "review"
	UseApply  = "apply"
	UseNone   = ""
)

// Route decides what command "auto" does for ev: plan a pull request,
// re-evaluate its approval after a review, apply a push to the default
// branch, or nothing (why says why, for people). The webhook server asks it
// before it downloads anything.
func Route(ev Event) (use, why string, err error) {
	switch ev.Name {
	case "pull_request":
		if ev.PullRequest == nil {
			return "", "", errors.New("the pull_request event payload has no pull_request")
		}
		switch ev.Action {
		case "opened", "synchronize", "reopened":
			return UsePlan, "", nil
		case "closed":
			if ev.PullRequest.Merged {
				return UseNone, fmt.Sprintf("Pull request #%d was merged: the push to %s applies it. Nothing to do.", ev.PullRequest.Number, ev.PullRequest.BaseRef), nil
			}
			return UseNone, fmt.Sprintf("Pull request #%d was closed without merging. Nothing to do.", ev.PullRequest.Number), nil
		}
		return UseNone, fmt.Sprintf("Nothing to do for pull_request %q (appreg plans on opened, synchronize and reopened).", ev.Action), nil
	case "pull_request_review":
		if ev.PullRequest == nil {
			return "", "", errors.New("the pull_request_review event payload has no pull_request")
		}
		switch ev.Action {
		case "submitted", "edited", "dismissed":
			return UseReview, "", nil
		}
		return UseNone, fmt.Sprintf("Nothing to do for pull_request_review %q (appreg re-evaluates approval on submitted, edited and dismissed).", ev.Action), nil
	case "push":
		if ev.Deleted {
			return UseNone, ev.Ref + " was deleted. Nothing to do.", nil
		}
		if ev.DefaultBranch == "" {
			return "", "", errors.New("the push event payload names no default branch (repository.default_branch)")
		}
		if ev.Ref != "refs/heads/"+ev.DefaultBranch {
			return UseNone, fmt.Sprintf("The push is to %s, not to the default branch %s. Nothing to do.", ev.Ref, ev.DefaultBranch), nil
		}
		return UseApply, "", nil
	case "schedule", "workflow_dispatch":
		return "", "", fmt.Errorf("command auto has nothing to choose on %s events: set the command input to plan, apply, rotate, validate or drift", ev.Name)
	case "":
		return "", "", errors.New("GITHUB_EVENT_NAME is not set: run appreg action inside GitHub Actions, or set the command input")
	}
	return "", "", fmt.Errorf("command auto does not handle %s events: run it on pull_request, pull_request_review and push, or set the command input", ev.Name)
}

// route runs the use-case command names, or the one Route picks.
func (r *run) route(ctx context.Context, command string) error {
	ev := r.ev
	pr := ev.PullRequest
	if ev.Name != "pull_request" && ev.Name != "pull_request_review" {
		pr = nil
	}
	switch command {
	case CommandValidate:
		return r.validate()
	case CommandRotate:
		return r.rotate(ctx)
	case CommandPlan:
		r.drift = pr == nil && ev.Name == "schedule"
		return r.plan(ctx, pr, ev.Name == "pull_request_review")
	case CommandDrift:
		if pr != nil {
			return fmt.Errorf("command drift refuses to run on %s events: it reports how the tenant differs from the default branch; run it on schedule or workflow_dispatch", ev.Name)
		}
		r.drift = true
		return r.plan(ctx, nil, false)
	case CommandApply:
		if ev.Name == "pull_request" || ev.Name == "pull_request_target" || ev.Name == "pull_request_review" {
			return fmt.Errorf("command apply refuses to run on %s events: it would apply files nobody merged; apply on push to the default branch", ev.Name)
		}
		return r.apply(ctx)
	case CommandAuto:
	default:
		return fmt.Errorf("command %q: want auto, plan, apply, validate, rotate or drift", command)
	}
	use, why, err := Route(ev)
	switch {
	case err != nil:
		return err
	case use == UsePlan:
		return r.plan(ctx, pr, false)
	case use == UseReview:
		return r.review(ctx, pr)
	case use == UseApply:
		return r.apply(ctx)
	}
	r.info("%s", why)
	return nil
}

// PlanPullRequest plans the pull request of ev and reports on it: the
// sticky plan comment with its Approval section, the appreg/plan and
// appreg/approval statuses.
func PlanPullRequest(ctx context.Context, d Deps, ev Event) (*Report, error) {
	r := newRun(d, ev)
	if ev.PullRequest == nil {
		return r.rep, errors.New("the event has no pull request")
	}
	return r.rep, r.plan(ctx, ev.PullRequest, false)
}

// ReviewPullRequest re-evaluates the approval of ev's pull request after a
// review: it plans again (to know the change categories) and updates the
// comment and the appreg/approval status; appreg/plan is left alone. A
// pull request from a fork is not planned, so it gets no approval status.
func ReviewPullRequest(ctx context.Context, d Deps, ev Event) (*Report, error) {
	r := newRun(d, ev)
	if ev.PullRequest == nil {
		return r.rep, errors.New("the event has no pull request")
	}
	return r.rep, r.review(ctx, ev.PullRequest)
}

func (r *run) review(ctx context.Context, pr *PullRequest) error {
	if r.ev.Reviewer != "" {
		r.log.Info("review", "pr", pr.Number, "reviewer", r.ev.Reviewer, "state", r.ev.ReviewState, "action", r.ev.Action)
	}
	if pr.Fork {
		r.info("Pull request #%d comes from a fork: it is not planned (GitHub gives fork pull requests no repository credentials), so appreg cannot tell which changes need approval and sets no %s status. The apply after merging refuses the changes that need approval: no plan showed them to the reviewers.", pr.Number, ApprovalContext)
		return nil
	}
	return r.plan(ctx, pr, true)
}

// rotate rotates the client secrets that are due (a scheduled run), and
// reports in the log and the step summary; values never appear.
func (r *run) rotate(ctx context.Context) error {
	loaded, diags := r.load()
	title := r.title("appreg rotate", r.ev.SHA)
	if diags.HasErrors() {
		r.summary(render.InvalidMarkdown(title, diags, "Nothing was rotated."))
		return invalidError(diags)
	}
	g, err := r.graph(ctx)
	if err != nil {
		return err
	}
	var rot *rotate.Rotator
	if r.d.Rotator != nil {
		if rot, err = r.d.Rotator(ctx); err != nil {
			return err
		}
	}
	if rot == nil {
		return ErrNoDelivery
	}
	res, err := Rotate(ctx, g, loaded, RotateOptions{Rotator: rot, Clock: r.d.Now})
	if err != nil {
		return fmt.Errorf("rotating: %w", err)
	}
	r.rep.Rotation = res
	r.logText("Rotate", func(b *strings.Builder) error {
		return render.RotationText(b, res.Decisions, res.Outcomes, render.Options{})
	})
	r.summary(strings.Join(render.RotationMarkdown(res.Decisions, res.Outcomes, render.Options{Repo: r.ev.Repo, Commit: r.ev.SHA}), "\n"))
	if res.Failed() {
		n := 0
		for _, o := range res.Outcomes {
			if o.Error != "" {
				n++
			}
		}
		return fmt.Errorf("rotating failed for %s: see the log above", plural(n, "client secret", "client secrets"))
	}
	return nil
}

// load reads the registration files, annotating every diagnostic.
func (r *run) load() (*spec.Result, diag.Diagnostics) {
	if r.d.Load == nil {
		d := diag.Diagnostics{{Severity: diag.Error, Summary: "no registration files to read (the run was given no loader)"}}
		return &spec.Result{Desired: &appreg.Set{}}, d
	}
	loaded, diags := r.d.Load()
	r.rep.annotate(diags)
	return loaded, diags
}

// validate checks the files without reading the tenant.
func (r *run) validate() error {
	loaded, diags := r.load()
	title := r.title("appreg validate", r.ev.SHA)
	if diags.HasErrors() {
		r.summary(render.InvalidMarkdown(title, diags, "Nothing was checked against the tenant."))
		return invalidError(diags)
	}
	n := len(loaded.Desired.Registrations)
	r.summary(fmt.Sprintf("%s✅ %s valid.\n", title, plural(n, "registration is", "registrations are")))
	r.info("%s valid (%s).", plural(n, "registration", "registrations"), r.d.Config)
	return nil
}

func (r *run) graph(ctx context.Context) (Graph, error) {
	if r.d.Graph == nil {
		return nil, errors.New("no Microsoft Graph client configured")
	}
	g, err := r.d.Graph(ctx)
	if err != nil {
		return nil, fmt.Errorf("connecting to Microsoft Graph: %w", err)
	}
	return g, nil
}

// redact replaces secret values in text bound for GitHub.
func (r *run) redact(s string) string {
	if r.d.Redact == nil {
		return s
	}
	return r.d.Redact(s)
}

func (r *run) info(format string, args ...any) { r.rep.info(format, args...) }
func (r *run) warn(format string, args ...any) { r.rep.warn(format, args...) }
func (r *run) summary(md string)               { r.rep.summary(md) }
func (r *run) output(name, value string)       { r.rep.output(name, value) }

// logText adds a rendering to the log as a group.
func (r *run) logText(group string, write func(*strings.Builder) error) {
	var b strings.Builder
	if err := write(&b); err != nil {
		r.warn("Could not render the %s for the log: %v", strings.ToLower(group), err)
		return
	}
	r.rep.group(group, b.String())
}

// title is the heading of the run's own markdown messages.
func (r *run) title(name, sha string) string {
	return render.MessageTitle(name, r.ev.Repo, sha)
}

// InvalidFilesError is the error of a run whose registration files have
// errors; the diagnostics were reported.
type InvalidFilesError struct{ Errors int }

func (e *InvalidFilesError) Error() string {
	return fmt.Sprintf("the registration files have %s (annotated on the files)", plural(e.Errors, "error", "errors"))
}

func invalidError(diags diag.Diagnostics) error {
	return &InvalidFilesError{Errors: render.ErrorCount(diags)}
}

// planLine is the one-line plan summary of a commit status.
func planLine(p *plan.Plan) string {
	var c, u, a, d int
	for _, ch := range p.Changes {
		switch ch.Action {
		case plan.Create:
			c++
		case plan.Update:
			u++
		case plan.Adopt:
			a++
		case plan.Delete:
			d++
		}
	}
	refused := ""
	if len(p.Refused) > 0 {
		refused = fmt.Sprintf("; %d refused", len(p.Refused))
	}
	if !p.HasChanges() {
		return "No changes" + refused
	}
	return fmt.Sprintf("Plan: %d to create, %d to update, %d to adopt, %d to delete", c, u, a, d) + refused
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
