package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/graph"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/render"
	"github.com/appreg/appreg/internal/spec"
	"github.com/appreg/appreg/internal/workflow"
)

// planOptions are the inputs of plan and apply, parsed and checked.
type planOptions struct {
	globals
	out              string
	detailedExitcode bool
	confirm          bool
	expected         string
	verbose          bool
}

func parsePlanFlags(e *factory, name string, args []string) (*planOptions, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	o := &planOptions{}
	o.register(fs, e, "text", "markdown", "json")
	o.registerRepo(fs, e)
	fs.StringVar(&o.out, "out", "", "also write the plan (or result) as JSON to this file")
	fs.BoolVar(&o.verbose, "v", false, "log Graph activity to stderr")
	if name == "plan" {
		fs.BoolVar(&o.detailedExitcode, "detailed-exitcode", false, "exit 2 when there are changes, 0 when none, 1 on error")
	} else {
		fs.BoolVar(&o.confirm, "confirm", false, "really change the tenant (without it, apply only shows the plan)")
		fs.StringVar(&o.expected, "expect-fingerprint", "", "the fingerprint of the reviewed plan; the result says if the applied plan differs")
	}
	if err := parse(fs, e, args); err != nil {
		return nil, err
	}
	if err := o.checkFormat("text", "markdown", "json"); err != nil {
		return nil, err
	}
	if err := o.checkRepo(name); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *planOptions) logger(e *factory) *slog.Logger {
	if !o.verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// graphLogger is the Graph client's: its warnings (a user sign-in, a write
// whose answer was lost) go to stderr even without --verbose.
func (o *planOptions) graphLogger(e *factory) *slog.Logger {
	if o.verbose {
		return o.logger(e)
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// load reads the files; diagnostics are printed and end the command.
func load(e *factory, config string) (*spec.Result, error) {
	loaded, diags := spec.Load(config)
	for _, d := range diags {
		if d.Severity == diag.Warning {
			fmt.Fprintln(e.stderr, d.String())
		}
	}
	return loaded, diags.Err()
}

// graph builds the Graph client and signs in, refusing a credential of
// another tenant than the one appreg.yaml names (tenant).
func (o *planOptions) graph(ctx context.Context, e *factory, tenant string) (*graph.Client, error) {
	g, err := e.operatorGraph(o.graphURL, o.repo, o.graphLogger(e))
	if err != nil {
		return nil, err
	}
	if err := checkTenant(ctx, g, o.config, tenant, e.getenv); err != nil {
		return nil, err
	}
	return g, nil
}

func runPlan(ctx context.Context, e *factory, args []string) error {
	o, err := parsePlanFlags(e, "plan", args)
	if err != nil {
		return err
	}
	loaded, err := load(e, o.config)
	if err != nil {
		return err
	}
	g, err := o.graph(ctx, e, loaded.Settings.TenantID)
	if err != nil {
		return err
	}
	if err := checkDomains(ctx, e, g, loaded, o.config); err != nil {
		return err
	}
	p, err := workflow.PlanAt(ctx, g, loaded, e.clock())
	if err != nil {
		return err
	}
	if err := o.writePlan(e, p); err != nil {
		return err
	}
	if p.Diagnostics.HasErrors() {
		return silentError{code: ExitError}
	}
	if o.detailedExitcode && p.HasChanges() {
		return errChanges
	}
	return nil
}

func (o *planOptions) writePlan(e *factory, p *plan.Plan) error {
	if o.out != "" {
		var buf bytes.Buffer
		if err := render.PlanJSON(&buf, p); err != nil {
			return err
		}
		if err := os.WriteFile(o.out, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing the plan: %w", err)
		}
	}
	return writePlan(e.stdout, o.format, p, e.color(e.stdout))
}

func writePlan(w io.Writer, format string, p *plan.Plan, color bool) error {
	switch format {
	case "json":
		return render.PlanJSON(w, p)
	case "markdown":
		_, err := io.WriteString(w, strings.Join(render.PlanMarkdown(p, render.Options{}), "\n\n---\n\n"))
		return err
	}
	return render.PlanText(w, p, render.Options{Color: color})
}

func runApply(ctx context.Context, e *factory, args []string) error {
	o, err := parsePlanFlags(e, "apply", args)
	if err != nil {
		return err
	}
	loaded, err := load(e, o.config)
	if err != nil {
		return err
	}
	g, err := o.graph(ctx, e, loaded.Settings.TenantID)
	if err != nil {
		return err
	}
	if err := checkDomains(ctx, e, g, loaded, o.config); err != nil {
		return err
	}
	if !o.confirm {
		p, err := workflow.PlanAt(ctx, g, loaded, e.clock())
		if err != nil {
			return err
		}
		if err := writePlan(e.stdout, o.format, p, e.color(e.stdout)); err != nil {
			return err
		}
		if !p.HasChanges() && !p.Diagnostics.HasErrors() {
			return nil // nothing to apply: the tenant matches the files
		}
		fmt.Fprintln(e.stderr, "appreg: nothing was changed; run 'appreg apply --confirm' to apply this plan")
		return silentError{code: ExitError}
	}
	r, err := e.rotator(g, loaded.Settings)
	if err != nil {
		return err
	}
	// No Gate: an operator's apply is not gated on pull request approvals
	// (the Action's is); the operator's credentials are the approval.
	logger := o.logger(e)
	if isTerminal(e.stderr) && o.format == "text" {
		logger = newProgressLogger(e.stderr, logger)
	}
	p, res, err := workflow.Apply(ctx, g, loaded, workflow.ApplyOptions{Expected: o.expected, Logger: logger, Rotator: r, Now: e.clock()})
	if err != nil {
		return err
	}
	if err := o.writeResult(e, p, res); err != nil {
		return err
	}
	if res.Failed() || p.Diagnostics.HasErrors() {
		return silentError{code: ExitError}
	}
	return nil
}

func (o *planOptions) writeResult(e *factory, p *plan.Plan, res *plan.Result) error {
	if o.out != "" {
		var buf bytes.Buffer
		if err := render.ResultJSON(&buf, res); err != nil {
			return err
		}
		if err := os.WriteFile(o.out, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing the result: %w", err)
		}
	}
	switch o.format {
	case "json":
		return render.ResultJSON(e.stdout, res)
	case "markdown":
		_, err := io.WriteString(e.stdout, strings.Join(render.ResultMarkdown(res, render.Options{}), "\n\n---\n\n"))
		return err
	}
	for _, d := range p.Diagnostics {
		fmt.Fprintln(e.stderr, d.String())
	}
	return render.ResultText(e.stdout, res, render.Options{Color: e.color(e.stdout)})
}

// isTerminal reports whether w is a character device (colour output).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
