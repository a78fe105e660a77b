package ghtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// GitHub's limits for an issue, in characters.
const (
	maxIssueTitle = 256
	maxIssueBody  = 65536
)

// Issue is an issue as stored by the Server.
type Issue struct {
	Number int
	Title  string
	Body   string
	// State is "open" or "closed"; StateReason is "completed",
	// "not_planned", "reopened" or empty.
	State       string
	StateReason string
	User        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ClosedAt    time.Time
}

// Issues returns the issues of repo (not its pull requests), by number.
func (s *Server) Issues(repo string) []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Issue
	for _, is := range s.issues[strings.ToLower(repo)] {
		out = append(out, *is)
	}
	return out
}

// AddIssue opens an issue by user in repo, creating the repository if
// needed, and returns its number. Tests use it to seed issues by people.
func (s *Server) AddIssue(repo, user, title, body string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.addRepo(repo)
	now := time.Now().UTC()
	is := &Issue{Number: s.nextNumber(rp), Title: title, Body: body, State: "open", User: user, CreatedAt: now, UpdatedAt: now}
	s.issues[strings.ToLower(rp.fullName())] = append(s.issues[strings.ToLower(rp.fullName())], is)
	return is.Number
}

// nextNumber is the next number in rp, which issues and pull requests
// share; s.mu must be held.
func (s *Server) nextNumber(rp *repo) int {
	n := 0
	for num := range rp.pulls {
		n = max(n, num)
	}
	for _, is := range s.issues[strings.ToLower(rp.fullName())] {
		n = max(n, is.Number)
	}
	return n + 1
}

func (s *Server) issueRoutes(h func(string, http.HandlerFunc)) {
	h("GET /repos/{owner}/{repo}/issues", s.listIssues)
	h("POST /repos/{owner}/{repo}/issues", s.createIssue)
	h("PATCH /repos/{owner}/{repo}/issues/{number}", s.editIssue)
}

const (
	createIssueDoc = "https://docs.github.com/rest/issues/issues#create-an-issue"
	editIssueDoc   = "https://docs.github.com/rest/issues/issues#update-an-issue"
	listIssuesDoc  = "https://docs.github.com/rest/issues/issues#list-repository-issues"
)

func (s *Server) issueJSON(root string, rp *repo, is *Issue) map[string]any {
	repo := rp.fullName()
	comments := 0
	for _, c := range s.comments {
		if c.repo == rp && c.number == is.Number {
			comments++
		}
	}
	j := map[string]any{
		"id":                 int64(is.Number)*1000 + 7,
		"node_id":            "I_" + strconv.Itoa(is.Number),
		"url":                fmt.Sprintf("%s/repos/%s/issues/%d", root, repo, is.Number),
		"html_url":           fmt.Sprintf("https://github.com/%s/issues/%d", repo, is.Number),
		"number":             is.Number,
		"state":              is.State,
		"state_reason":       nil,
		"title":              is.Title,
		"body":               is.Body,
		"user":               userJSON(root, is.User),
		"labels":             []any{},
		"assignees":          []any{},
		"locked":             false,
		"comments":           comments,
		"created_at":         timestamp(is.CreatedAt),
		"updated_at":         timestamp(is.UpdatedAt),
		"closed_at":          nil,
		"author_association": "NONE",
	}
	if is.StateReason != "" {
		j["state_reason"] = is.StateReason
	}
	if !is.ClosedAt.IsZero() {
		j["closed_at"] = timestamp(is.ClosedAt)
	}
	return j
}

// checkIssueText answers 422 as GitHub does for a title or body that is too
// long.
func checkIssueText(w http.ResponseWriter, title, body *string, doc string) bool {
	if title != nil && utf8.RuneCountInString(*title) > maxIssueTitle {
		validationFailed(w, doc, fieldError{Resource: "Issue", Code: "custom", Field: "title",
			Message: fmt.Sprintf("title is too long (maximum is %d characters)", maxIssueTitle)})
		return false
	}
	if body != nil && utf8.RuneCountInString(*body) > maxIssueBody {
		validationFailed(w, doc, fieldError{Resource: "Issue", Code: "custom", Field: "body",
			Message: fmt.Sprintf("body is too long (maximum is %d characters)", maxIssueBody)})
		return false
	}
	return true
}

// issueRequest is the body of create and update: title may be a string or
// a number, as GitHub documents.
type issueRequest struct {
	Title       json.RawMessage `json:"title"`
	Body        *string         `json:"body"`
	State       *string         `json:"state"`
	StateReason *string         `json:"state_reason"`
}

// title returns the request's title as a string, or nil when absent or
// null; ok is false when it is neither a string nor a number.
func (in issueRequest) title() (t *string, ok bool) {
	if len(in.Title) == 0 || string(in.Title) == "null" {
		return nil, true
	}
	var s string
	if json.Unmarshal(in.Title, &s) == nil {
		return &s, true
	}
	var n json.Number
	if json.Unmarshal(in.Title, &n) == nil {
		s = n.String()
		return &s, true
	}
	return nil, false
}

