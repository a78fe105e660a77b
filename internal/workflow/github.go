package workflow

import (
	"context"

	"github.com/appreg/appreg/internal/policy"
)

// Markers of appreg's pull request comments: the plan's is sticky (edited in
// place), each apply's result is a new comment.
const (
	PlanMarker  = "<!-- appreg:plan -->"
	ApplyMarker = "<!-- appreg:apply -->"
)

// StatusContext is the commit status appreg keeps on a pull request's head
// commit for the plan; ApprovalContext the one for its approval.
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
// changed.
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
	// number written by appreg's own identity, oldest first (apply reads
	// the reviewed plan's fingerprint there).
	CommentBodies(ctx context.Context, repo string, number int) ([]string, error)
}

// Reviews reads a pull request and its reviews (in chronological order),
// for approval.
type Reviews interface {
	PullRequest(ctx context.Context, repo string, number int) (PullRequest, error)
	ListReviews(ctx context.Context, repo string, number int) ([]policy.Review, error)
}

// Branches reads where a branch is now: an apply runs only for the current
// head of the default branch, so that a redelivered old push cannot roll
// the tenant back.
type Branches interface {
	BranchHead(ctx context.Context, repo, branch string) (sha string, err error)
}
