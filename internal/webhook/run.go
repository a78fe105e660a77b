package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/appreg/appreg/internal/action"
)

// ActionRunner runs a job as the GitHub Action would run for the same
// event: it reads the repository at the job's commit into a temporary
// folder, writes the payload next to it and calls action.Parse and
// action.Run with the environment the Actions runner would set
// (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_SHA,
// GITHUB_API_URL, GITHUB_WORKSPACE and the INPUT_* values). The process's
// working directory is never changed: runs of different repositories
// proceed side by side.
type ActionRunner struct {
	// Checkout writes the files of repo at sha into dir and returns a
	// GitHub token of the installation (for the Action's github-token,
	// secrets-token and members-token inputs).
	Checkout func(ctx context.Context, installationID int64, repo, sha, dir string) (token string, err error)
	// APIURL is GITHUB_API_URL.
	APIURL string
	// Inputs are the Action inputs every run gets (tenant-id, client-id,
	// graph-url, …), keyed by input name.
	Inputs map[string]string
	// Deps builds the run's dependencies from its options and the job.
	Deps func(ctx context.Context, o *action.Options, j Job) (action.Deps, error)
	// TempDir is where the runs' folders go (empty: os.TempDir()).
	TempDir string
	Logger  *slog.Logger
}

// Run runs j.
func (a *ActionRunner) Run(ctx context.Context, j Job) error {
	dir, err := os.MkdirTemp(a.TempDir, "appreg-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ws := filepath.Join(dir, "workspace")
	if err := os.Mkdir(ws, 0o700); err != nil {
		return err
	}
	token, err := a.Checkout(ctx, j.InstallationID, j.Repo, j.SHA, ws)
	if err != nil {
		return fmt.Errorf("reading the repository: %w", err)
	}
	eventPath := filepath.Join(dir, "event.json")
	if err := os.WriteFile(eventPath, j.Payload, 0o600); err != nil {
		return err
	}
	env := map[string]string{
		"GITHUB_EVENT_NAME": j.Event,
		"GITHUB_EVENT_PATH": eventPath,
		"GITHUB_REPOSITORY": j.Repo,
		"GITHUB_SHA":        j.SHA,
		"GITHUB_API_URL":    a.APIURL,
		"GITHUB_WORKSPACE":  ws,
	}
	for k, v := range a.Inputs {
		env[inputVar(k)] = v
	}
	for _, k := range []string{"github-token", "secrets-token", "members-token"} {
		env[inputVar(k)] = token
	}
	o, err := action.Parse(func(k string) string { return env[k] })
	if err != nil {
		return err
	}
	d, err := a.Deps(ctx, o, j)
	if err != nil {
		return err
	}
	log := a.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d.Logger = log.With("delivery", j.Delivery)
	// The Action's log (workflow commands, rendered plans) goes to the
	// server's log at debug level, a line per record.
	w := &logWriter{log: d.Logger, secrets: []string{token, a.Inputs["client-secret"]}}
	d.Stdout = w
	err = action.Run(ctx, o, d)
	w.Flush()
	if err != nil {
		// The error goes to the server's log, which no runner masks.
		return errors.New(w.redact(err.Error()))
	}
	return nil
}

// inputVar is the variable the Actions runner sets for input name.
func inputVar(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// logWriter turns the Action's output into debug log records, one a line.
// The runner would hide masked values; here, add-mask commands (which
// carry them) are dropped and the run's secrets replaced.
type logWriter struct {
	log     *slog.Logger
	secrets []string
	line    []byte
}

func (w *logWriter) emit(line string) {
	if strings.HasPrefix(line, "::add-mask::") {
		return
	}
	w.log.Debug("action", "line", w.redact(line))
}

func (w *logWriter) redact(s string) string {
	for _, v := range w.secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	return s
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.line = append(w.line, p...)
	for {
		i := strings.IndexByte(string(w.line), '\n')
		if i < 0 {
			return len(p), nil
		}
		w.emit(string(w.line[:i]))
		w.line = w.line[i+1:]
	}
}

// Flush logs a last line without a newline.
func (w *logWriter) Flush() {
	if len(w.line) > 0 {
		w.emit(string(w.line))
		w.line = nil
	}
}

var _ io.Writer = (*logWriter)(nil)
