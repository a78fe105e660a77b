package workflow

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/rotate"
	"github.com/appreg/appreg/internal/spec"
)

// Deps are the ports a pull-request, merge or schedule run talks through.
// The Action builds them from the runner's inputs, the webhook server from
// the App installation's clients.
type Deps struct {
	// Load reads the registration files of the run's commit; Config is
	// the settings file's name as messages show it.
	Load   func() (*spec.Result, diag.Diagnostics)
	Config string
	// Graph builds the Microsoft Graph client. It is called only when the
	// run reads the tenant, so that runs that do not (validate, fork pull
	// requests) never request a token.
	Graph func(ctx context.Context) (Graph, error)
	// Rotator builds what creates, verifies and delivers client secrets,
	// after Graph; nil, or a nil result, means secrets cannot be
	// delivered and each is reported as failed.
	Rotator      func(ctx context.Context) (*rotate.Rotator, error)
	Comments     Comments
	Statuses     Statuses
	PullRequests PullRequests
	Reviews      Reviews
	// Teams reads team membership for approval; nil, or a lookup failing
	// with ErrTeamUnreadable, leaves only the users a reviewer group
	// lists.
	Teams Teams
	// Base reads the registration files of another commit of the
	// repository: a pull request's base, the commit before a push. The
	// change is judged by that commit's policy. nil, or an error, means
	// the base is unknown: then the head's policy judges, with the
	// built-in categories, and the run warns.
	Base func(ctx context.Context, repo, sha string) (*spec.Result, diag.Diagnostics, error)
	// Org is the organisation's policy (nil: none).
	Org *appreg.OrgPolicy
	// Branches reads the default branch's head (apply refuses older
	// pushes); nil refuses every push.
	Branches Branches
	// Redact replaces secret values in text bound for GitHub (nil: none).
	Redact func(string) string
	// Now is the clock (nil: time.Now).
	Now    func() time.Time
	Logger *slog.Logger
	// Issues keeps the drift issue of scheduled plans (command drift, or
	// plan on schedule); nil leaves drift to the log and step summary.
	Issues DriftIssues
}

// Level says how a Note is shown: Info as a log line, Warning as a warning
// annotation.
type Level int

// Levels of a Note.
const (
	Info Level = iota
	Warning
)

// Entry is one item of a run's log, in order: a note, diagnostics to
// annotate on their files, or a rendering shown as a collapsible group.
type Entry struct {
	Level Level
	// Text is a note (Diagnostics and Group empty).
	Text string
	// Diagnostics are annotated on their files.
	Diagnostics diag.Diagnostics
	// Group names a rendering (Text) shown in a collapsible group.
	Group string
}

// Output is a named result of a run (the Action's step outputs).
type Output struct{ Name, Value string }

// Report is what a run tells its shell to show: the log in order, the
// step summary, the outputs, and the plan and result for the JSON
// documents. What a run writes to GitHub (comments, statuses) it writes
// itself.
type Report struct {
	Log     []Entry
	Summary []string
	Outputs []Output
	// Plan and Result are nil when the run did not plan or apply.
	Plan   *plan.Plan
	Result *plan.Result
	// Rotation is set by rotate runs.
	Rotation *Rotation
}

func (r *Report) info(format string, args ...any) {
	r.Log = append(r.Log, Entry{Level: Info, Text: fmt.Sprintf(format, args...)})
}

func (r *Report) warn(format string, args ...any) {
	r.Log = append(r.Log, Entry{Level: Warning, Text: fmt.Sprintf(format, args...)})
}

func (r *Report) annotate(diags diag.Diagnostics) {
	if len(diags) > 0 {
		r.Log = append(r.Log, Entry{Diagnostics: diags})
	}
}

func (r *Report) group(name, text string) {
	r.Log = append(r.Log, Entry{Group: name, Text: text})
}

func (r *Report) summary(md string) { r.Summary = append(r.Summary, md) }

func (r *Report) output(name, value string) {
	r.Outputs = append(r.Outputs, Output{name, value})
}

// Files returns the loader of the settings file config (a path relative to
// workspace, or absolute) and the registrations it names. Diagnostics name
// files relative to workspace, as annotations need; an empty workspace is
// the working directory.
func Files(workspace, config string) func() (*spec.Result, diag.Diagnostics) {
	return func() (*spec.Result, diag.Diagnostics) {
		if workspace != "" && filepath.IsLocal(config) {
			return spec.LoadFS(os.DirFS(workspace), filepath.ToSlash(filepath.Clean(config)))
		}
		return spec.Load(config)
	}
}
