package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/render"
	"github.com/appreg/appreg/internal/rotate"
	"github.com/appreg/appreg/internal/spec"
	"github.com/appreg/appreg/internal/workflow"
)

// run is one execution of the Action.
type run struct {
	o   *Options
	d   Deps
	gha *githubactions.Action
	log *slog.Logger
}

func newRun(o *Options, d Deps) *run {
	if d.Stdout == nil {
		d.Stdout = io.Discard
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("repo", o.Repository, "event", o.EventName)
	gha := githubactions.New(githubactions.WithGetenv(o.getenv), githubactions.WithWriter(d.Stdout))
	return &run{o: o, d: d, gha: gha, log: log}
}

// pullRequest is the pull request a run reports on.
type pullRequest struct {
	Number  int
	HeadSHA string
	Fork    bool
	// Author is the login that opened it (empty when unknown).
	Author string
	// Review is set on pull_request_review events: the run re-evaluates
	// approval and leaves the appreg/plan status alone.
	Review bool
}

// route picks the use-case from the command input and the event.
func (r *run) route(ctx context.Context) error {
	o := r.o
	var pr *pullRequest
	if (o.EventName == "pull_request" || o.EventName == "pull_request_review") && o.event != nil && o.event.PullRequest != nil {
		p := o.event.PullRequest
		pr = &pullRequest{Number: p.Number, HeadSHA: p.Head.SHA, Fork: p.fromFork(), Author: p.User.Login, Review: o.EventName == "pull_request_review"}
	}
	switch o.Command {
	case CommandValidate:
		return r.validate()
	case CommandRotate:
		return r.rotate(ctx)
	case CommandPlan:
		return r.plan(ctx, pr)
	case CommandApply:
		if o.EventName == "pull_request" || o.EventName == "pull_request_target" || o.EventName == "pull_request_review" {
			return fmt.Errorf("command apply refuses to run on %s events: it would apply files nobody merged; apply on push to the default branch", o.EventName)
		}
		return r.apply(ctx)
	}

	// command: auto
	switch o.EventName {
	case "pull_request":
		if pr == nil {
			return errors.New("the pull_request event payload has no pull_request")
		}
		switch o.event.Action {
		case "opened", "synchronize", "reopened":
			return r.plan(ctx, pr)
		case "closed":
			if o.event.PullRequest.Merged {
				r.info("Pull request #%d was merged: the push to %s applies it. Nothing to do.", pr.Number, o.event.PullRequest.Base.Ref)
			} else {
				r.info("Pull request #%d was closed without merging. Nothing to do.", pr.Number)
			}
			return nil
		}
		r.info("Nothing to do for pull_request %q (appreg plans on opened, synchronize and reopened).", o.event.Action)
		return nil
	case "pull_request_review":
		if pr == nil {
			return errors.New("the pull_request_review event payload has no pull_request")
		}
		switch o.event.Action {
		case "submitted", "edited", "dismissed":
			if rv := o.event.Review; rv != nil {
				r.log.Info("review", "pr", pr.Number, "reviewer", rv.User.Login, "state", rv.State, "action", o.event.Action)
			}
			if pr.Fork {
				r.info("Pull request #%d comes from a fork: it is not planned (GitHub gives fork pull requests no repository credentials), so appreg cannot tell which changes need approval and sets no %s status. The apply after merging refuses the changes that need approval unless the reviewers approved the pull request's last commit.", pr.Number, ApprovalContext)
				return nil
			}
			return r.plan(ctx, pr)
		}
		r.info("Nothing to do for pull_request_review %q (appreg re-evaluates approval on submitted, edited and dismissed).", o.event.Action)
		return nil
	case "push":
		e := o.event
		if e.Deleted {
			r.info("%s was deleted. Nothing to do.", e.Ref)
			return nil
		}
		def := e.Repository.DefaultBranch
		if def == "" {
			return errors.New("the push event payload names no default branch (repository.default_branch)")
		}
		if e.Ref != "refs/heads/"+def {
			r.info("The push is to %s, not to the default branch %s. Nothing to do.", e.Ref, def)
			return nil
		}
		if e.After != "" {
			o.SHA = e.After
		}
		return r.apply(ctx)
	case "schedule", "workflow_dispatch":
		return fmt.Errorf("command auto has nothing to choose on %s events: set the command input to plan, apply, rotate or validate", o.EventName)
	case "":
		return errors.New("GITHUB_EVENT_NAME is not set: run appreg action inside GitHub Actions, or set the command input")
	}
	return fmt.Errorf("command auto does not handle %s events: run it on pull_request, pull_request_review and push, or set the command input", o.EventName)
}

// rotate rotates the client secrets that are due (a scheduled run), and
// reports in the log and the step summary; values never appear.
func (r *run) rotate(ctx context.Context) error {
	loaded, diags := r.load()
	title := r.title("appreg rotate", r.o.SHA)
	if diags.HasErrors() {
		r.summary(invalidMarkdown(title, diags, "Nothing was rotated."))
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
		return workflow.ErrNoDelivery
	}
	res, err := workflow.Rotate(ctx, g, loaded, workflow.RotateOptions{Rotator: rot})
	if err != nil {
		return fmt.Errorf("rotating: %w", err)
	}
	r.logText("Rotate", func(w io.Writer) error { return render.RotationText(w, res.Decisions, res.Outcomes, render.Options{}) })
	r.summary(strings.Join(render.RotationMarkdown(res.Decisions, res.Outcomes, render.Options{Repo: r.o.Repository, Commit: r.o.SHA}), "\n"))
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
	var loaded *spec.Result
	var diags diag.Diagnostics
	if ws, cfg := r.o.Workspace, r.o.Config; ws != "" && filepath.IsLocal(cfg) {
		// Diagnostics name files relative to the workspace, as
		// annotations need.
		loaded, diags = spec.LoadFS(os.DirFS(ws), filepath.ToSlash(filepath.Clean(cfg)))
	} else {
		loaded, diags = spec.Load(cfg)
	}
	r.annotate(diags)
	return loaded, diags
}

// validate checks the files without reading the tenant.
func (r *run) validate() error {
	loaded, diags := r.load()
	title := r.title("appreg validate", r.o.SHA)
	if diags.HasErrors() {
		r.summary(invalidMarkdown(title, diags, "Nothing was checked against the tenant."))
		return invalidError(diags)
	}
	n := len(loaded.Desired.Registrations)
	r.summary(fmt.Sprintf("%s✅ %s valid.\n", title, plural(n, "registration is", "registrations are")))
	r.info("%s valid (%s).", plural(n, "registration", "registrations"), r.o.Config)
	return nil
}

// plan plans and reports on pr (nil outside pull requests).
func (r *run) plan(ctx context.Context, pr *pullRequest) error {
	var sha string
	if pr != nil {
		sha = pr.HeadSHA
		r.log = r.log.With("pr", pr.Number)
	} else {
		sha = r.o.SHA
	}
	title := r.title("appreg plan", sha)
	if pr != nil && pr.Fork {
		return r.forkPlan(ctx, pr, title)
	}
	if pr != nil {
		r.status(ctx, pr, StatePending, "Planning…")
	}
	loaded, diags := r.load()
	if diags.HasErrors() {
		md := invalidMarkdown(title, diags, "Nothing was planned: fix them and push again.")
		errs := []error{invalidError(diags)}
		errs = append(errs, r.comment(ctx, pr, PlanMarker, []string{md}))
		r.status(ctx, pr, StateFailure, plural(errorCount(diags), "error", "errors")+" in the registration files")
		r.approvalStatus(ctx, pr, StateError, "not evaluated: the registration files have errors")
		r.summary(md)
		r.output("has-changes", "false")
		return errors.Join(errs...)
	}

	p, err := r.readPlan(ctx, loaded)
	if err != nil {
		err = fmt.Errorf("planning: %w", err)
		md := failureMarkdown(title, "The plan failed", r.redact(err.Error()), r.o.RunURL, true)
		cerr := r.comment(ctx, pr, PlanMarker, []string{md})
		r.status(ctx, pr, StateError, "The plan failed: "+firstLine(r.redact(err.Error())))
		r.approvalStatus(ctx, pr, StateError, "not evaluated: the plan failed")
		r.summary(md)
		return errors.Join(err, cerr)
	}
	r.annotate(p.Diagnostics)
	r.logText("Plan", func(w io.Writer) error { return render.PlanText(w, p, render.Options{}) })

	ro := render.Options{Repo: r.o.Repository, Commit: sha}
	var errs []error
	var section string
	if pr != nil {
		section = r.approve(ctx, pr, p, loaded.Settings.Policy)
		parts := withSection(render.PlanMarkdown(p, ro), section)
		parts[0] += fingerprintLine(p.Fingerprint)
		errs = append(errs, r.comment(ctx, pr, PlanMarker, parts))
		if n := errorCount(p.Diagnostics); n > 0 {
			r.status(ctx, pr, StateFailure, "The plan has "+plural(n, "error", "errors")+": see the pull request comment")
		} else {
			r.status(ctx, pr, StateSuccess, planLine(p))
		}
	}
	summary := render.StepSummary(p, ro)
	if section != "" {
		summary += "\n" + section
	}
	r.summary(summary)
	r.output("has-changes", strconv.FormatBool(p.HasChanges()))
	if path, err := r.writeJSON(r.o.PlanJSON, func(w io.Writer) error { return render.PlanJSON(w, p) }); err != nil {
		errs = append(errs, err)
	} else {
		r.output("plan-json", path)
	}
	if n := errorCount(p.Diagnostics); n > 0 {
		errs = append(errs, fmt.Errorf("the plan has %s (annotated on the files)", plural(n, "error", "errors")))
	}
	return errors.Join(errs...)
}

// readPlan builds the Graph client and plans.
func (r *run) readPlan(ctx context.Context, loaded *spec.Result) (*plan.Plan, error) {
	g, err := r.graph(ctx)
	if err != nil {
		return nil, err
	}
	return workflow.Plan(ctx, g, loaded)
}

func (r *run) graph(ctx context.Context) (workflow.Graph, error) {
	if r.d.Graph == nil {
		return nil, errors.New("no Microsoft Graph client configured")
	}
	g, err := r.d.Graph(ctx)
	if err != nil {
		return nil, fmt.Errorf("connecting to Microsoft Graph: %w", err)
	}
	return g, nil
}

// forkPlan answers a pull request from a fork: it cannot be planned, but
// its files can be validated.
func (r *run) forkPlan(ctx context.Context, pr *pullRequest, title string) error {
	loaded, diags := r.load()
	md := forkMarkdown(title, diags, len(loaded.Desired.Registrations))
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

// apply applies the files and reports on the merged pull request.
func (r *run) apply(ctx context.Context) error {
	sha := r.o.SHA
	title := r.title("appreg apply", sha)
	merged, why := r.mergedPullRequest(ctx, sha)
	// The result is commented on the merged pull request of a push; other
	// events (workflow_dispatch, schedule) use it only for approval.
	var pr *pullRequest
	if r.o.EventName == "push" {
		pr = merged
	}

	loaded, diags := r.load()
	if diags.HasErrors() {
		md := invalidMarkdown(title, diags, "Nothing was applied: fix them and merge the fix.")
		err := errors.Join(invalidError(diags), r.newComment(ctx, pr, ApplyMarker, []string{md}))
		r.summary(md)
		return err
	}
	g, err := r.graph(ctx)
	var p *plan.Plan
	var res *plan.Result
	var rot *rotate.Rotator
	if err == nil && r.d.Rotator != nil {
		rot, err = r.d.Rotator(ctx)
	}
	members := workflow.NewMembers(r.d.Teams)
	if err == nil {
		gate := r.approvalGate(merged, why, loaded.Settings.Policy, members)
		expected := r.reviewedFingerprint(ctx, merged)
		p, res, err = workflow.Apply(ctx, g, loaded, workflow.ApplyOptions{Logger: r.log, Rotator: rot, Gate: gate, Expected: expected})
	}
	if err != nil {
		err = fmt.Errorf("applying: %w", err)
		md := failureMarkdown(title, "The apply failed before changing anything", r.redact(err.Error()), r.o.RunURL, false)
		cerr := r.newComment(ctx, pr, ApplyMarker, []string{md})
		r.summary(md)
		return errors.Join(err, cerr)
	}
	r.annotate(p.Diagnostics)
	r.membershipWarnings(members)
	r.refusalWarning(res)
	r.logText("Apply", func(w io.Writer) error { return render.ResultText(w, res, render.Options{}) })

	ro := render.Options{Repo: r.o.Repository, Commit: sha}
	parts := render.ResultMarkdown(res, ro)
	var errs []error
	errs = append(errs, r.newComment(ctx, pr, ApplyMarker, parts))
	r.summary(joinForSummary(parts))
	r.output("has-changes", strconv.FormatBool(p.HasChanges()))
	for _, f := range []struct {
		path, output string
		write        func(io.Writer) error
	}{
		{r.o.PlanJSON, "plan-json", func(w io.Writer) error { return render.PlanJSON(w, p) }},
		{r.o.ResultJSON, "result-json", func(w io.Writer) error { return render.ResultJSON(w, res) }},
	} {
		if path, err := r.writeJSON(f.path, f.write); err != nil {
			errs = append(errs, err)
		} else {
			r.output(f.output, path)
		}
	}
	if res.Failed() {
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
		errs = append(errs, fmt.Errorf("the apply failed for %s: see the log above", what))
	}
	if n := errorCount(p.Diagnostics); n > 0 {
		errs = append(errs, fmt.Errorf("the plan has %s; those registrations were not applied", plural(n, "error", "errors")))
	}
	return errors.Join(errs...)
}

// mergedPullRequest finds the pull request whose merge made sha, for the
// result comment and the approval gate. A direct push has none; why then
// says so, for the gate's refusals. A lookup failure costs the comment, and
// the changes that need approval.
func (r *run) mergedPullRequest(ctx context.Context, sha string) (pr *pullRequest, why string) {
	if r.d.PullRequests == nil || sha == "" {
		return nil, "no reviewed pull request (the run names no commit)"
	}
	n, found, err := r.d.PullRequests.MergedPullRequest(ctx, r.o.Repository, sha)
	switch {
	case err != nil:
		r.warn("Could not find the pull request merged as %s, so the result is only in the step summary and changes that need approval are refused: %v", shortSHA(sha), err)
		return nil, fmt.Sprintf("no reviewed pull request (looking up the pull request merged as %s failed)", shortSHA(sha))
	case !found:
		if r.o.EventName == "push" {
			r.info("No pull request was merged as %s (a direct push?): the result is only in the step summary.", shortSHA(sha))
			return nil, "no reviewed pull request (a direct push)"
		}
		r.info("No pull request was merged as %s: changes that need approval are refused.", shortSHA(sha))
		return nil, fmt.Sprintf("no reviewed pull request (no pull request was merged as %s)", shortSHA(sha))
	}
	r.log = r.log.With("pr", n)
	return &pullRequest{Number: n}, ""
}

// comment keeps the sticky comment marker on pr up to date with parts.
func (r *run) comment(ctx context.Context, pr *pullRequest, marker string, parts []string) error {
	if pr == nil {
		return nil
	}
	if r.d.Comments == nil {
		return errors.New("no GitHub client configured for comments")
	}
	for i := range parts {
		parts[i] = r.redact(parts[i])
	}
	ids, err := r.d.Comments.UpsertStickyComment(ctx, r.o.Repository, pr.Number, marker, parts)
	if err != nil {
		return fmt.Errorf("commenting on pull request #%d: %w", pr.Number, err)
	}
	r.log.Info("commented on the pull request", "marker", marker, "comments", len(ids))
	return nil
}

// newComment adds parts as new comments on pr, each headed by marker (and
// "part i/n" when there are several).
func (r *run) newComment(ctx context.Context, pr *pullRequest, marker string, parts []string) error {
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
		if _, err := r.d.Comments.CreateComment(ctx, r.o.Repository, pr.Number, head+"\n"+r.redact(p)); err != nil {
			return fmt.Errorf("commenting on pull request #%d: %w", pr.Number, err)
		}
	}
	r.log.Info("commented on the pull request", "marker", marker, "comments", len(parts))
	return nil
}

// status sets the appreg/plan status on pr's head commit, except on review
// events, which do not change the plan's standing. A failure is logged, not
// fatal: the comment carries the same news.
func (r *run) status(ctx context.Context, pr *pullRequest, state, description string) {
	if pr != nil && pr.Review {
		return
	}
	r.setStatus(ctx, pr, StatusContext, state, description)
}

// approvalStatus sets the appreg/approval status on pr's head commit.
func (r *run) approvalStatus(ctx context.Context, pr *pullRequest, state, description string) {
	r.setStatus(ctx, pr, ApprovalContext, state, description)
}

func (r *run) setStatus(ctx context.Context, pr *pullRequest, context, state, description string) {
	if pr == nil || pr.HeadSHA == "" || r.d.Statuses == nil {
		return
	}
	s := Status{State: state, Context: context, Description: description, TargetURL: r.o.RunURL}
	if err := r.d.Statuses.SetStatus(ctx, r.o.Repository, pr.HeadSHA, s); err != nil {
		r.warn("Could not set the %s status (does the workflow grant statuses: write?): %v", context, err)
	}
}

// summary appends markdown to the step summary, when the runner gives one.
func (r *run) summary(md string) {
	if r.o.getenv("GITHUB_STEP_SUMMARY") == "" {
		r.log.Debug("GITHUB_STEP_SUMMARY is not set: no step summary")
		return
	}
	if err := fileCommand(func() { r.gha.AddStepSummary(r.redact(md)) }); err != nil {
		r.warn("Could not write the step summary: %v", err)
	}
}

// output sets a step output, when the runner takes them.
func (r *run) output(name, value string) {
	if r.o.getenv("GITHUB_OUTPUT") == "" {
		r.log.Debug("GITHUB_OUTPUT is not set: output not written", "output", name)
		return
	}
	if err := fileCommand(func() { r.gha.SetOutput(name, r.redact(value)) }); err != nil {
		r.warn("Could not set output %s: %v", name, err)
	}
}

// fileCommand runs f, turning the panic go-githubactions raises when it
// cannot write a file command into an error.
func fileCommand(f func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	f()
	return nil
}

// writeJSON writes a JSON document to path (creating its directory) and
// returns the path.
func (r *run) writeJSON(path string, write func(io.Writer) error) (string, error) {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return "", err
	}
	file := path
	if r.o.Workspace != "" && !filepath.IsAbs(path) {
		file = filepath.Join(r.o.Workspace, path)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return filepath.ToSlash(path), nil
}

// mask tells the runner to hide the secret inputs from the log. Values from
// ${{ secrets.X }} are masked already; this covers values computed by
// earlier steps.
func (r *run) mask() {
	for _, s := range r.o.secrets() {
		r.gha.AddMask(s)
	}
}

// redact replaces secret input values in text bound for GitHub, as a
// second line of defence behind the runner's masking (which does not apply
// to comments).
func (r *run) redact(s string) string {
	for _, v := range r.o.secrets() {
		s = strings.ReplaceAll(s, v, "***")
	}
	return s
}

// annotate prints diagnostics as file annotations.
func (r *run) annotate(diags diag.Diagnostics) {
	for _, d := range diags {
		fmt.Fprintln(r.d.Stdout, Annotation(d))
	}
}

// errorAnnotation surfaces the error that fails the step in the run's
// annotations.
func (r *run) errorAnnotation(err error) {
	fmt.Fprintln(r.d.Stdout, Annotation(diag.Diagnostic{Severity: diag.Error, Summary: r.redact(err.Error())}))
}

func (r *run) info(format string, args ...any) {
	fmt.Fprintln(r.d.Stdout, r.redact(fmt.Sprintf(format, args...)))
}

func (r *run) warn(format string, args ...any) {
	fmt.Fprintln(r.d.Stdout, Annotation(diag.Diagnostic{Severity: diag.Warning, Summary: r.redact(fmt.Sprintf(format, args...))}))
}

// logText prints a rendering in a collapsible log group, with workflow
// commands disabled so that no value in it can be taken for one.
func (r *run) logText(group string, write func(io.Writer) error) {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		r.warn("Could not render the %s for the log: %v", strings.ToLower(group), err)
		return
	}
	token := stopToken()
	fmt.Fprintf(r.d.Stdout, "::group::%s\n::stop-commands::%s\n%s::%s::\n::endgroup::\n", group, token, r.redact(buf.String()), token)
}

