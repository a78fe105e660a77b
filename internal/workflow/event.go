package workflow

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Event is what a run is about: the GitHub event that triggered it, decoded
// once by the shell that received it (the Action from the runner's event
// file, the webhook server from the delivery's body).
type Event struct {
	// Name is the GitHub event: pull_request, pull_request_review, push,
	// schedule, workflow_dispatch (empty outside GitHub).
	Name string
	// Action is the activity of a pull_request (opened, synchronize,
	// reopened, closed, …) or pull_request_review (submitted, edited,
	// dismissed) event.
	Action string
	// Repo is the repository, "owner/name".
	Repo string
	// SHA is the commit the run reads: a pull request's head, a push's
	// after, or the runner's GITHUB_SHA.
	SHA string
	// Ref is a push's ref ("refs/heads/main"); DefaultBranch the
	// repository's default branch; Deleted is set when the push deleted
	// Ref.
	Ref, DefaultBranch string
	Deleted            bool
	// Before is the commit a push moved Ref from: the files the change is
	// judged against.
	Before string
	// Sender is the login that caused the event: on pull_request opened,
	// synchronize and reopened, who pushed the head commit.
	Sender string
	// PullRequest is set on pull_request and pull_request_review events.
	PullRequest *PullRequest
	// Reviewer and ReviewState describe the review of a
	// pull_request_review event; they are only logged (approval reads
	// every review from the API).
	Reviewer, ReviewState string
	// RunURL links the run from statuses and comments (empty: none).
	RunURL string
}

// PullRequest is what a run knows of a pull request.
type PullRequest struct {
	Number int
	// HeadSHA is the head commit; for a merged pull request, its last one.
	HeadSHA string
	// BaseSHA is the base commit the pull request was opened against (its
	// policy judges the pull request).
	BaseSHA string
	// Author is the login that opened it (empty when unknown).
	Author string
	// Fork is set when the head branch lives in another repository (or one
	// that was deleted): GitHub gives such runs no credentials.
	Fork bool
	// Merged and BaseRef describe a closed pull request.
	Merged  bool
	BaseRef string
}

// payload is the part of a webhook payload that a run reads.
//
// See https://docs.github.com/webhooks/webhook-events-and-payloads.
type payload struct {
	Action      string       `json:"action"`
	PullRequest *payloadPull `json:"pull_request"`
	Review      *struct {
		User  payloadUser `json:"user"`
		State string      `json:"state"`
	} `json:"review"`
	Ref        string      `json:"ref"`
	Before     string      `json:"before"`
	After      string      `json:"after"`
	Sender     payloadUser `json:"sender"`
	Deleted    bool        `json:"deleted"`
	Repository payloadRepo `json:"repository"`
}

type payloadPull struct {
	Number int         `json:"number"`
	User   payloadUser `json:"user"`
	Merged bool        `json:"merged"`
	Head   payloadRef  `json:"head"`
	Base   payloadRef  `json:"base"`
}

type payloadUser struct {
	Login string `json:"login"`
}

type payloadRef struct {
	Ref  string       `json:"ref"`
	SHA  string       `json:"sha"`
	Repo *payloadRepo `json:"repo"` // null when the head repository was deleted
}

type payloadRepo struct {
	FullName      string `json:"full_name"`
	DefaultBranch string `json:"default_branch"`
}

// ParseEvent decodes the payload of GitHub event name. The shells call it
// once per run; nothing else reads the payload.
func ParseEvent(name string, body []byte) (Event, error) {
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return Event{}, fmt.Errorf("parsing the %s payload: %w", name, err)
	}
	e := Event{
		Name: name, Action: p.Action, Repo: p.Repository.FullName,
		Ref: p.Ref, DefaultBranch: p.Repository.DefaultBranch, Deleted: p.Deleted,
		Before: p.Before, Sender: p.Sender.Login,
	}
	if name == "push" {
		e.SHA = p.After
	}
	if pr := p.PullRequest; pr != nil && (name == "pull_request" || name == "pull_request_review") {
		fork := pr.Head.Repo == nil || pr.Base.Repo == nil || !strings.EqualFold(pr.Head.Repo.FullName, pr.Base.Repo.FullName)
		e.PullRequest = &PullRequest{
			Number: pr.Number, HeadSHA: pr.Head.SHA, BaseSHA: pr.Base.SHA, Author: pr.User.Login,
			Fork: fork, Merged: pr.Merged, BaseRef: pr.Base.Ref,
		}
		e.SHA = pr.Head.SHA
	}
	if p.Review != nil {
		e.Reviewer, e.ReviewState = p.Review.User.Login, p.Review.State
	}
	return e, nil
}
