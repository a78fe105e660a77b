package action

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// event is the part of a webhook payload (the file GITHUB_EVENT_PATH names)
// that the Action routes on. Only pull_request, pull_request_review and push
// payloads are read.
//
// See https://docs.github.com/webhooks/webhook-events-and-payloads.
type event struct {
	// Action is the pull_request activity (opened, synchronize, reopened,
	// closed, …) or the pull_request_review one (submitted, edited,
	// dismissed).
	Action      string     `json:"action"`
	PullRequest *eventPull `json:"pull_request"`
	// Review is the review a pull_request_review event is about. Approval
	// reads every review from the API; this one is only logged.
	Review     *eventReview `json:"review"`
	Ref        string       `json:"ref"`   // push: "refs/heads/main"
	After      string       `json:"after"` // push: the pushed commit
	Deleted    bool         `json:"deleted"`
	Repository eventRepo    `json:"repository"`
}

type eventPull struct {
	Number         int       `json:"number"`
	User           eventUser `json:"user"` // the author
	Merged         bool      `json:"merged"`
	MergeCommitSHA string    `json:"merge_commit_sha"`
	HTMLURL        string    `json:"html_url"`
	Head           eventRef  `json:"head"`
	Base           eventRef  `json:"base"`
}

type eventUser struct {
	Login string `json:"login"`
}

type eventReview struct {
	User  eventUser `json:"user"`
	State string    `json:"state"` // lower case: approved, changes_requested, commented, dismissed
}

type eventRef struct {
	Ref  string     `json:"ref"`
	SHA  string     `json:"sha"`
	Repo *eventRepo `json:"repo"` // null when the head repository was deleted
}

type eventRepo struct {
	FullName      string `json:"full_name"`
	DefaultBranch string `json:"default_branch"`
}

// readEvent parses the payload at path.
func readEvent(path string) (*event, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the event payload: %w", err)
	}
	var e event
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("parsing the event payload %s: %w", path, err)
	}
	return &e, nil
}

// fromFork reports whether a pull request's head branch lives in another
// repository than its base (or in one that was deleted). Workflows on such
// pull requests get neither the repository's secrets nor an OIDC token, and
// a read-only GITHUB_TOKEN.
func (p *eventPull) fromFork() bool {
	if p.Head.Repo == nil || p.Base.Repo == nil {
		return true
	}
	return !strings.EqualFold(p.Head.Repo.FullName, p.Base.Repo.FullName)
}