// title is the heading of the Action's own markdown messages.
func (r *run) title(name, sha string) string {
	return titleLine(name, r.o.Repository, sha)
}

func invalidError(diags diag.Diagnostics) error {
	return fmt.Errorf("the registration files have %s (annotated on the files)", plural(errorCount(diags), "error", "errors"))
}

// maxSummary is what one step's summary may hold: the runner refuses more
// than 1 MiB.
const maxSummary = 1<<20 - 1024

// joinForSummary joins markdown parts for the step summary, leaving out the
// parts that do not fit and saying so.
func joinForSummary(parts []string) string {
	var b strings.Builder
	for i, p := range parts {
		if b.Len()+len(p)+1 > maxSummary-200 {
			fmt.Fprintf(&b, "\n_%s left out: a job summary holds at most 1 MiB. The pull request comments and the JSON result have all of it._\n",
				plural(len(parts)-i, "part is", "parts are"))
			break
		}
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(p)
	}
	return b.String()
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
	if !p.HasChanges() {
		if len(p.Refused) > 0 {
			return fmt.Sprintf("No changes; %d refused", len(p.Refused))
		}
		return "No changes"
	}
	s := fmt.Sprintf("Plan: %d to create, %d to update, %d to adopt, %d to delete", c, u, a, d)
	if len(p.Refused) > 0 {
		s += fmt.Sprintf("; %d refused", len(p.Refused))
	}
	return s
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

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// fingerprintRE finds the fingerprint a plan comment carries.
var fingerprintRE = regexp.MustCompile(`<!-- appreg:fingerprint ([0-9a-f]{64}) -->`)

// fingerprintLine is the hidden line a plan comment carries so that the
// apply after the merge can tell whether it applies the plan reviewers saw.
func fingerprintLine(fp string) string {
	if fp == "" {
		return ""
	}
	return "\n<!-- appreg:fingerprint " + fp + " -->\n"
}

// reviewedFingerprint returns the fingerprint of the plan last commented on
// the merged pull request, or "" when there is none (a direct push, a plan
// that failed) or it cannot be read: the result then makes no comparison.
func (r *run) reviewedFingerprint(ctx context.Context, pr *pullRequest) string {
	if pr == nil || r.d.PullRequests == nil {
		return ""
	}
	bodies, err := r.d.PullRequests.CommentBodies(ctx, r.o.Repository, pr.Number)
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
