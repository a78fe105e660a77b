// Package ghtest is an in-process fake of the GitHub REST API endpoints that
// appreg uses, for tests and for `appreg demo`.
//
// A Server speaks GitHub's wire format over real HTTP: the JSON shapes of the
// REST API, Link-header paging with per_page and page, and GitHub's status
// codes (201 on create, 204 on update or delete, 401 for a bad token, 404,
// 422 with "Validation Failed" details). Its state is in memory and safe for
// concurrent use; tests seed it (AddRepo, AddPullRequest, AddReview,
// AddTeamMember, AddToken, AddApp, SetTree) and inspect it (Comments, Statuses,
// Secret, Requests).
//
// Actions secrets are sealed with the Server's own curve25519 key pairs and
// opened on arrival, so Secret returns the plaintext that a client
// delivered. Requests logs everything received, so tests can prove that no
// secret value was ever sent in the clear.
//
// It imports nothing from appreg and not go-github.
package ghtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is a fake GitHub REST API. Create it with New and stop it with Close.
type Server struct {
	srv    *httptest.Server
	prefix string

	mu        sync.Mutex
	nextID    int64
	tokens    map[string]token
	apps      map[int64]*rsa.PublicKey
	repos     map[string]*repo // by lower-case "owner/name"
	reposByID map[int64]*repo
	comments  []*comment
	issues    map[string][]*Issue   // by lower-case "owner/name"
	teams     map[string]membership // by lower-case "org/slug/user"
	secrets   map[string]*storedSecret
	keys      map[string]*keyPair // by secret scope
	now       func() time.Time
	failures  []failure
	requests  []Request
	// revealToken, when set, may read delivered secrets (reveal.go).
	revealToken string
}

// Option configures a Server.
type Option func(*Server)

// WithPrefix serves the API under prefix, as GitHub Enterprise Server does
// under "/api/v3". URL then includes the prefix. An empty prefix serves the
// API at the root, as github.com does.
func WithPrefix(prefix string) Option {
	return func(s *Server) {
		s.prefix = ""
		if p := strings.Trim(prefix, "/"); p != "" {
			s.prefix = "/" + p
		}
	}
}

// WithClock makes the Server stamp secrets with now instead of the real
// time, so tests that move a clock forward see consistent metadata.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// New starts a Server. It accepts no token until AddToken or AddApp.
func New(opts ...Option) *Server {
	s := &Server{
		nextID:    1000,
		tokens:    map[string]token{},
		apps:      map[int64]*rsa.PublicKey{},
		repos:     map[string]*repo{},
		reposByID: map[int64]*repo{},
		issues:    map[string][]*Issue{},
		teams:     map[string]membership{},
		secrets:   map[string]*storedSecret{},
		keys:      map[string]*keyPair{},
		now:       time.Now,
	}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	s.routes(mux)
	s.srv = httptest.NewServer(s.middleware(mux))
	return s
}

// URL returns the API root to use as GITHUB_API_URL, including any prefix.
func (s *Server) URL() string { return s.srv.URL + s.prefix }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

