package gh

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-github/v62/github"
)

// PullRequest is what appreg needs to know about a pull request.
type PullRequest struct {
	Number int
	Title  string
	// State is "open" or "closed".
	State   string
	HeadSHA string
	HeadRef string
	BaseRef string
	// Author is the login of the user who opened the pull request.
	Author string
	// Merged reports whether the pull request was merged; MergeCommitSHA is
	// then the commit it produced on the base branch.
	Merged         bool
	MergeCommitSHA string
	// FromFork reports a head branch in another repository (or one that was
	// deleted): such pull requests run without repository secrets.
	FromFork bool
	HTMLURL  string
}

func pullRequest(p *github.PullRequest) PullRequest {
	headRepo := p.GetHead().GetRepo().GetFullName()
	baseRepo := p.GetBase().GetRepo().GetFullName()
	return PullRequest{
		Number:         p.GetNumber(),
		Title:          p.GetTitle(),
		State:          p.GetState(),
		HeadSHA:        p.GetHead().GetSHA(),
		HeadRef:        p.GetHead().GetRef(),
		BaseRef:        p.GetBase().GetRef(),
		Author:         p.GetUser().GetLogin(),
		Merged:         p.GetMerged() || p.MergedAt != nil,
		MergeCommitSHA: p.GetMergeCommitSHA(),
		FromFork:       headRepo == "" || headRepo != baseRepo,
		HTMLURL:        p.GetHTMLURL(),
	}
}

// PullRequest returns pull request number of repo.
//
// See https://docs.github.com/rest/pulls/pulls#get-a-pull-request.
func (c *Client) PullRequest(ctx context.Context, repo string, number int) (PullRequest, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return PullRequest{}, fmt.Errorf("getting pull request %s#%d: %w", repo, number, err)
	}
	var p *github.PullRequest
	err = c.call(ctx, func() (r *github.Response, err error) {
		p, r, err = c.gh.PullRequests.Get(ctx, owner, name, number)
		return r, err
	})
	if err != nil {
		return PullRequest{}, fmt.Errorf("getting pull request %s#%d: %w", repo, number, err)
	}
	return pullRequest(p), nil
}

// PullRequestsForCommit returns the pull requests associated with commit sha
// of repo: those whose head it is and, once merged, the one that produced it.
// After a push to the default branch, the merged pull request is the one
// with Merged set and MergeCommitSHA equal to sha.
//
// See https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit.
func (c *Client) PullRequestsForCommit(ctx context.Context, repo, sha string) ([]PullRequest, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, fmt.Errorf("listing pull requests for %s@%s: %w", repo, shortSHA(sha), err)
	}
	var out []PullRequest
	opts := &github.ListOptions{PerPage: perPage}
	for {
		var page []*github.PullRequest
		var resp *github.Response
		err := c.call(ctx, func() (r *github.Response, err error) {
			page, resp, err = c.gh.PullRequests.ListPullRequestsWithCommit(ctx, owner, name, sha, opts)
			return resp, err
		})
		if err != nil {
			return nil, fmt.Errorf("listing pull requests for %s@%s: %w", repo, shortSHA(sha), err)
		}
		for _, p := range page {
			out = append(out, pullRequest(p))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// PullRequestFiles returns the paths of the files pull request number of
// repo changes. For a renamed file both the new and the previous path are
// listed, so that callers see the path that disappeared. GitHub lists at most
// 3,000 files.
//
// See https://docs.github.com/rest/pulls/pulls#list-pull-requests-files.
func (c *Client) PullRequestFiles(ctx context.Context, repo string, number int) ([]string, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, fmt.Errorf("listing files of %s#%d: %w", repo, number, err)
	}
	var out []string
	opts := &github.ListOptions{PerPage: perPage}
	for {
		var page []*github.CommitFile
		var resp *github.Response
		err := c.call(ctx, func() (r *github.Response, err error) {
			page, resp, err = c.gh.PullRequests.ListFiles(ctx, owner, name, number, opts)
			return resp, err
		})
		if err != nil {
			return nil, fmt.Errorf("listing files of %s#%d: %w", repo, number, err)
		}
		for _, f := range page {
			out = append(out, f.GetFilename())
			if prev := f.GetPreviousFilename(); prev != "" && prev != f.GetFilename() {
				out = append(out, prev)
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// Review states as the REST API spells them. Webhook payloads use lower case.
const (
	ReviewApproved         = "APPROVED"
	ReviewChangesRequested = "CHANGES_REQUESTED"
	ReviewCommented        = "COMMENTED"
	ReviewDismissed        = "DISMISSED"
	ReviewPending          = "PENDING"
)

// Review is one submitted pull request review.
type Review struct {
	// User is the reviewer's login.
	User string
	// State is one of the Review* constants.
	State string
	// CommitID is the head commit the review was submitted on.
	CommitID    string
	SubmittedAt time.Time
}

// ListReviews returns every review of pull request number of repo in
// chronological order, across all pages.
//
// See https://docs.github.com/rest/pulls/reviews#list-reviews-for-a-pull-request.
func (c *Client) ListReviews(ctx context.Context, repo string, number int) ([]Review, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, fmt.Errorf("listing reviews of %s#%d: %w", repo, number, err)
	}
	var out []Review
	opts := &github.ListOptions{PerPage: perPage}
	for {
		var page []*github.PullRequestReview
		var resp *github.Response
		err := c.call(ctx, func() (r *github.Response, err error) {
			page, resp, err = c.gh.PullRequests.ListReviews(ctx, owner, name, number, opts)
			return resp, err
		})
		if err != nil {
			return nil, fmt.Errorf("listing reviews of %s#%d: %w", repo, number, err)
		}
		for _, rv := range page {
			out = append(out, Review{
				User:        rv.GetUser().GetLogin(),
				State:       rv.GetState(),
				CommitID:    rv.GetCommitID(),
				SubmittedAt: rv.GetSubmittedAt().Time,
			})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}
