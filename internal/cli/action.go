package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/sethvargo/go-githubactions"

	"github.com/appreg/appreg/internal/action"
	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/gh"
	"github.com/appreg/appreg/internal/graph"
	"github.com/appreg/appreg/internal/policy"
	"github.com/appreg/appreg/internal/rotate"
	"github.com/appreg/appreg/internal/spec"
	"github.com/appreg/appreg/internal/workflow"
)

// oidcAudience is the audience of the GitHub OIDC token that Entra ID
// exchanges for an access token (workload identity federation).
const oidcAudience = "api://AzureADTokenExchange"

// runAction is the GitHub Action's entry point (the Docker image's CMD):
// everything it needs comes from the runner's environment.
func runAction(ctx context.Context, e *factory, args []string) error {
	fs := flag.NewFlagSet("action", flag.ContinueOnError)
	if err := parse(fs, e, args); err != nil {
		return err
	}
	o, err := action.Parse(e.getenv)
	if err != nil {
		return err
	}
	var org *appreg.OrgPolicy
	if o.OrgPolicy != "" {
		if org, err = spec.ParseOrgPolicy("input org-policy", []byte(o.OrgPolicy)); err != nil {
			return err
		}
	}
	gha := githubactions.New(githubactions.WithGetenv(e.getenv), githubactions.WithWriter(e.stdout))
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	gw, err := githubWiring{apiURL: o.APIURL, token: o.GitHubToken, teamsToken: o.TeamsToken(), secretsToken: o.SecretsToken, newClient: e.github,
		workflowToken: o.GitHubToken != "" && o.GitHubToken == e.getenv("GITHUB_TOKEN")}.clients()
	if err != nil {
		return err
	}
	d := graphWiring{
		credential: func() (azcore.TokenCredential, error) {
			if e.credential != nil {
				return e.credential()
			}
			return actionCredential(o.Auth, gha)
		},
		httpClient: e.httpClient(),
		repository: o.Event.Repo,
		now:        e.clock(),
		check: func(ctx context.Context, g *graph.Client) error {
			return checkTenantHint(ctx, g, o.Config, actionTenant(o), e.getenv, actionCredentialHint)
		},
		graphURL:      o.Auth.GraphURL,
		authorityHost: o.Auth.AuthorityHost,
		tenantID:      o.Auth.TenantID,
		getenv:        e.getenv,
		logger:        logger,
	}.deps(gw)
	d.Org = org
	return action.Run(ctx, o, action.Deps{Deps: d, Stdout: e.stdout})
}

// githubWiring builds the GitHub side of a run: the Action from its token
// inputs, appreg serve from the App installation's client.
type githubWiring struct {
	apiURL                          string
	token, teamsToken, secretsToken string
	// client, when set, makes every GitHub call (comments, statuses,
	// reviews, teams, secrets), whatever the tokens: appreg serve's
	// installation client, which refreshes its token.
	client *gh.Client
	// workflowToken is set when token is the workflow's GITHUB_TOKEN.
	workflowToken bool
	// newClient builds a client with a token (nil: gh.New's default).
	newClient func(apiURL, token string) (*gh.Client, error)
}

func (w githubWiring) newGitHub(token string) (*gh.Client, error) {
	if w.newClient != nil {
		return w.newClient(w.apiURL, token)
	}
	return gh.New(gh.Options{BaseURL: w.apiURL, Token: token})
}

// githubClients are a run's GitHub clients.
type githubClients struct {
	main  *gh.Client
	teams *gh.Client
	w     githubWiring
}

func (w githubWiring) clients() (githubClients, error) {
	if w.client != nil {
		return githubClients{main: w.client, teams: w.client, w: w}, nil
	}
	c, err := w.newGitHub(w.token)
	if err != nil {
		return githubClients{}, err
	}
	// A workflow's GITHUB_TOKEN acts as github-actions[bot] and may not
	// ask GitHub who it is; a user token may.
	if w.workflowToken {
		c.SetSelf("github-actions[bot]")
	} else {
		c.ActsAsIntegration("github-actions[bot]")
	}
	out := githubClients{main: c, teams: c, w: w}
	// Team membership for approvals: a workflow's GITHUB_TOKEN cannot read
	// organisation teams, so the members-token (or the secrets-token)
	// input reads it when given: a GitHub App installation token, or a
	// personal access token, with organization members: read.
	if w.teamsToken != "" && w.teamsToken != w.token {
		if out.teams, err = w.newGitHub(w.teamsToken); err != nil {
			return githubClients{}, err
		}
	}
	return out, nil
}