func (s *Server) routes(mux *http.ServeMux) {
	h := func(pattern string, f http.HandlerFunc) {
		method, path, _ := strings.Cut(pattern, " ")
		mux.HandleFunc(method+" "+s.prefix+path, f)
	}
	h("POST /app/installations/{id}/access_tokens", s.createInstallationToken)
	h("GET /app", s.getApp)
	h("GET /user", s.getUser)
	h("GET "+revealPath, s.revealSecret)

	h("GET /repos/{owner}/{repo}", s.getRepo)
	h("GET /repositories/{id}", s.getRepoByID)
	h("GET /repos/{owner}/{repo}/tarball/{ref}", s.getTarball)
	h("GET /repos/{owner}/{repo}/branches/{branch}", s.getBranch)
	h("GET /_codeload/{owner}/{repo}/legacy.tar.gz/{ref}", s.getCodeload)

	s.issueRoutes(h)
	h("GET /repos/{owner}/{repo}/issues/{number}/comments", s.listComments)
	h("POST /repos/{owner}/{repo}/issues/{number}/comments", s.createComment)
	h("PATCH /repos/{owner}/{repo}/issues/comments/{id}", s.editComment)
	h("DELETE /repos/{owner}/{repo}/issues/comments/{id}", s.deleteComment)

	h("POST /repos/{owner}/{repo}/statuses/{sha}", s.createStatus)
	h("GET /repos/{owner}/{repo}/commits/{ref}/statuses", s.listStatuses)

	h("GET /repos/{owner}/{repo}/pulls/{number}", s.getPull)
	h("GET /repos/{owner}/{repo}/pulls/{number}/files", s.listPullFiles)
	h("GET /repos/{owner}/{repo}/pulls/{number}/reviews", s.listReviews)
	h("GET /repos/{owner}/{repo}/commits/{sha}/pulls", s.listCommitPulls)

	h("GET /orgs/{org}/teams/{slug}/memberships/{user}", s.getMembership)

	for _, sc := range []string{
		"/repos/{owner}/{repo}/actions/secrets",
		"/repositories/{id}/environments/{env}/secrets",
		"/orgs/{org}/actions/secrets",
	} {
		h("GET "+sc+"/public-key", s.getPublicKey)
		h("GET "+sc, s.listSecrets)
		h("GET "+sc+"/{name}", s.getSecret)
		h("PUT "+sc+"/{name}", s.putSecret)
		h("DELETE "+sc+"/{name}", s.deleteSecret)
	}
}

// Request is one request the Server received.
type Request struct {
	Method string
	// Path is the request URI: path and query, as sent.
	Path string
	// Authorization is the Authorization header.
	Authorization string
	Body          string
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Failure is a canned error response.
type Failure struct {
	Status  int
	Header  http.Header
	Message string // GitHub's "message"; default the status text
	// DocumentationURL is GitHub's "documentation_url".
	DocumentationURL string
}

// PrimaryRateLimit is the 403 GitHub sends when the hourly rate limit is
// exhausted; it resets at reset.
func PrimaryRateLimit(reset time.Time) Failure {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Used", "5000")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	return Failure{
		Status: http.StatusForbidden, Header: h,
		Message:          "API rate limit exceeded for installation ID 1.",
		DocumentationURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits",
	}
}

// SecondaryRateLimit is the 403 GitHub sends for too many requests in a
// short time, asking the client to wait retryAfter seconds.
func SecondaryRateLimit(retryAfter int) Failure {
	h := http.Header{}
	h.Set("Retry-After", strconv.Itoa(retryAfter))
	return Failure{
		Status: http.StatusForbidden, Header: h,
		Message:          "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
		DocumentationURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
	}
}

type failure struct {
	method, pathContains string
	f                    Failure
}

// FailNext makes the next request with method (empty for any) whose path
// contains pathContains fail with status and a GitHub-style error body.
// Queued failures are used in order, each once.
func (s *Server) FailNext(method, pathContains string, status int) {
	s.FailNextWith(method, pathContains, Failure{Status: status})
}

// FailNextWith is FailNext with a full Failure, such as PrimaryRateLimit.
func (s *Server) FailNextWith(method, pathContains string, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{method, pathContains, f})
}

type token struct {
	login   string
	expires time.Time // zero: never
}

// AddToken makes token valid for "Authorization: Bearer <token>" (or
// "token <token>"), acting as github-actions[bot].
func (s *Server) AddToken(token string) { s.AddUserToken(token, "github-actions[bot]") }

// AddUserToken makes token valid, acting as login.
func (s *Server) AddUserToken(tok, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok] = token{login: login}
}

type ctxKey struct{}

// login returns the authenticated login of r.
func login(r *http.Request) string {
	l, _ := r.Context().Value(ctxKey{}).(string)
	return l
}

