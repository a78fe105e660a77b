// Package workflowtest provides GitHub, a recording fake of the GitHub
// ports of package workflow, for tests of the use-cases and the shells.
package workflowtest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/policy"
	"github.com/appreg/appreg/internal/spec"
	"github.com/appreg/appreg/internal/workflow"
)

// GitHub is a recording fake of the GitHub ports of a run (comments,
// statuses, pull requests, reviews, teams): it keeps what a run writes
// and answers from what a test sets.
type GitHub struct {
	// Merged maps a commit to the pull request merged as it.
	Merged map[string]int
	// Pulls and Reviews are the pull requests and their reviews.
	Pulls   map[int]workflow.PullRequest
	Reviews map[int][]policy.Review
	// Members holds "org/slug user" for each team member; with
	// Unreadable every team answers 403.
	Members    map[string]bool
	Unreadable bool
	// Heads maps "owner/repo branch" to the commit the branch points at; a
	// branch not listed answers 404.
	Heads map[string]string
	// StickyErr, LookupErr and ReviewsErr fail those calls.
	StickyErr, LookupErr, ReviewsErr error

	mu sync.Mutex
	// Sticky holds "repo#n marker body" per sticky comment written,
	// Created "repo#n body" per new comment, Statuses every status set.
	Sticky   []string
	Created  []string
	Statuses []workflow.Status
	// Asked records every team lookup, "org/slug user".
	Asked []string
}

// UpsertStickyComment records the comment, its parts joined by "---".
func (f *GitHub) UpsertStickyComment(_ context.Context, repo string, n int, marker string, parts []string) ([]int64, error) {
	if f.StickyErr != nil {
		return nil, f.StickyErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Sticky = append(f.Sticky, repo+"#"+strconv.Itoa(n)+" "+marker+" "+strings.Join(parts, "\n---\n"))
	return make([]int64, len(parts)), nil
}

// CreateComment records the comment.
func (f *GitHub) CreateComment(_ context.Context, repo string, n int, body string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Created = append(f.Created, repo+"#"+strconv.Itoa(n)+" "+body)
	return int64(len(f.Created)), nil
}

// SetStatus records the status.
func (f *GitHub) SetStatus(_ context.Context, _, _ string, s workflow.Status) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Statuses = append(f.Statuses, s)
	return nil
}

// StatusesOf lists "state: description" of the statuses set in context.
func (f *GitHub) StatusesOf(context string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, s := range f.Statuses {
		if s.Context == context {
			out = append(out, s.State+": "+s.Description)
		}
	}
	return out
}

// MergedPullRequest answers from Merged.
func (f *GitHub) MergedPullRequest(_ context.Context, _, sha string) (int, bool, error) {
	if f.LookupErr != nil {
		return 0, false, f.LookupErr
	}
	n, ok := f.Merged[sha]
	return n, ok, nil
}

// CommentBodies returns the sticky comments recorded on pull request n.
func (f *GitHub) CommentBodies(_ context.Context, repo string, n int) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	prefix := repo + "#" + strconv.Itoa(n) + " "
	for _, c := range f.Sticky {
		if body, ok := strings.CutPrefix(c, prefix); ok {
			out = append(out, body)
		}
	}
	return out, nil
}

// PullRequest answers from Pulls.
func (f *GitHub) PullRequest(_ context.Context, _ string, n int) (workflow.PullRequest, error) {
	p, ok := f.Pulls[n]
	if !ok {
		return workflow.PullRequest{}, fmt.Errorf("github answered 404 Not Found")
	}
	return p, nil
}

// ListReviews answers from Reviews.
func (f *GitHub) ListReviews(_ context.Context, _ string, n int) ([]policy.Review, error) {
	if f.ReviewsErr != nil {
		return nil, f.ReviewsErr
	}
	return f.Reviews[n], nil
}

// TeamMember answers from Members, recording the lookup.
func (f *GitHub) TeamMember(_ context.Context, org, slug, user string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Asked = append(f.Asked, org+"/"+slug+" "+user)
	if f.Unreadable {
		return false, fmt.Errorf("%w: github answered 403 Forbidden", workflow.ErrTeamUnreadable)
	}
	return f.Members[org+"/"+slug+" "+user], nil
}

// BranchHead answers from Heads.
func (f *GitHub) BranchHead(_ context.Context, repo, branch string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sha, ok := f.Heads[repo+" "+branch]
	if !ok {
		return "", fmt.Errorf("github answered 404 Branch not found")
	}
	return sha, nil
}

// Deps are a run's ports over f and tenant, reading the files of dir;
// bases maps a commit to the folder holding its files (the base of a
// pull request, the commit before a push).
func (f *GitHub) Deps(tenant workflow.Graph, dir string, bases map[string]string) workflow.Deps {
	return workflow.Deps{
		Load: workflow.Files(dir, "appreg.yaml"), Config: "appreg.yaml",
		Graph:    func(context.Context) (workflow.Graph, error) { return tenant, nil },
		Comments: f, Statuses: f, PullRequests: f, Reviews: f, Teams: f, Branches: f,
		Base: func(_ context.Context, _, sha string) (*spec.Result, diag.Diagnostics, error) {
			d, ok := bases[sha]
			if !ok {
				return nil, nil, fmt.Errorf("github answered 404 Not Found for the tarball of %s", sha)
			}
			loaded, diags := workflow.Files(d, "appreg.yaml")()
			return loaded, diags, nil
		},
	}
}
