package ghtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxCommentLength is GitHub's limit for a comment body, in characters.
const maxCommentLength = 65536

// Comment is an issue or pull request comment as stored by the Server.
type Comment struct {
	ID        int64
	User      string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

type comment struct {
	Comment
	repo   *repo
	number int
}

// Comments returns the comments on issue or pull request number of repo,
// oldest first.
func (s *Server) Comments(repo string, number int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments {
		if strings.EqualFold(c.repo.fullName(), repo) && c.number == number {
			out = append(out, c.Comment)
		}
	}
	return out
}

// AddComment adds a comment by user to issue or pull request number of repo,
// creating the repository if needed, and returns its id. Tests use it to
// seed comments by people.
func (s *Server) AddComment(repo string, number int, user, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.addRepo(repo)
	now := time.Now().UTC()
	c := &comment{Comment: Comment{ID: s.id(), User: user, Body: body, CreatedAt: now, UpdatedAt: now}, repo: rp, number: number}
	s.comments = append(s.comments, c)
	return c.ID
}

func commentJSON(root string, c *comment) map[string]any {
	html := fmt.Sprintf("https://github.com/%s/pull/%d#issuecomment-%d", c.repo.fullName(), c.number, c.ID)
	return map[string]any{
		"id":                       c.ID,
		"node_id":                  "IC_" + strconv.FormatInt(c.ID, 10),
		"url":                      fmt.Sprintf("%s/repos/%s/issues/comments/%d", root, c.repo.fullName(), c.ID),
		"html_url":                 html,
		"issue_url":                fmt.Sprintf("%s/repos/%s/issues/%d", root, c.repo.fullName(), c.number),
		"body":                     c.Body,
		"user":                     userJSON(root, c.User),
		"created_at":               timestamp(c.CreatedAt),
		"updated_at":               timestamp(c.UpdatedAt),
		"author_association":       "NONE",
		"performed_via_github_app": nil,
	}
}

const (
	createCommentDoc = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"
	editCommentDoc   = "https://docs.github.com/rest/issues/comments#update-an-issue-comment"
)

// checkBody answers 422 as GitHub does for a missing or too long body.
func checkBody(w http.ResponseWriter, body *string, doc string) bool {
	if body == nil || *body == "" {
		validationFailed(w, doc, fieldError{Resource: "IssueComment", Code: "missing_field", Field: "body"})
		return false
	}
	if utf8.RuneCountInString(*body) > maxCommentLength {
		validationFailed(w, doc, fieldError{Resource: "IssueComment", Code: "unprocessable", Field: "data",
			Message: fmt.Sprintf("Body is too long (maximum is %d characters)", maxCommentLength)})
		return false
	}
	return true
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoOf(r)
	if !ok {
		notFound(w)
		return
	}
	n, _ := strconv.Atoi(r.PathValue("number"))
	var all []*comment
	for _, c := range s.comments {
		if c.repo == rp && c.number == n {
			all = append(all, c)
		}
	}
	lo, hi := s.paginate(w, r, len(all))
	out := []any{}
	for _, c := range all[lo:hi] {
		out = append(out, commentJSON(s.apiRoot(r), c))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Body *string `json:"body"`
	}
	if !decode(w, r, &in) || !checkBody(w, in.Body, createCommentDoc) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoOf(r)
	n, err := strconv.Atoi(r.PathValue("number"))
	if !ok || err != nil || n <= 0 {
		notFound(w)
		return
	}
	now := time.Now().UTC()
	c := &comment{Comment: Comment{ID: s.id(), User: login(r), Body: *in.Body, CreatedAt: now, UpdatedAt: now}, repo: rp, number: n}
	s.comments = append(s.comments, c)
	j := commentJSON(s.apiRoot(r), c)
	w.Header().Set("Location", j["url"].(string))
	writeJSON(w, http.StatusCreated, j)
}

// commentOf returns the comment named by r's path; s.mu must be held.
func (s *Server) commentOf(r *http.Request) (int, *comment) {
	rp, ok := s.repoOf(r)
	if !ok {
		return -1, nil
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	for i, c := range s.comments {
		if c.ID == id && c.repo == rp {
			return i, c
		}
	}
	return -1, nil
}

func (s *Server) editComment(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Body *string `json:"body"`
	}
	if !decode(w, r, &in) || !checkBody(w, in.Body, editCommentDoc) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, c := s.commentOf(r)
	if c == nil {
		notFound(w)
		return
	}
	c.Body = *in.Body
	c.UpdatedAt = time.Now().UTC()
	writeJSON(w, http.StatusOK, commentJSON(s.apiRoot(r), c))
}

func (s *Server) deleteComment(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, c := s.commentOf(r)
	if c == nil {
		notFound(w)
		return
	}
	s.comments = append(s.comments[:i], s.comments[i+1:]...)
	w.WriteHeader(http.StatusNoContent)
}
