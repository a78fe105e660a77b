package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/appreg/appreg/internal/action"
	"github.com/appreg/appreg/internal/diag"
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
	if err := printDiagnostics(e.stdout, g.format, diags); err != nil {
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
// GitHub workflow commands that annotate the files in a pull request.
func printDiagnostics(w io.Writer, format string, diags diag.Diagnostics) error {
	switch format {
	case "json":
		out := struct {
			FormatVersion string           `json:"format_version"`
			Valid         bool             `json:"valid"`
			Diagnostics   diag.Diagnostics `json:"diagnostics"`
		}{"1.0", !diags.HasErrors(), diags}
		if out.Diagnostics == nil {
			out.Diagnostics = diag.Diagnostics{}
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
