package gh

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/go-github/v62/github"
)

// Repository is what appreg needs to know about a repository.
type Repository struct {
	ID            int64
	FullName      string
	DefaultBranch string
	Private       bool
}

// Repository returns repo ("owner/name").
//
// See https://docs.github.com/rest/repos/repos#get-a-repository.
func (c *Client) Repository(ctx context.Context, repo string) (Repository, error) {
	r, err := c.repository(ctx, repo)
	if err != nil {
		return Repository{}, fmt.Errorf("getting repository %s: %w", repo, err)
	}
	return r, nil
}

func (c *Client) repository(ctx context.Context, repo string) (Repository, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return Repository{}, err
	}
	var r *github.Repository
	err = c.call(ctx, func() (resp *github.Response, err error) {
		r, resp, err = c.gh.Repositories.Get(ctx, owner, name)
		return resp, err
	})
	if err != nil {
		return Repository{}, err
	}
	return Repository{ID: r.GetID(), FullName: r.GetFullName(), DefaultBranch: r.GetDefaultBranch(), Private: r.GetPrivate()}, nil
}

// RepoID returns the numeric id of repo, which environment secrets and
// selected-repository organisation secrets are addressed by.
//
// See https://docs.github.com/rest/repos/repos#get-a-repository.
func (c *Client) RepoID(ctx context.Context, repo string) (int64, error) {
	r, err := c.repository(ctx, repo)
	if err != nil {
		return 0, fmt.Errorf("looking up id of repository %s: %w", repo, err)
	}
	return r.ID, nil
}

// TeamMember reports whether user is an active member (or maintainer) of
// team slug in org. A pending invitation is not membership, and GitHub's 404
// (no such member, or a team the token cannot see) is reported as false with
// no error. Reading private teams needs a token with members:read.
//
// See https://docs.github.com/rest/teams/members#get-team-membership-for-a-user.
func (c *Client) TeamMember(ctx context.Context, org, slug, user string) (bool, error) {
	var m *github.Membership
	err := c.call(ctx, func() (r *github.Response, err error) {
		m, r, err = c.gh.Teams.GetTeamMembershipBySlug(ctx, org, slug, user)
		return r, err
	})
	if StatusCode(err) == http.StatusNotFound {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checking membership of %s in team %s/%s: %w", user, org, slug, err)
	}
	return m.GetState() == "active", nil
}

// BranchHead returns the commit branch of repo points at now.
//
// See https://docs.github.com/rest/branches/branches#get-a-branch.
func (c *Client) BranchHead(ctx context.Context, repo, branch string) (string, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return "", err
	}
	var b *github.Branch
	err = c.call(ctx, func() (resp *github.Response, err error) {
		b, resp, err = c.gh.Repositories.GetBranch(ctx, owner, name, branch, 1)
		return resp, err
	})
	if err != nil {
		return "", fmt.Errorf("getting branch %s of %s: %w", branch, repo, err)
	}
	return b.GetCommit().GetSHA(), nil
}
