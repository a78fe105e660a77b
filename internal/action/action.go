// Package action is appreg's GitHub Action: a thin shell that reads what the
// Actions runner provides (INPUT_* inputs, GITHUB_* variables, the event
// payload at GITHUB_EVENT_PATH), picks a use-case from package workflow and
// reports through GitHub: a sticky pull request comment, a commit status, the
// step summary, step outputs and file annotations.
//
// With the command input "auto" it routes by event:
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
//     Every apply the Action runs is gated: a change that policy.require
//     says needs approval is applied only if the reviews of the pull
//     request merged as the commit approve its last commit; otherwise it is
//     refused and reported, and the rest is applied. (appreg apply, run by
//     an operator, is not gated.)
//   - schedule and workflow_dispatch: no default; the command input names
//     plan, apply or validate.
//
// The Action reaches GitHub through the small interfaces below, which
// *gh.Client (wrapped in package cli) satisfies, and Microsoft Graph through
// workflow.Graph, built only when a run needs the tenant.
package action

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/appreg/appreg/internal/policy"
	"github.com/appreg/appreg/internal/rotate"
	"github.com/appreg/appreg/internal/workflow"
)

// Commands the command input accepts.
const (
	CommandAuto     = "auto"
	CommandPlan     = "plan"
	CommandApply    = "apply"
	CommandValidate = "validate"
	CommandRotate   = "rotate"
)

// Markers of the Action's sticky comments.
const (
	PlanMarker  = "<!-- appreg:plan -->"
	ApplyMarker = "<!-- appreg:apply -->"
)

// StatusContext is the commit status the Action keeps on a pull request's
// head commit for the plan; ApprovalContext the one for its approval.
const (
	StatusContext   = "appreg/plan"
	ApprovalContext = "appreg/approval"
)

// Commit status states.
const (
	StatePending = "pending"
	StateSuccess = "success"
	StateFailure = "failure"
	StateError   = "error"
)

// Status is a commit status.
type Status struct {
	State, Context, Description, TargetURL string
}

// Comments writes pull request comments. UpsertStickyComment keeps one
// marked comment (or numbered parts of it), editing it in place; the plan
// uses it. CreateComment adds one; each apply's result is its own comment,
// so that a later run never overwrites the record of what an earlier one
// changed. *gh.Client implements it.
type Comments interface {
	UpsertStickyComment(ctx context.Context, repo string, number int, marker string, parts []string) ([]int64, error)
	CreateComment(ctx context.Context, repo string, number int, body string) (int64, error)
}

// Statuses sets commit statuses.
type Statuses interface {
	SetStatus(ctx context.Context, repo, sha string, s Status) error
}

// PullRequests finds the pull request whose merge produced commit sha on the
// base branch; found is false when the commit was pushed directly.
type PullRequests interface {
	MergedPullRequest(ctx context.Context, repo, sha string) (number int, found bool, err error)
	// CommentBodies returns the bodies of the comments on pull request
	// number, oldest first (apply reads the reviewed plan's fingerprint).
	CommentBodies(ctx context.Context, repo string, number int) ([]string, error)
}

// PullRequest is what approval needs to know about a pull request.
type PullRequest struct {
	Number int
	// HeadSHA is the head commit; for a merged pull request, its last one.
	HeadSHA string
	// Author is the login that opened it.
	Author string
}

// Reviews reads a pull request and its reviews (in chronological order),
// for approval. *gh.Client, adapted in package cli, implements it.
type Reviews interface {
	PullRequest(ctx context.Context, repo string, number int) (PullRequest, error)
	ListReviews(ctx context.Context, repo string, number int) ([]policy.Review, error)
}

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

// Deps are what a run talks to.
type Deps struct {
	// Graph builds the Microsoft Graph client. It is called only when the
	// run reads the tenant, so that runs that do not (validate, fork pull
	// requests) never request a token.
	Graph func(ctx context.Context) (workflow.Graph, error)
	// Rotator builds what creates, verifies and delivers client secrets
	// (with the secrets-token input), after Graph; nil, or a nil result,
	// means secrets cannot be delivered and each is reported as failed.
	Rotator      func(ctx context.Context) (*rotate.Rotator, error)
	Comments     Comments
	Statuses     Statuses
	PullRequests PullRequests
	Reviews      Reviews
	// Teams reads team membership for approval; nil, or a lookup failing
	// with workflow.ErrTeamUnreadable, leaves only the users a reviewer
	// group lists.
	Teams workflow.Teams
	// Stdout receives the workflow commands (annotations, masks) and the
	// human-readable log; Logger structured progress (both end up in the
	// step's log).
	Stdout io.Writer
	Logger *slog.Logger
}

// Options are the parsed inputs and runner context of one run; Parse builds
// them.
type Options struct {
	// Command is auto, plan, apply, validate or rotate.
	Command string
	// Config is the path of appreg.yaml, relative to the workspace.
	Config string
	// Workspace is the checkout the run reads (GITHUB_WORKSPACE): Config
	// and the JSON documents are resolved under it, so that a run does
	// not depend on the process's working directory (appreg serve runs
	// many, each in its own folder). Empty: the working directory.
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

	// EventName is GITHUB_EVENT_NAME; event the payload at
	// GITHUB_EVENT_PATH (nil when there is none).
	EventName string
	event     *event
	// Repository ("owner/name"), SHA and Ref describe the run.
	Repository, SHA, Ref string
	// APIURL is the GitHub REST API root (GITHUB_API_URL; GitHub Enterprise
	// Server has its own).
	APIURL string
	// RunURL links the run from statuses and comments.
	RunURL string
	// PlanJSON and ResultJSON are where the JSON documents are written
	// (relative to the working directory, the workspace).
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
		Command:   strings.ToLower(in("command", CommandAuto)),
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
		EventName:    getenv("GITHUB_EVENT_NAME"),
		Repository:   getenv("GITHUB_REPOSITORY"),
		SHA:          getenv("GITHUB_SHA"),
		Ref:          getenv("GITHUB_REF"),
		APIURL:       getenv("GITHUB_API_URL"),
		PlanJSON:     DefaultPlanJSON,
		ResultJSON:   DefaultResultJSON,
		getenv:       getenv,
	}
	switch o.Command {
	case CommandAuto, CommandPlan, CommandApply, CommandValidate, CommandRotate:
	default:
		return nil, fmt.Errorf("input command is %q: want auto, plan, apply, validate or rotate", o.Command)
	}
	if server, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_RUN_ID"); server != "" && id != "" && o.Repository != "" {
		o.RunURL = strings.TrimSuffix(server, "/") + "/" + o.Repository + "/actions/runs/" + id
	}
	if p := getenv("GITHUB_EVENT_PATH"); p != "" {
		e, err := readEvent(p)
		if err != nil {
			return nil, err
		}
		o.event = e
		if o.Repository == "" {
			o.Repository = e.Repository.FullName
		}
	}
	if o.Command == CommandAuto && o.event == nil && (o.EventName == "pull_request" || o.EventName == "pull_request_review" || o.EventName == "push") {
		return nil, fmt.Errorf("GITHUB_EVENT_PATH is not set: command auto needs the %s event payload", o.EventName)
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

// Run performs the run o describes.
func Run(ctx context.Context, o *Options, d Deps) error {
	r := newRun(o, d)
	r.mask()
	err := r.route(ctx)
	if err != nil {
		r.errorAnnotation(err)
	}
	return err
}