// middleware logs every request, authenticates it and injects queued
// failures.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		w.Header().Set("X-GitHub-Request-Id", s.randomHex(8))

		s.mu.Lock()
		s.requests = append(s.requests, Request{
			Method: r.Method, Path: r.URL.RequestURI(), Authorization: r.Header.Get("Authorization"), Body: string(body),
		})
		s.mu.Unlock()

		if !strings.HasPrefix(r.URL.Path, s.prefix+"/") {
			writeError(w, http.StatusNotFound, "Not Found", docsRoot)
			return
		}
		isAppRoute := strings.HasPrefix(r.URL.Path, s.prefix+"/app/") || r.URL.Path == s.prefix+"/app" || s.isRevealRoute(r)
		if !isAppRoute {
			l, ok := s.authenticate(r.Header.Get("Authorization"))
			if !ok {
				writeError(w, http.StatusUnauthorized, "Bad credentials", docsRoot)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, l))
		}
		if f, ok := s.takeFailure(r); ok {
			for k, vs := range f.Header {
				w.Header()[k] = vs
			}
			msg := f.Message
			if msg == "" {
				msg = http.StatusText(f.Status)
			}
			doc := f.DocumentationURL
			if doc == "" {
				doc = docsRoot
			}
			writeError(w, f.Status, msg, doc)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) authenticate(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token") {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[strings.TrimSpace(tok)]
	if !ok || !t.expires.IsZero() && time.Now().After(t.expires) {
		return "", false
	}
	return t.login, true
}

func (s *Server) takeFailure(r *http.Request) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.failures {
		if (f.method == "" || strings.EqualFold(f.method, r.Method)) && strings.Contains(r.URL.Path, f.pathContains) {
			s.failures = append(s.failures[:i], s.failures[i+1:]...)
			return f.f, true
		}
	}
	return Failure{}, false
}

// id returns a fresh id; s.mu must be held.
func (s *Server) id() int64 {
	s.nextID++
	return s.nextID
}

func (s *Server) randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

const docsRoot = "https://docs.github.com/rest"

// apiRoot is the absolute API root as seen by the client of r, for the
// url fields of responses and for Link headers.
func (s *Server) apiRoot(r *http.Request) string {
	return "http://" + r.Host + s.prefix
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v != nil {
		json.NewEncoder(w).Encode(v)
	}
}

type fieldError struct {
	Resource string `json:"resource"`
	Code     string `json:"code"`
	Field    string `json:"field"`
	Message  string `json:"message,omitempty"`
}

type errorBody struct {
	Message          string       `json:"message"`
	Errors           []fieldError `json:"errors,omitempty"`
	DocumentationURL string       `json:"documentation_url"`
	Status           string       `json:"status"`
}

func writeError(w http.ResponseWriter, status int, msg, doc string, errs ...fieldError) {
	writeJSON(w, status, errorBody{Message: msg, Errors: errs, DocumentationURL: doc, Status: strconv.Itoa(status)})
}

func notFound(w http.ResponseWriter) { writeError(w, http.StatusNotFound, "Not Found", docsRoot) }

func validationFailed(w http.ResponseWriter, doc string, errs ...fieldError) {
	writeError(w, http.StatusUnprocessableEntity, "Validation Failed", doc, errs...)
}

// paginate answers the page of n items that r asks for with per_page
// (default 30, at most 100) and page (from 1), setting GitHub's Link header.
// It returns the half-open index range of the page.
func (s *Server) paginate(w http.ResponseWriter, r *http.Request, n int) (lo, hi int) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	last := max((n+per-1)/per, 1)
	link := func(p int, rel string) string {
		q := r.URL.Query()
		q.Set("per_page", strconv.Itoa(per))
		q.Set("page", strconv.Itoa(p))
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	lo = min((page-1)*per, n)
	hi = min(lo+per, n)
	return lo, hi
}

// decode reads r's JSON body into v, answering 400 on malformed JSON as
// GitHub does ("Problems parsing JSON").
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON", docsRoot)
		return false
	}
	return true
}

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
