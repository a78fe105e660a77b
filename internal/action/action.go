// Package action is appreg's GitHub Action: a thin shell that reads what the
// Actions runner provides (INPUT_* inputs, GITHUB_* variables, the event
// payload at GITHUB_EVENT_PATH), runs the use-case package workflow picks
// for the event, and prints its report: the log with file annotations, the
// step summary, step outputs and the plan and result as JSON files.
//
// With the command input "auto" the use-case follows the event
// (workflow.Route):
//
//   - pull_request opened, synchronize or reopened: plan, one sticky comment
//     on the pull request (marker <!-- appreg:plan -->) with an Approval
//     section, the statuses appreg/plan and appreg/approval on the head
//     commit, the step summary and the outputs has-changes and plan-json.
//     Pull requests from forks are not planned: GitHub gives their
//     workflows neither secrets nor an OIDC token, so the comment says so
//     and only the files are validated; without a plan there is no
//     approval status either.
//   - pull_request_review submitted, edited or dismissed: plan again (to
//     know the change categories) and update the comment and the
//     appreg/approval status; appreg/plan is left alone.
//   - pull_request closed: nothing (a merge is applied by the push it makes).
//   - push to the default branch: apply, then a comment with the result
//     (marker <!-- appreg:apply -->; one per run, never edited) on the pull
//     request whose merge produced the pushed commit, and the step summary.
//     Every apply the Action runs is gated on approval.
//   - schedule and workflow_dispatch: no default; the command input names
//     plan, apply, validate, rotate or drift.
package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/workflow"
)

// TeamsToken is the token that reads team membership: MembersToken, else
// SecretsToken, else GitHubToken.
func (o *Options) TeamsToken() string {
	for _, t := range []string{o.MembersToken, o.SecretsToken} {
		if t != "" {
			return t
		}
	}
	return o.GitHubToken
}

// Deps are what a run talks to: the workflow's ports (package cli builds
// them; the Action fills in Load, Config and Redact) and where the log goes.
type Deps struct {
	workflow.Deps
	// Stdout receives the workflow commands (annotations, masks) and the
	// human-readable log.
	Stdout io.Writer
}

// Options are the parsed inputs and runner context of one run; Parse builds
// them.
type Options struct {
	// Command is auto, plan, apply, validate, rotate or drift.
	Command string
	// Config is the path of appreg.yaml, relative to the workspace.
	Config string
	// Workspace is the checkout the run reads (GITHUB_WORKSPACE): Config
	// and the JSON documents are resolved under it. Empty: the working
	// directory.
	Workspace string
	// Auth is how to reach Microsoft Graph; package cli builds the
	// credential from it.
	Auth Auth
	// GitHubToken authenticates comments, statuses and reviews;
	// SecretsToken is for writing Actions secrets (rotation), which
	// GITHUB_TOKEN cannot do; MembersToken reads organisation team
	// membership for approval, which GITHUB_TOKEN cannot do either (empty:
	// SecretsToken, then GitHubToken).
	GitHubToken, SecretsToken, MembersToken string
	// OrgPolicy is the organisation policy's YAML (input org-policy, best
	// an organisation variable the repository cannot edit); empty: none.
	OrgPolicy string
	// Event is what the run is about: GITHUB_EVENT_NAME, the payload at
	// GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_SHA and the run's URL.
	Event workflow.Event
	// APIURL is the GitHub REST API root (GITHUB_API_URL; GitHub Enterprise
	// Server has its own).
	APIURL string
	// PlanJSON and ResultJSON are where the JSON documents are written
	// (relative to the workspace).
	PlanJSON, ResultJSON string

	getenv func(string) string
}

// Auth holds the Graph inputs.
type Auth struct {
	TenantID, ClientID string
	// ClientSecret, when set, is used instead of GitHub OIDC.
	ClientSecret string
	// GraphURL and AuthorityHost point at a national cloud (or a fake).
	GraphURL, AuthorityHost string
}

// DefaultPlanJSON and DefaultResultJSON are where the Action writes the plan
// and the apply result as JSON, relative to the workspace, so that later
// steps of the job can read them (the outputs plan-json and result-json
// carry these paths).
const (
	DefaultPlanJSON   = ".appreg/plan.json"
	DefaultResultJSON = ".appreg/result.json"
)

