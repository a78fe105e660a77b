package ghtest

import (
	"net/http"
	"strings"
)

// SetBranch points branch of repo at commit sha (creating the repository
// if needed).
func (s *Server) SetBranch(repo, branch, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.addRepo(repo)
	if r.branches == nil {
		r.branches = map[string]string{}
	}
	r.branches[branch] = sha
}

// getBranch serves GET /repos/{owner}/{repo}/branches/{branch}: the branch
// and the commit it points at; 404 "Branch not found" for a branch the
// repository does not have.
//
// See https://docs.github.com/rest/branches/branches#get-a-branch.
func (s *Server) getBranch(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoOf(r)
	if !ok {
		notFound(w)
		return
	}
	name := r.PathValue("branch")
	sha, ok := rp.branches[name]
	if !ok {
		writeError(w, http.StatusNotFound, "Branch not found", docsRoot+"/branches/branches#get-a-branch")
		return
	}
	root := s.apiRoot(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"name": name,
		"commit": map[string]any{
			"sha": sha,
			"url": root + "/repos/" + rp.fullName() + "/commits/" + sha,
		},
		"protected": false,
		"_links":    map[string]any{"self": root + "/repos/" + rp.fullName() + "/branches/" + strings.ReplaceAll(name, "/", "%2F")},
	})
}
