package gh

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v62/github"
)

// Issue is a GitHub issue, reduced to what appreg reads.
type Issue struct {
	Number int
	Title  string
	Body   string
	State  string // "open" or "closed"
	Author string
}

// CreateIssue opens an issue in repo and returns its number.
//
// See https://docs.github.com/rest/issues/issues#create-an-issue.
func (c *Client) CreateIssue(ctx context.Context, repo, title, body string) (int, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return 0, fmt.Errorf("creating issue in %s: %w", repo, err)
	}
	var created *github.Issue
	err = c.call(ctx, func() (r *github.Response, err error) {
		created, r, err = c.gh.Issues.Create(ctx, owner, name, &github.IssueRequest{Title: &title, Body: &body})
		return r, err
	})
	if err != nil {
		return 0, fmt.Errorf("creating issue in %s: %w", repo, err)
	}
	return created.GetNumber(), nil
}

// EditIssue replaces the title and body of issue number in repo. An empty
// title leaves the title as it is.
//
// See https://docs.github.com/rest/issues/issues#update-an-issue.
func (c *Client) EditIssue(ctx context.Context, repo string, number int, title, body string) error {
	req := &github.IssueRequest{Body: &body}
	if title != "" {
		req.Title = &title
	}
	if err := c.editIssue(ctx, repo, number, req); err != nil {
		return fmt.Errorf("editing issue %s#%d: %w", repo, number, err)
	}
	return nil
}

// CloseIssue closes issue number in repo as completed.
//
// See https://docs.github.com/rest/issues/issues#update-an-issue.
func (c *Client) CloseIssue(ctx context.Context, repo string, number int) error {
	state, reason := "closed", "completed"
	if err := c.editIssue(ctx, repo, number, &github.IssueRequest{State: &state, StateReason: &reason}); err != nil {
		return fmt.Errorf("closing issue %s#%d: %w", repo, number, err)
	}
	return nil
}

func (c *Client) editIssue(ctx context.Context, repo string, number int, req *github.IssueRequest) error {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return err
	}
	return c.call(ctx, func() (*github.Response, error) {
		_, r, err := c.gh.Issues.Edit(ctx, owner, name, number, req)
		return r, err
	})
}

// FindIssue returns the oldest open issue in repo that author opened and
// whose body starts with the line marker, a hidden HTML comment such as
// "<!-- appreg:drift -->"; nil when there is none. Pull requests, which the
// issues list includes, and issues by anyone else never match: a marker in
// someone else's issue is just text.
//
// See https://docs.github.com/rest/issues/issues#list-repository-issues.
func (c *Client) FindIssue(ctx context.Context, repo, marker, author string) (*Issue, error) {
	is, err := c.findIssue(ctx, repo, marker, author)
	if err != nil {
		return nil, fmt.Errorf("finding the issue marked %s in %s: %w", marker, repo, err)
	}
	return is, nil
}

func (c *Client) findIssue(ctx context.Context, repo, marker, author string) (*Issue, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, err
	}
	opts := &github.IssueListByRepoOptions{
		State: "open", Creator: author, Sort: "created", Direction: "asc",
		ListOptions: github.ListOptions{PerPage: perPage},
	}
	for {
		var page []*github.Issue
		var resp *github.Response
		err := c.call(ctx, func() (r *github.Response, err error) {
			page, resp, err = c.gh.Issues.ListByRepo(ctx, owner, name, opts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, is := range page {
			first, _, _ := strings.Cut(normalizeNewlines(is.GetBody()), "\n")
			if is.IsPullRequest() || !strings.EqualFold(is.GetUser().GetLogin(), author) || strings.TrimSpace(first) != marker {
				continue
			}
			return &Issue{Number: is.GetNumber(), Title: is.GetTitle(), Body: is.GetBody(), State: is.GetState(), Author: is.GetUser().GetLogin()}, nil
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}