// Parse reads the inputs and the runner's variables through getenv and
// parses the event payload. It checks what can be checked without I/O
// beyond reading the payload.
func Parse(getenv func(string) string) (*Options, error) {
	gha := githubactions.New(githubactions.WithGetenv(getenv))
	in := func(name, def string) string {
		if v := gha.GetInput(name); v != "" {
			return v
		}
		return def
	}
	o := &Options{
		Command:   strings.ToLower(in("command", workflow.CommandAuto)),
		Config:    in("config", "appreg.yaml"),
		Workspace: getenv("GITHUB_WORKSPACE"),
		Auth: Auth{
			TenantID:      in("tenant-id", ""),
			ClientID:      in("client-id", ""),
			ClientSecret:  in("client-secret", ""),
			GraphURL:      in("graph-url", ""),
			AuthorityHost: in("authority-host", ""),
		},
		GitHubToken:  in("github-token", getenv("GITHUB_TOKEN")),
		SecretsToken: in("secrets-token", ""),
		MembersToken: in("members-token", ""),
		OrgPolicy:    in("org-policy", ""),
		APIURL:       getenv("GITHUB_API_URL"),
		PlanJSON:     DefaultPlanJSON,
		ResultJSON:   DefaultResultJSON,
		getenv:       getenv,
	}
	switch o.Command {
	case workflow.CommandAuto, workflow.CommandPlan, workflow.CommandApply, workflow.CommandValidate, workflow.CommandRotate, workflow.CommandDrift:
	default:
		return nil, fmt.Errorf("input command is %q: want auto, plan, apply, validate, rotate or drift", o.Command)
	}
	name := getenv("GITHUB_EVENT_NAME")
	if p := getenv("GITHUB_EVENT_PATH"); p != "" {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading the event payload: %w", err)
		}
		if o.Event, err = workflow.ParseEvent(name, data); err != nil {
			return nil, fmt.Errorf("reading the event payload %s: %w", p, err)
		}
	} else if o.Command == workflow.CommandAuto && (name == "pull_request" || name == "pull_request_review" || name == "push") {
		return nil, fmt.Errorf("GITHUB_EVENT_PATH is not set: command auto needs the %s event payload", name)
	}
	o.Event.Name = name
	if repo := getenv("GITHUB_REPOSITORY"); repo != "" {
		o.Event.Repo = repo
	}
	// A push names its commit; other runs read GITHUB_SHA.
	if sha := getenv("GITHUB_SHA"); name != "push" || o.Event.SHA == "" {
		o.Event.SHA = sha
	}
	if server, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_RUN_ID"); server != "" && id != "" && o.Event.Repo != "" {
		o.Event.RunURL = strings.TrimSuffix(server, "/") + "/" + o.Event.Repo + "/actions/runs/" + id
	}
	return o, nil
}

// secrets are the input values that must never be shown.
func (o *Options) secrets() []string {
	var out []string
	for _, s := range []string{o.Auth.ClientSecret, o.GitHubToken, o.SecretsToken, o.MembersToken} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// redact replaces secret input values in text bound for GitHub, as a
// second line of defence behind the runner's masking (which does not apply
// to comments).
func (o *Options) redact(s string) string {
	for _, v := range o.secrets() {
		s = strings.ReplaceAll(s, v, "***")
	}
	return s
}

// Run performs the run o describes and prints its report.
func Run(ctx context.Context, o *Options, d Deps) error {
	if d.Stdout == nil {
		d.Stdout = io.Discard
	}
	p := &printer{o: o, w: d.Stdout, gha: githubactions.New(githubactions.WithGetenv(o.getenv), githubactions.WithWriter(d.Stdout))}
	for _, s := range o.secrets() {
		// Values from ${{ secrets.X }} are masked already; this covers
		// values computed by earlier steps.
		p.gha.AddMask(s)
	}
	wd := d.Deps
	wd.Load, wd.Config, wd.Redact = workflow.Files(o.Workspace, o.Config), o.Config, o.redact
	if wd.Logger == nil {
		wd.Logger = slog.New(slog.DiscardHandler)
	}
	rep, err := workflow.Run(ctx, wd, o.Command, o.Event)
	err = errors.Join(err, p.report(rep))
	if err != nil {
		msg := err.Error()
		if errors.Is(err, workflow.ErrNoDelivery) {
			msg += ": set the secrets-token input to a token with Secrets: write"
		}
		p.annotate(diag.Diagnostic{Severity: diag.Error, Summary: o.redact(msg)})
	}
	return err
}
