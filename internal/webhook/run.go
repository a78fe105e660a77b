package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/appreg/appreg/internal/workflow"
)

// WorkflowRunner runs a job: it reads the repository at the job's commit
// into a temporary folder and runs the use-case of the job's event
// (workflow.Route) with the App installation's clients. The process's
// working directory is never changed: runs of different repositories
// proceed side by side.
type WorkflowRunner struct {
	// Checkout writes the files of repo at sha into dir.
	Checkout func(ctx context.Context, installationID int64, repo, sha, dir string) error
	// Deps builds the run's ports for job j, whose files are in workspace.
	// The runner sets Load, Config and Logger.
	Deps func(ctx context.Context, j Job, workspace string) (workflow.Deps, error)
	// Config is the settings file's path in the repository (default
	// appreg.yaml).
	Config string
	// TempDir is where the runs' folders go (empty: os.TempDir()).
	TempDir string
	// Metrics count the client secrets each run created or rotated (nil:
	// none).
	Metrics *Metrics
	Logger  *slog.Logger
}

// Run runs j.
func (a *WorkflowRunner) Run(ctx context.Context, j Job) error {
	dir, err := os.MkdirTemp(a.TempDir, "appreg-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := a.Checkout(ctx, j.InstallationID, j.Repo, j.SHA, dir); err != nil {
		return fmt.Errorf("reading the repository: %w", err)
	}
	d, err := a.Deps(ctx, j, dir)
	if err != nil {
		return err
	}
	cfg := a.Config
	if cfg == "" {
		cfg = "appreg.yaml"
	}
	d.Config = cfg
	d.Load = workflow.Files(dir, cfg)
	log := a.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d.Logger = log.With("delivery", j.Delivery)
	rep, err := workflow.Run(ctx, d, workflow.CommandAuto, j.Event)
	logReport(d.Logger, rep, d.Redact)
	if a.Metrics != nil {
		a.Metrics.Secrets(secretOutcomes(rep))
	}
	if invalid := (*workflow.InvalidFilesError)(nil); errors.As(err, &invalid) && err.Error() == invalid.Error() {
		// Reported on the pull request and its commit (and nothing else
		// failed): running it again finds the same files.
		d.Logger.Warn("the registration files have errors: reported, not retried", "error", err)
		return nil
	}
	if err != nil && d.Redact != nil {
		// The error goes to the server's log, which no runner masks.
		return errors.New(d.Redact(err.Error()))
	}
	return err
}

// secretOutcomes counts the client secrets a run created or rotated and
// delivered, and those that failed.
func secretOutcomes(rep *workflow.Report) (rotated, failed int) {
	if rep == nil {
		return 0, 0
	}
	count := func(errText, newKey string) {
		switch {
		case errText != "":
			failed++
		case newKey != "":
			rotated++
		}
	}
	if rep.Result != nil {
		for _, o := range rep.Result.Secrets {
			count(o.Error, o.NewKeyID)
		}
	}
	if rep.Rotation != nil {
		for _, o := range rep.Rotation.Outcomes {
			count(o.Error, o.NewKeyID)
		}
	}
	return rotated, failed
}

// logReport writes a run's report to the server's log: notes and
// diagnostics at info and warning level, renderings at debug level.
func logReport(log *slog.Logger, rep *workflow.Report, redact func(string) string) {
	if rep == nil {
		return
	}
	if redact == nil {
		redact = func(s string) string { return s }
	}
	for _, e := range rep.Log {
		switch {
		case len(e.Diagnostics) > 0:
			for _, d := range e.Diagnostics {
				log.Debug("diagnostic", "severity", d.Severity.String(), "text", redact(d.String()))
			}
		case e.Group != "":
			log.Debug(e.Group, "text", redact(e.Text))
		case e.Level == workflow.Warning:
			log.Warn(redact(e.Text))
		default:
			log.Info(redact(e.Text))
		}
	}
}
