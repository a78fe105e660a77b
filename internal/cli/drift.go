package cli

import (
	"context"
	"fmt"
)

// FindIssue finds the open issue that appreg's own identity opened with
// marker as its first line: a marker in anyone else's issue means nothing.
func (g workflowGitHub) FindIssue(ctx context.Context, repo, marker string) (int, string, bool, error) {
	self, err := g.c.Self(ctx)
	if err != nil {
		return 0, "", false, fmt.Errorf("telling appreg's own issues apart: %w", err)
	}
	is, err := g.c.FindIssue(ctx, repo, marker, self)
	if err != nil || is == nil {
		return 0, "", false, err
	}
	return is.Number, is.Body, true, nil
}

// CreateIssue opens an issue.
func (g workflowGitHub) CreateIssue(ctx context.Context, repo, title, body string) (int, error) {
	return g.c.CreateIssue(ctx, repo, title, body)
}

// EditIssue replaces an issue's body.
func (g workflowGitHub) EditIssue(ctx context.Context, repo string, number int, body string) error {
	return g.c.EditIssue(ctx, repo, number, "", body)
}

// CreateComment comments on an issue.
func (g workflowGitHub) CreateComment(ctx context.Context, repo string, number int, body string) (int64, error) {
	return g.c.CreateComment(ctx, repo, number, body)
}

// CloseIssue closes an issue as completed.
func (g workflowGitHub) CloseIssue(ctx context.Context, repo string, number int) error {
	return g.c.CloseIssue(ctx, repo, number)
}
