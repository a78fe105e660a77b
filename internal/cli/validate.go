package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/appreg/appreg/internal/action"
	"github.com/appreg/appreg/internal/advice"
	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/spec"
)

func runValidate(_ context.Context, e *factory, args []string) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	var g globals
	g.register(fs, e, "text", "json", "github")
	if err := parse(fs, e, args); err != nil {
		return err
	}
	if err := g.checkFormat("text", "json", "github"); err != nil {
		return err
	}
	loaded, diags := spec.Load(g.config)
	// Advice is checked only on files that load: it judges what they mean.
	var found []plan.Advice
	if !diags.HasErrors() {
		in := advice.Input{Settings: loaded.Settings, Desired: loaded.Desired}
		found = advice.Check(in)
		diags = append(diags, advice.Diagnostics(in, found)...)
		diags.Sort()
	}
	if err := printDiagnostics(e.stdout, g.format, diags, found); err != nil {
		return err
	}
	if diags.HasErrors() {
		return silentError{code: ExitError}
	}
	if g.format == "text" {
		fmt.Fprintf(e.stdout, "%d registrations valid (%s)\n", len(loaded.Desired.Registrations), g.config)
	}
	return nil
}

// printDiagnostics writes diagnostics as text lines, a JSON document, or
// GitHub workflow commands that annotate the files in a pull request. The
// JSON document also lists every piece of advice, silenced ones included.
func printDiagnostics(w io.Writer, format string, diags diag.Diagnostics, found []plan.Advice) error {
	switch format {
	case "json":
		out := struct {
			FormatVersion string           `json:"format_version"`
			Valid         bool             `json:"valid"`
			Diagnostics   diag.Diagnostics `json:"diagnostics"`
			Advice        []plan.Advice    `json:"advice"`
		}{"1.0", !diags.HasErrors(), diags, found}
		if out.Diagnostics == nil {
			out.Diagnostics = diag.Diagnostics{}
		}
		if out.Advice == nil {
			out.Advice = []plan.Advice{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "github":
		for _, d := range diags {
			fmt.Fprintln(w, action.Annotation(d))
		}
	default:
		for _, d := range diags {
			fmt.Fprintln(w, d.String())
		}
	}
	return nil
}

func runSchema(_ context.Context, e *factory, args []string) error {
	fs := flag.NewFlagSet("schema", flag.ContinueOnError)
	if err := parse(fs, e, args); err != nil {
		return err
	}
	_, err := e.stdout.Write(spec.Schema())
	return err
}
