package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/sethvargo/go-githubactions"

	"github.com/appreg/appreg/internal/action"
	"github.com/appreg/appreg/internal/gh"
	"github.com/appreg/appreg/internal/graph"
	"github.com/appreg/appreg/internal/policy"
	"github.com/appreg/appreg/internal/rotate"
	"github.com/appreg/appreg/internal/workflow"
)

// oidcAudience is the audience of the GitHub OIDC token that Entra ID
// exchanges for an access token (workload identity federation).
const oidcAudience = "api://AzureADTokenExchange"

// runAction is the GitHub Action's entry point (the Docker image's CMD):
// everything it needs comes from the runner's environment.
func runAction(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("action", flag.ContinueOnError)
	if err := parse(fs, e, args); err != nil {
		return err
	}
	o, err := action.Parse(e.getenv)
	if err != nil {
		return err
	}
	gha := githubactions.New(githubactions.WithGetenv(e.getenv), githubactions.WithWriter(e.stdout))
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	d, err := actionWiring{
		credential: func(*action.Options) (azcore.TokenCredential, error) { return actionCredential(o.Auth, gha) },
		getenv:     e.getenv,
		logger:     logger,
	}.deps(o)
	if err != nil {
		return err
	}
	d.Stdout = e.stdout
	return action.Run(ctx, o, d)
}

// actionWiring builds the Action's dependencies: the GitHub Action
// (runAction) and appreg serve share it, so that both run the same code
// against the same clients.
type actionWiring struct {
	// credential returns the Graph credential for the run o, when it
	// first needs the tenant.
	credential func(o *action.Options) (azcore.TokenCredential, error)
	// httpClient carries Graph and token requests (nil: the default).
	httpClient *http.Client
	// github, when set, makes every GitHub call (comments, statuses,
	// reviews, teams, secrets), whatever tokens o names: appreg serve's
	// installation client.
	github *gh.Client
	getenv func(string) string
	logger *slog.Logger
}

// deps returns the dependencies of the run o describes: GitHub clients
// from its tokens and API URL, Graph and the secret rotator built on
// first use. Stdout is left for the caller.
func (w actionWiring) deps(o *action.Options) (action.Deps, error) {
	client := w.github
	if client == nil {
		var err error
		if client, err = gh.New(gh.Options{BaseURL: o.APIURL, Token: o.GitHubToken}); err != nil {
			return action.Deps{}, err
		}
	}
	github := actionGitHub{client}
	// Team membership for approvals: a workflow's GITHUB_TOKEN cannot read
	// organisation teams, so the members-token (or the secrets-token) input
	// reads it when given: a GitHub App installation token, or a personal
	// access token, with organization members: read.
	teams := actionTeams{client}
	if tok := o.TeamsToken(); tok != o.GitHubToken && w.github == nil {
		tc, err := gh.New(gh.Options{BaseURL: o.APIURL, Token: tok})
		if err != nil {
			return action.Deps{}, err
		}
		teams = actionTeams{tc}
	}
	var transport http.RoundTripper
	if w.httpClient != nil {
		transport = w.httpClient.Transport
	}
	var graphClient *graph.Client
	return action.Deps{
		Graph: func(ctx context.Context) (workflow.Graph, error) {
			cred, err := w.credential(o)
			if err != nil {
				return nil, err
			}
			// The run acts for the repository of the event (GITHUB_REPOSITORY
			// in a workflow, the delivery's repository in serve): it owns
			// only the applications tagged with it.
			graphClient, err = newGraph(graphConfig{url: o.Auth.GraphURL, credential: cred, transport: transport, logger: w.logger, repository: o.Repository}, w.getenv)
			if err != nil {
				return nil, err
			}
			if err := checkTenantHint(ctx, graphClient, o.Config, actionTenant(o), w.getenv, actionCredentialHint); err != nil {
				return nil, err
			}
			return graphClient, nil
		},
		Rotator: func(context.Context) (*rotate.Rotator, error) {
			if graphClient == nil {
				return nil, errors.New("secrets need the Graph client, which was not built")
			}
			sc := secretsConfig{token: o.SecretsToken, apiURL: o.APIURL, authorityHost: o.Auth.AuthorityHost, tenantID: o.Auth.TenantID, client: w.github}
			if w.httpClient != nil {
				sc.transport = w.httpClient
			}
			return sc.rotator(graphClient)
		},
		Comments:     client,
		Statuses:     github,
		PullRequests: github,
		Reviews:      github,
		Teams:        teams,
		Logger:       w.logger,
	}, nil
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

// actionGitHub adapts *gh.Client to the Action's statuses and pull request
// lookup.
type actionGitHub struct{ c *gh.Client }

func (g actionGitHub) SetStatus(ctx context.Context, repo, sha string, s action.Status) error {
	return g.c.SetStatus(ctx, repo, sha, gh.Status{State: s.State, Context: s.Context, Description: s.Description, TargetURL: s.TargetURL})
}

// MergedPullRequest returns the pull request merged as sha: the one whose
// merge commit it is.
func (g actionGitHub) MergedPullRequest(ctx context.Context, repo, sha string) (int, bool, error) {
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

// CommentBodies returns the bodies of the comments on pull request number.
func (g actionGitHub) CommentBodies(ctx context.Context, repo string, number int) ([]string, error) {
	cs, err := g.c.ListComments(ctx, repo, number)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Body
	}
	return out, nil
}

// PullRequest returns what approval needs of pull request number.
func (g actionGitHub) PullRequest(ctx context.Context, repo string, number int) (action.PullRequest, error) {
	p, err := g.c.PullRequest(ctx, repo, number)
	if err != nil {
		return action.PullRequest{}, err
	}
	return action.PullRequest{Number: p.Number, HeadSHA: p.HeadSHA, Author: p.Author}, nil
}

// ListReviews returns the reviews of pull request number, oldest first.
func (g actionGitHub) ListReviews(ctx context.Context, repo string, number int) ([]policy.Review, error) {
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

// actionTeams adapts *gh.Client to workflow.Teams: GitHub's 403 (the token
// may not read the organisation's teams) becomes workflow.ErrTeamUnreadable.
type actionTeams struct{ c *gh.Client }

func (t actionTeams) TeamMember(ctx context.Context, org, slug, user string) (bool, error) {
	ok, err := t.c.TeamMember(ctx, org, slug, user)
	if gh.StatusCode(err) == http.StatusForbidden {
		return false, fmt.Errorf("%w: %w", workflow.ErrTeamUnreadable, err)
	}
	return ok, err
}