// graphWiring builds the Graph side of a run, on first use.
type graphWiring struct {
	// credential returns the Graph credential, when the run first needs
	// the tenant.
	credential                        func() (azcore.TokenCredential, error)
	graphURL, authorityHost, tenantID string
	// repository is the repository the run acts for ("owner/name").
	repository string
	// httpClient carries Graph and token requests (nil: the default).
	httpClient *http.Client
	// check, when set, runs once the client is built, before anything is
	// read: the tenant check.
	check func(ctx context.Context, g *graph.Client) error
	// now is the clock of plans and secrets (nil: time.Now).
	now    func() time.Time
	getenv func(string) string
	logger *slog.Logger
}

// deps returns the workflow's ports over the GitHub clients: Graph and
// the secret rotator are built on first use.
func (w graphWiring) deps(c githubClients) workflow.Deps {
	var transport http.RoundTripper
	if w.httpClient != nil {
		transport = w.httpClient.Transport
	}
	var graphClient *graph.Client
	github := workflowGitHub{c.main}
	return workflow.Deps{
		Graph: func(ctx context.Context) (workflow.Graph, error) {
			cred, err := w.credential()
			if err != nil {
				return nil, err
			}
			// The run acts for the repository of the event (GITHUB_REPOSITORY
			// in a workflow, the delivery's repository in serve): it owns
			// only the applications tagged with it.
			graphClient, err = newGraph(graphConfig{url: w.graphURL, credential: cred, transport: transport, logger: w.logger, repository: w.repository}, w.getenv)
			if err != nil {
				return nil, err
			}
			if w.check != nil {
				if err := w.check(ctx, graphClient); err != nil {
					return nil, err
				}
			}
			return graphClient, nil
		},
		Rotator: func(context.Context) (*rotate.Rotator, error) {
			if graphClient == nil {
				return nil, errors.New("secrets need the Graph client, which was not built")
			}
			sc := secretsConfig{token: c.w.secretsToken, apiURL: c.w.apiURL, authorityHost: w.authorityHost, tenantID: w.tenantID, client: c.w.client}
			if w.httpClient != nil {
				sc.transport = w.httpClient
			}
			if sc.client == nil && sc.token != "" {
				var err error
				if sc.client, err = c.w.newGitHub(sc.token); err != nil {
					return nil, err
				}
			}
			r, err := sc.rotator(graphClient)
			if r != nil && w.now != nil {
				r.Now = w.now
			}
			return r, err
		},
		Comments:     c.main,
		Issues:       github,
		Statuses:     github,
		PullRequests: github,
		Reviews:      github,
		Branches:     github,
		Base:         github.base,
		Teams:        workflowTeams{c.teams},
		Now:          w.now,
		Logger:       w.logger,
	}
}

// actionCredential is the Action's Graph credential: the client secret when
// the client-secret input is set, else GitHub's OIDC token exchanged through
// a federated credential on the app (which needs `permissions: id-token:
// write`). The token is requested only when Graph asks for one.
func actionCredential(a action.Auth, gha *githubactions.Action) (azcore.TokenCredential, error) {
	if a.TenantID == "" || a.ClientID == "" {
		return nil, errors.New("the inputs tenant-id and client-id are required to read the tenant")
	}
	opts, disableDiscovery, err := authority(a.AuthorityHost, "input authority-host")
	if err != nil {
		return nil, err
	}
	if a.ClientSecret != "" {
		return azidentity.NewClientSecretCredential(a.TenantID, a.ClientID, a.ClientSecret, &azidentity.ClientSecretCredentialOptions{
			ClientOptions: opts, DisableInstanceDiscovery: disableDiscovery,
		})
	}
	return azidentity.NewClientAssertionCredential(a.TenantID, a.ClientID, func(ctx context.Context) (string, error) {
		tok, err := gha.GetIDToken(ctx, oidcAudience)
		if err != nil {
			return "", fmt.Errorf("getting a GitHub OIDC token (does the workflow grant `permissions: id-token: write`? Without it, set the client-secret input): %w", err)
		}
		return tok, nil
	}, &azidentity.ClientAssertionCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: disableDiscovery})
}

