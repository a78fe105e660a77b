package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/spec"
	"github.com/appreg/appreg/internal/tfimport"
	"github.com/appreg/appreg/internal/workflow"
)

// importOptions are the inputs of appreg import, parsed and checked.
type importOptions struct {
	planOptions
	appIDs []string
	names  map[string]string // appId (lower case) -> registration name
	outDir string
	force  bool
	// terraform is what --from-terraform read, nil without it.
	terraform *tfimport.Result
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func parseImportFlags(e *factory, args []string) (*importOptions, error) {
	flags := flag.NewFlagSet("import", flag.ContinueOnError)
	o := &importOptions{names: map[string]string{}}
	o.register(flags, e, "text", "json")
	o.registerRepo(flags, e)
	var ids, names listFlag
	flags.Var(&ids, "app-id", "the Application (client) ID of an existing application to import (repeatable)")
	flags.Var(&names, "name", "APPID=NAME: the registration name of an imported application (repeatable; default: from its display name)")
	flags.StringVar(&o.outDir, "out", "", "the folder to write to (default: the registrations folder of appreg.yaml)")
	flags.BoolVar(&o.force, "force", false, "overwrite existing files, and import anew an application a file adopts but apply has not adopted yet")
	tfFile := flags.String("from-terraform", "", "a Terraform state file (format 4) or terraform show -json output: import every application its azuread resources manage")
	flags.BoolVar(&o.verbose, "v", false, "log Graph activity to stderr")
	if err := parse(flags, e, args); err != nil {
		return nil, err
	}
	if err := o.checkFormat("text", "json"); err != nil {
		return nil, err
	}
	if *tfFile != "" {
		data, err := os.ReadFile(*tfFile)
		if err != nil {
			return nil, usageError("--from-terraform: %v", err)
		}
		if o.terraform, err = tfimport.Parse(data); err != nil {
			return nil, usageError("--from-terraform %s: %v", *tfFile, err)
		}
		if len(o.terraform.ClientIDs) == 0 {
			return nil, usageError("--from-terraform %s: the state has no azuread_application or azuread_application_registration resources", *tfFile)
		}
		for _, id := range o.terraform.ClientIDs {
			if !slices.ContainsFunc(ids, func(s string) bool { return strings.EqualFold(s, id) }) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil, usageError("appreg import needs --app-id, the Application (client) ID of the application to import, or --from-terraform with a Terraform state")
	}
	o.appIDs = ids
	for _, n := range names {
		id, name, ok := strings.Cut(n, "=")
		if !ok || !appreg.IsGUID(id) || name == "" {
			return nil, usageError("--name %q must be APPID=NAME, e.g. --name 6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20=payments-api", n)
		}
		o.names[strings.ToLower(id)] = name
	}
	return o, nil
}

// runImport writes a registration file for each existing application named
// by --app-id, adopting it as it is. It writes all files or none.
func runImport(ctx context.Context, e *factory, args []string) error {
	o, err := parseImportFlags(e, args)
	if err != nil {
		return err
	}
	settings, diags := spec.LoadSettings(o.config)
	if err := diags.Err(); err != nil {
		return err
	}
	regDir := filepath.Join(filepath.Dir(o.config), filepath.FromSlash(settings.Registrations))
	out := o.outDir
	if out == "" {
		out = regDir
	}
	// The registrations that exist already: their names are taken and
	// their adopt: entries name applications that are being adopted. Their
	// own problems are validate's business, not import's.
	loaded := &spec.Result{Settings: settings, Desired: &appreg.Set{}, Files: map[string]string{}}
	if _, err := os.Stat(regDir); err == nil {
		loaded, _ = spec.Load(o.config)
	}
	g, err := o.graph(ctx, e, settings.TenantID)
	if err != nil {
		return err
	}
	imported, err := workflow.Import(ctx, g, loaded, workflow.ImportOptions{AppIDs: o.appIDs, Names: o.names, Reimport: o.force})
	if err != nil {
		return err
	}
	var exists diag.Diagnostics
	for _, im := range imported {
		path := filepath.Join(out, im.Name+".yaml")
		if _, err := os.Stat(path); err == nil && !o.force {
			exists = append(exists, diag.Diagnostic{Severity: diag.Error, File: path,
				Summary: fmt.Sprintf("the file exists; application %s was not imported", im.AppID),
				Detail:  fmt.Sprintf("pass --force to overwrite it, or choose another name with --name %s=NAME", im.AppID)})
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("checking %s: %w", path, err)
		}
	}
	if err := exists.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", out, err)
	}
	var written []importedFile
	for _, im := range imported {
		path := filepath.Join(out, im.Name+".yaml")
		if err := os.WriteFile(path, im.Data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		written = append(written, importedFile{Path: filepath.ToSlash(path), Name: im.Name, AppID: im.AppID, DisplayName: im.DisplayName, Notes: im.Notes})
	}
	return writeImported(e.stdout, o.format, written, o.terraform)
}