func (s *Server) createIssue(w http.ResponseWriter, r *http.Request) {
	var in issueRequest
	if !decode(w, r, &in) {
		return
	}
	title, ok := in.title()
	switch {
	case !ok:
		validationFailed(w, createIssueDoc, fieldError{Resource: "Issue", Code: "invalid", Field: "title"})
		return
	case title == nil || strings.TrimSpace(*title) == "":
		validationFailed(w, createIssueDoc, fieldError{Resource: "Issue", Code: "missing_field", Field: "title"})
		return
	case !checkIssueText(w, title, in.Body, createIssueDoc):
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoOf(r)
	if !ok {
		notFound(w)
		return
	}
	now := time.Now().UTC()
	is := &Issue{Number: s.nextNumber(rp), Title: *title, State: "open", User: login(r), CreatedAt: now, UpdatedAt: now}
	if in.Body != nil {
		is.Body = *in.Body
	}
	key := strings.ToLower(rp.fullName())
	s.issues[key] = append(s.issues[key], is)
	j := s.issueJSON(s.apiRoot(r), rp, is)
	w.Header().Set("Location", j["url"].(string))
	writeJSON(w, http.StatusCreated, j)
}

// editIssue updates an issue. Pull requests are issues too on GitHub, but
// this fake edits only issues (appreg never edits a pull request this way)
// and answers 404 for a pull request's number.
func (s *Server) editIssue(w http.ResponseWriter, r *http.Request) {
	var in issueRequest
	if !decode(w, r, &in) {
		return
	}
	title, ok := in.title()
	if !ok || title != nil && strings.TrimSpace(*title) == "" {
		validationFailed(w, editIssueDoc, fieldError{Resource: "Issue", Code: "invalid", Field: "title"})
		return
	}
	if in.State != nil && *in.State != "open" && *in.State != "closed" {
		validationFailed(w, editIssueDoc, fieldError{Resource: "Issue", Code: "invalid", Field: "state"})
		return
	}
	if in.StateReason != nil && !slices.Contains([]string{"completed", "not_planned", "reopened"}, *in.StateReason) {
		validationFailed(w, editIssueDoc, fieldError{Resource: "Issue", Code: "invalid", Field: "state_reason"})
		return
	}
	if !checkIssueText(w, title, in.Body, editIssueDoc) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoOf(r)
	n, _ := strconv.Atoi(r.PathValue("number"))
	var is *Issue
	if ok {
		for _, x := range s.issues[strings.ToLower(rp.fullName())] {
			if x.Number == n {
				is = x
			}
		}
	}
	if is == nil {
		notFound(w)
		return
	}
	now := time.Now().UTC()
	if title != nil {
		is.Title = *title
	}
	if in.Body != nil {
		is.Body = *in.Body
	}
	if in.State != nil && *in.State != is.State {
		is.State = *in.State
		is.ClosedAt = time.Time{}
		is.StateReason = ""
		if is.State == "closed" {
			is.ClosedAt, is.StateReason = now, "completed"
		} else {
			is.StateReason = "reopened"
		}
	}
	if in.StateReason != nil && is.State == "closed" {
		is.StateReason = *in.StateReason
	}
	is.UpdatedAt = now
	writeJSON(w, http.StatusOK, s.issueJSON(s.apiRoot(r), rp, is))
}

// listIssues lists a repository's issues and pull requests (GitHub's issues
// list includes them, with a pull_request key), filtered by state and
// creator and sorted by creation or update time (sort=comments sorts by
// creation time here).
func (s *Server) listIssues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := cmp.Or(q.Get("state"), "open")
	sortBy := cmp.Or(q.Get("sort"), "created")
	dir := cmp.Or(q.Get("direction"), "desc")
	if !slices.Contains([]string{"open", "closed", "all"}, state) || !slices.Contains([]string{"created", "updated", "comments"}, sortBy) ||
		!slices.Contains([]string{"asc", "desc"}, dir) {
		validationFailed(w, listIssuesDoc)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoOf(r)
	if !ok {
		notFound(w)
		return
	}
	root := s.apiRoot(r)
	type entry struct {
		created, updated time.Time
		json             map[string]any
	}
	var all []entry
	keep := func(st, user string) bool {
		return (state == "all" || st == state) && (q.Get("creator") == "" || strings.EqualFold(user, q.Get("creator")))
	}
	for _, is := range s.issues[strings.ToLower(rp.fullName())] {
		if keep(is.State, is.User) {
			all = append(all, entry{is.CreatedAt, is.UpdatedAt, s.issueJSON(root, rp, is)})
		}
	}
	for _, p := range rp.pulls {
		if keep(p.State, p.Author) {
			j := s.issueJSON(root, rp, &Issue{Number: p.Number, Title: p.Title, State: p.State, User: p.Author, CreatedAt: p.createdAt, UpdatedAt: p.createdAt})
			j["html_url"] = fmt.Sprintf("https://github.com/%s/pull/%d", rp.fullName(), p.Number)
			j["pull_request"] = map[string]any{"url": fmt.Sprintf("%s/repos/%s/pulls/%d", root, rp.fullName(), p.Number)}
			all = append(all, entry{p.createdAt, p.createdAt, j})
		}
	}
	slices.SortStableFunc(all, func(a, b entry) int {
		c := a.created.Compare(b.created)
		if sortBy == "updated" {
			c = a.updated.Compare(b.updated)
		}
		c = cmp.Or(c, cmp.Compare(a.json["number"].(int), b.json["number"].(int)))
		if dir == "desc" {
			c = -c
		}
		return c
	})
	lo, hi := s.paginate(w, r, len(all))
	out := []any{}
	for _, e := range all[lo:hi] {
		out = append(out, e.json)
	}
	writeJSON(w, http.StatusOK, out)
}