// workflowGitHub adapts *gh.Client to the workflow's statuses, pull
// request lookup and reviews.
type workflowGitHub struct{ c *gh.Client }

func (g workflowGitHub) SetStatus(ctx context.Context, repo, sha string, s workflow.Status) error {
	return g.c.SetStatus(ctx, repo, sha, gh.Status{State: s.State, Context: s.Context, Description: s.Description, TargetURL: s.TargetURL})
}

// MergedPullRequest returns the pull request merged as sha: the one whose
// merge commit it is.
func (g workflowGitHub) MergedPullRequest(ctx context.Context, repo, sha string) (int, bool, error) {
	prs, err := g.c.PullRequestsForCommit(ctx, repo, sha)
	if err != nil {
		return 0, false, err
	}
	for _, p := range prs {
		if p.Merged && p.MergeCommitSHA == sha {
			return p.Number, true, nil
		}
	}
	return 0, false, nil
}

// BranchHead returns the commit branch points at.
func (g workflowGitHub) BranchHead(ctx context.Context, repo, branch string) (string, error) {
	return g.c.BranchHead(ctx, repo, branch)
}

// base reads the registration files of the repository at commit sha
// through the API (the run's checkout is the head's).
func (g workflowGitHub) base(ctx context.Context, repo, sha string) (*spec.Result, diag.Diagnostics, error) {
	dir, err := os.MkdirTemp("", "appreg-base-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	if err := g.c.DownloadTree(ctx, repo, sha, dir); err != nil {
		return nil, nil, err
	}
	loaded, diags := workflow.Files(dir, "appreg.yaml")()
	return loaded, diags, nil
}

// CommentBodies returns the bodies of appreg's own comments on pull
// request number: a marker in anyone else's comment counts for nothing.
func (g workflowGitHub) CommentBodies(ctx context.Context, repo string, number int) ([]string, error) {
	self, err := g.c.Self(ctx)
	if err != nil {
		return nil, fmt.Errorf("telling appreg's own comments apart: %w", err)
	}
	cs, err := g.c.ListComments(ctx, repo, number)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range cs {
		if strings.EqualFold(c.Author, self) {
			out = append(out, c.Body)
		}
	}
	return out, nil
}

// PullRequest returns what approval needs of pull request number.
func (g workflowGitHub) PullRequest(ctx context.Context, repo string, number int) (workflow.PullRequest, error) {
	p, err := g.c.PullRequest(ctx, repo, number)
	if err != nil {
		return workflow.PullRequest{}, err
	}
	return workflow.PullRequest{Number: p.Number, HeadSHA: p.HeadSHA, Author: p.Author}, nil
}

// ListReviews returns the reviews of pull request number, oldest first.
func (g workflowGitHub) ListReviews(ctx context.Context, repo string, number int) ([]policy.Review, error) {
	rs, err := g.c.ListReviews(ctx, repo, number)
	if err != nil {
		return nil, err
	}
	out := make([]policy.Review, len(rs))
	for i, r := range rs {
		out[i] = policy.Review{User: r.User, State: r.State, CommitID: r.CommitID, SubmittedAt: r.SubmittedAt}
	}
	return out, nil
}

// workflowTeams adapts *gh.Client to workflow.Teams: GitHub's 403 (the
// token may not read the organisation's teams) becomes
// workflow.ErrTeamUnreadable.
type workflowTeams struct{ c *gh.Client }

func (t workflowTeams) TeamMember(ctx context.Context, org, slug, user string) (bool, error) {
	ok, err := t.c.TeamMember(ctx, org, slug, user)
	if gh.StatusCode(err) == http.StatusForbidden {
		return false, fmt.Errorf("%w: %w", workflow.ErrTeamUnreadable, err)
	}
	return ok, err
}
