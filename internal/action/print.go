package action

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sethvargo/go-githubactions"

	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/render"
	"github.com/appreg/appreg/internal/workflow"
)

// printer shows a run's report the way the Actions runner takes it:
// workflow commands and log lines on stdout, the step summary and outputs
// in the runner's files, JSON documents in the workspace.
type printer struct {
	o   *Options
	w   io.Writer
	gha *githubactions.Action
}

// report prints rep; the error is for JSON documents that could not be
// written.
func (p *printer) report(rep *workflow.Report) error {
	for _, e := range rep.Log {
		switch {
		case len(e.Diagnostics) > 0:
			for _, d := range e.Diagnostics {
				p.annotate(d)
			}
		case e.Group != "":
			p.group(e.Group, e.Text)
		case e.Level == workflow.Warning:
			p.annotate(diag.Diagnostic{Severity: diag.Warning, Summary: e.Text})
		default:
			fmt.Fprintln(p.w, p.o.redact(e.Text))
		}
	}
	for _, md := range rep.Summary {
		p.summary(md)
	}
	for _, out := range rep.Outputs {
		p.output(out.Name, out.Value)
	}
	var errs []error
	if rep.Plan != nil {
		errs = append(errs, p.writeJSON(p.o.PlanJSON, "plan-json", func(w io.Writer) error { return render.PlanJSON(w, rep.Plan) }))
	}
	if rep.Result != nil {
		errs = append(errs, p.writeJSON(p.o.ResultJSON, "result-json", func(w io.Writer) error { return render.ResultJSON(w, rep.Result) }))
	}
	return errors.Join(errs...)
}

// annotate prints a diagnostic as a file annotation.
func (p *printer) annotate(d diag.Diagnostic) {
	d.Summary = p.o.redact(d.Summary)
	fmt.Fprintln(p.w, Annotation(d))
}

// group prints a rendering in a collapsible log group, with workflow
// commands disabled so that no value in it can be taken for one.
func (p *printer) group(name, text string) {
	token := stopToken()
	fmt.Fprintf(p.w, "::group::%s\n::stop-commands::%s\n%s::%s::\n::endgroup::\n", name, token, p.o.redact(text), token)
}

// summary appends markdown to the step summary, when the runner gives one.
func (p *printer) summary(md string) {
	if p.o.getenv("GITHUB_STEP_SUMMARY") == "" {
		return
	}
	if err := fileCommand(func() { p.gha.AddStepSummary(p.o.redact(md)) }); err != nil {
		p.annotate(diag.Diagnostic{Severity: diag.Warning, Summary: fmt.Sprintf("Could not write the step summary: %v", err)})
	}
}

// output sets a step output, when the runner takes them.
func (p *printer) output(name, value string) {
	if p.o.getenv("GITHUB_OUTPUT") == "" {
		return
	}
	if err := fileCommand(func() { p.gha.SetOutput(name, p.o.redact(value)) }); err != nil {
		p.annotate(diag.Diagnostic{Severity: diag.Warning, Summary: fmt.Sprintf("Could not set output %s: %v", name, err)})
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

// writeJSON writes a JSON document to path (under the workspace, creating
// its directory) and sets output to its path.
func (p *printer) writeJSON(path, output string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	file := path
	if p.o.Workspace != "" && !filepath.IsAbs(path) {
		file = filepath.Join(p.o.Workspace, path)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	p.output(output, filepath.ToSlash(path))
	return nil
}

// stopToken is a random token for ::stop-commands::.
func stopToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
