package ghtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

type repo struct {
	id       int64
	owner    string
	name     string
	statuses map[string][]*status // by sha
	pulls    map[int]*pull
	trees    map[string]map[string][]byte // by sha: path -> content
	branches map[string]string            // branch -> sha
}

func (r *repo) fullName() string { return r.owner + "/" + r.name }

// AddRepo creates repository "owner/name" if it does not exist yet and
// returns its id. Every other endpoint answers 404 for unknown repositories.
func (s *Server) AddRepo(fullName string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addRepo(fullName).id
}

func (s *Server) addRepo(fullName string) *repo {
	if r, ok := s.repos[strings.ToLower(fullName)]; ok {
		return r
	}
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || owner == "" || name == "" {
		panic(fmt.Sprintf("ghtest: repository %q is not owner/name", fullName))
	}
	r := &repo{id: s.id(), owner: owner, name: name, statuses: map[string][]*status{}, pulls: map[int]*pull{}}
	s.repos[strings.ToLower(fullName)] = r
	s.reposByID[r.id] = r
	return r
}

// repoOf returns the repository named by r's owner and repo path values;
// s.mu must be held.
func (s *Server) repoOf(r *http.Request) (*repo, bool) {
	rp, ok := s.repos[strings.ToLower(r.PathValue("owner")+"/"+r.PathValue("repo"))]
	return rp, ok
}

// userJSON is GitHub's simple-user object.
func userJSON(root, login string) map[string]any {
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	u := root + "/users/" + login
	var id int64
	for _, c := range login {
		id = id*31 + int64(c)
	}
	id = id%100000000 + 1
	if id < 0 {
		id = -id
	}
	return map[string]any{
		"login":               login,
		"id":                  id,
		"node_id":             "MDQ6VXNlcj" + strconv.FormatInt(id, 10),
		"avatar_url":          "https://avatars.githubusercontent.com/u/" + strconv.FormatInt(id, 10) + "?v=4",
		"gravatar_id":         "",
		"url":                 u,
		"html_url":            "https://github.com/" + login,
		"followers_url":       u + "/followers",
		"following_url":       u + "/following{/other_user}",
		"gists_url":           u + "/gists{/gist_id}",
		"starred_url":         u + "/starred{/owner}{/repo}",
		"subscriptions_url":   u + "/subscriptions",
		"organizations_url":   u + "/orgs",
		"repos_url":           u + "/repos",
		"events_url":          u + "/events{/privacy}",
		"received_events_url": u + "/received_events",
		"type":                typ,
		"site_admin":          false,
	}
}

func repoJSON(root string, r *repo) map[string]any {
	return map[string]any{
		"id":             r.id,
		"node_id":        "R_" + strconv.FormatInt(r.id, 10),
		"name":           r.name,
		"full_name":      r.fullName(),
		"private":        true,
		"visibility":     "private",
		"owner":          userJSON(root, r.owner),
		"html_url":       "https://github.com/" + r.fullName(),
		"url":            root + "/repos/" + r.fullName(),
		"fork":           false,
		"default_branch": "main",
	}
}

func (s *Server) getRepo(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoOf(r)
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, repoJSON(s.apiRoot(r), rp))
}

func (s *Server) getRepoByID(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	rp, ok := s.reposByID[id]
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, repoJSON(s.apiRoot(r), rp))
}

// Status is a commit status as stored by the Server.
type Status struct {
	ID          int64
	State       string
	Context     string
	Description string
	TargetURL   string
	Creator     string
	CreatedAt   time.Time
}

type status struct{ Status }

// Statuses returns the statuses created on sha in repo, oldest first.
func (s *Server) Statuses(repo, sha string) []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repos[strings.ToLower(repo)]
	if !ok {
		return nil
	}
	var out []Status
	for _, st := range rp.statuses[sha] {
		out = append(out, st.Status)
	}
	return out
}

func statusJSON(root string, rp *repo, sha string, st *status) map[string]any {
	return map[string]any{
		"url":         root + "/repos/" + rp.fullName() + "/statuses/" + sha,
		"avatar_url":  "https://avatars.githubusercontent.com/u/41898282?v=4",
		"id":          st.ID,
		"node_id":     "SC_" + strconv.FormatInt(st.ID, 10),
		"state":       st.State,
		"description": nullable(st.Description),
		"target_url":  nullable(st.TargetURL),
		"context":     st.Context,
		"created_at":  timestamp(st.CreatedAt),
		"updated_at":  timestamp(st.CreatedAt),
		"creator":     userJSON(root, st.Creator),
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const statusDoc = "https://docs.github.com/rest/commits/statuses#create-a-commit-status"

func (s *Server) createStatus(w http.ResponseWriter, r *http.Request) {
	var in struct {
		State       string  `json:"state"`
		TargetURL   *string `json:"target_url"`
		Description *string `json:"description"`
		Context     *string `json:"context"`
	}
	if !decode(w, r, &in) {
		return
	}
	switch in.State {
	case "pending", "success", "failure", "error":
	default:
		validationFailed(w, statusDoc, fieldError{Resource: "Status", Code: "custom", Field: "state", Message: "state is not included in the list"})
		return
	}
	st := &status{Status{State: in.State, Context: "default", Creator: login(r), CreatedAt: time.Now().UTC()}}
	if in.Context != nil && *in.Context != "" {
		st.Context = *in.Context
	}
	if in.Description != nil {
		if utf8.RuneCountInString(*in.Description) > 140 {
			validationFailed(w, statusDoc, fieldError{Resource: "Status", Code: "custom", Field: "description", Message: "description is too long (maximum is 140 characters)"})
			return
		}
		st.Description = *in.Description
	}
	if in.TargetURL != nil {
		st.TargetURL = *in.TargetURL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoOf(r)
	if !ok {
		notFound(w)
		return
	}
	sha := r.PathValue("sha")
	st.ID = s.id()
	rp.statuses[sha] = append(rp.statuses[sha], st)
	writeJSON(w, http.StatusCreated, statusJSON(s.apiRoot(r), rp, sha, st))
}

func (s *Server) listStatuses(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoOf(r)
	if !ok {
		notFound(w)
		return
	}
	sha := r.PathValue("ref")
	all := slices.Clone(rp.statuses[sha])
	slices.Reverse(all) // newest first, as GitHub lists them
	lo, hi := s.paginate(w, r, len(all))
	out := []any{}
	for _, st := range all[lo:hi] {
		out = append(out, statusJSON(s.apiRoot(r), rp, sha, st))
	}
	writeJSON(w, http.StatusOK, out)
}

type membership struct{ role, state string }

// AddTeamMember makes user an active member of team slug in org.
func (s *Server) AddTeamMember(org, slug, user string) {
	s.AddTeamMembership(org, slug, user, "member", "active")
}

// AddTeamMembership records user's membership of team slug in org with role
// ("member" or "maintainer") and state ("active" or "pending").
func (s *Server) AddTeamMembership(org, slug, user, role, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.teams[strings.ToLower(org+"/"+slug+"/"+user)] = membership{role: role, state: state}
}

func (s *Server) getMembership(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	org, slug, user := r.PathValue("org"), r.PathValue("slug"), r.PathValue("user")
	m, ok := s.teams[strings.ToLower(org+"/"+slug+"/"+user)]
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"url":   fmt.Sprintf("%s/organizations/1/team/1/memberships/%s", s.apiRoot(r), user),
		"role":  m.role,
		"state": m.state,
	})
}
