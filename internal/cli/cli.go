// Package cli is appreg's command line and its composition root: the one
// place that builds real clients (Microsoft Graph, GitHub) from flags and
// environment, and the one place that turns errors into exit codes.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/workflow"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitError   = 1
	ExitChanges = 2 // plan --detailed-exitcode: changes present
)

// globalFlags removes the flags every command takes from args (anywhere
// before "--") and records them: --no-color.
func (e *factory) globalFlags(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if a == "--no-color" || a == "-no-color" {
			e.noColor = true
			continue
		}
		out = append(out, a)
	}
	return out
}

// color reports whether output to w is coloured: on a terminal, unless
// --no-color or NO_COLOR (https://no-color.org: set and not empty) or
// TERM=dumb say otherwise.
func (e *factory) color(w io.Writer) bool {
	return !e.noColor && e.getenv("NO_COLOR") == "" && e.getenv("TERM") != "dumb" && isTerminal(w)
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *factory, args []string) error
}

func commands() []command {
	return []command{
		{"validate", "check registration files and appreg.yaml without contacting Entra", runValidate},
		{"plan", "show what apply would change in the tenant", runPlan},
		{"apply", "change the tenant to match the registration files (needs --confirm; not gated on approvals)", runApply},
		{"import", "write registration files that adopt existing applications as they are", runImport},
		{"action", "run as the GitHub Action (inputs and event from the Actions runner; see action.yml)", runAction},
		{"serve", "serve the GitHub App's webhooks: plan, approve and apply like the Action, for every installed repository", runServe},
		{"rotate", "rotate client secrets that are due and deliver them to GitHub (needs --confirm)", runRotate},
		{"demo", "run plan and apply against a built-in Entra emulator: no tenant needed", runDemo},
		{"emulator", "serve an Entra emulator (Graph + token endpoint) for trying appreg and other tools", runEmulator},
		{"schema", "print the JSON Schema of registration files", runSchema},
		{"version", "print appreg's version", runVersion},
	}
}

// Main runs appreg with args (without the program name) and returns the
// process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &factory{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	return e.main(ctx, args)
}

func (e *factory) main(ctx context.Context, args []string) int {
	args = e.globalFlags(args)
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		fmt.Fprintf(e.stdout, "appreg %s\n", version())
		return ExitOK
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		e.usage(e.stdout)
		if len(args) == 0 {
			return ExitError
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return exitCode(e.stderr, c.run(ctx, e, args[1:]))
		}
	}
	fmt.Fprintf(e.stderr, "appreg: unknown command %q\n\n", args[0])
	e.usage(e.stderr)
	return ExitError
}

func (e *factory) usage(w io.Writer) {
	fmt.Fprintln(w, "appreg manages Microsoft Entra ID app registrations as code.")
	fmt.Fprintln(w, "\nUsage: appreg <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nGlobal flags: --version, --no-color (also NO_COLOR).")
	fmt.Fprintln(w, "Run 'appreg <command> -h' for a command's flags, examples and environment. Try 'appreg demo' first.")
}

// errChanges reports that a plan has changes (exit 2 with
// --detailed-exitcode).
var errChanges = errors.New("changes present")

// silentError is an error already reported to the user.
type silentError struct{ code int }

func (e silentError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// exitCode maps an error to an exit code, printing it. It is the only place
// that does so.
func exitCode(stderr io.Writer, err error) int {
	var silent silentError
	var diags *diag.ListError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, errChanges):
		return ExitChanges
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &silent):
		return silent.code
	case errors.As(err, &diags):
		for _, d := range diags.Diagnostics {
			fmt.Fprintln(stderr, d.String())
		}
		return ExitError
	case errors.Is(err, workflow.ErrNoDelivery):
		fmt.Fprintf(stderr, "appreg: %v: set APPREG_SECRETS_TOKEN (or the secrets-token input of the Action) to a token with Secrets: write\n", err)
		return ExitError
	}
	fmt.Fprintf(stderr, "appreg: %v\n", err)
	return ExitError
}

// globals are the flags every command takes.
type globals struct {
	config   string
	graphURL string
	format   string
	repo     string
}

func (g *globals) register(fs *flag.FlagSet, e *factory, formats ...string) {
	fs.StringVar(&g.config, "config", "appreg.yaml", "the repository settings file")
	graphURL := e.getenv("APPREG_GRAPH_URL")
	fs.StringVar(&g.graphURL, "graph-url", graphURL, "Microsoft Graph v1.0 base URL (env APPREG_GRAPH_URL; default "+"https://graph.microsoft.com/v1.0)")
	if len(formats) > 0 {
		fs.StringVar(&g.format, "format", formats[0], "output format: "+strings.Join(formats, ", "))
	}
}

// registerRepo adds --repo: the repository whose applications the command
// reads and writes. Its default is APPREG_REPOSITORY, else
// GITHUB_REPOSITORY (set in every Actions workflow).
func (g *globals) registerRepo(fs *flag.FlagSet, e *factory) {
	fs.StringVar(&g.repo, "repo", envOr(e.getenv, "APPREG_REPOSITORY", e.getenv("GITHUB_REPOSITORY")),
		"the GitHub repository (owner/name) these files belong to: appreg changes only the applications it owns (env APPREG_REPOSITORY or GITHUB_REPOSITORY)")
}

// checkRepo requires --repo: without it appreg cannot tell this
// repository's applications from another's.
func (g *globals) checkRepo(command string) error {
	switch {
	case g.repo == "":
		return usageError("appreg %s needs the repository these files belong to: --repo owner/name (or APPREG_REPOSITORY); it changes only the applications that repository owns", command)
	case !validRepo(g.repo):
		return usageError("--repo %q is not a GitHub repository: write owner/name", g.repo)
	}
	return nil
}

// validRepo reports whether repo is a GitHub repository's owner/name.
func validRepo(repo string) bool {
	owner, name, ok := strings.Cut(repo, "/")
	return ok && owner != "" && name != "" && !strings.ContainsAny(repo, " \t:") && strings.Count(repo, "/") == 1
}

func (g *globals) checkFormat(formats ...string) error {
	for _, f := range formats {
		if g.format == f {
			return nil
		}
	}
	return usageError("--format must be one of %s, not %q", strings.Join(formats, ", "), g.format)
}

func usageError(format string, args ...any) error {
	return fmt.Errorf("usage: "+format, args...)
}

// parse parses a command's flags, writing help to stdout.
func parse(fs *flag.FlagSet, e *factory, args []string) error {
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fs.SetOutput(e.stdout)
		writeHelp(e.stdout, fs.Name(), fs.PrintDefaults)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return silentError{code: ExitError}
	}
	if fs.NArg() > 0 {
		return usageError("appreg %s takes no arguments, got %q", fs.Name(), fs.Args())
	}
	return nil
}

func runVersion(_ context.Context, e *factory, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if err := parse(fs, e, args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "appreg %s\n", version())
	return nil
}

// version describes the binary from its build information: the module
// version (a release tag, or the pseudo-version go derives from the
// commit), the VCS revision and its time, and whether the tree was modified.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown version: built without module support)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var details []string
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += ", modified"
		}
		details = append(details, "commit "+rev)
	}
	if t := settings["vcs.time"]; t != "" {
		details = append(details, "committed "+t)
	}
	details = append(details, info.GoVersion)
	return v + " (" + strings.Join(details, ", ") + ")"
}
