package gh

import (
	"context"
	"fmt"

	"github.com/google/go-github/v62/github"
)

// Commit status states accepted by SetStatus.
const (
	StatePending = "pending"
	StateSuccess = "success"
	StateFailure = "failure"
	StateError   = "error"
)

// maxStatusDescription is GitHub's limit for a commit status description, in
// characters; longer ones are refused with 422.
const maxStatusDescription = 140

// Status is a commit status: one line next to a commit or pull request,
// identified by Context.
type Status struct {
	// State is StatePending, StateSuccess, StateFailure or StateError.
	State string
	// Context names the check, for example "appreg/approval". A new status
	// with the same context replaces the previous one in GitHub's UI.
	Context string
	// Description is shown next to the state; SetStatus shortens it to 140
	// characters.
	Description string
	// TargetURL is linked from the status; empty for none.
	TargetURL string
}

// SetStatus creates a commit status on sha in repo.
//
// See https://docs.github.com/rest/commits/statuses#create-a-commit-status.
func (c *Client) SetStatus(ctx context.Context, repo, sha string, s Status) error {
	if err := c.setStatus(ctx, repo, sha, s); err != nil {
		return fmt.Errorf("setting status %q on %s@%s: %w", s.Context, repo, shortSHA(sha), err)
	}
	return nil
}

func (c *Client) setStatus(ctx context.Context, repo, sha string, s Status) error {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return err
	}
	switch s.State {
	case StatePending, StateSuccess, StateFailure, StateError:
	default:
		return fmt.Errorf("state %q is not one of pending, success, failure, error", s.State)
	}
	st := &github.RepoStatus{State: &s.State, Context: &s.Context}
	if s.Description != "" {
		d := truncate(s.Description, maxStatusDescription)
		st.Description = &d
	}
	if s.TargetURL != "" {
		st.TargetURL = &s.TargetURL
	}
	return c.call(ctx, func() (*github.Response, error) {
		_, r, err := c.gh.Repositories.CreateStatus(ctx, owner, name, sha, st)
		return r, err
	})
}

// truncate shortens s to at most n characters, ending in "…" when shortened.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
