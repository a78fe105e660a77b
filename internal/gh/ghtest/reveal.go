package ghtest

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// revealPath is the one route that is not GitHub's: it answers the
// plaintext of one delivered Actions secret, so that a person trying appreg
// against the fake (`appreg emulator --github`, then `appreg emulator
// secret`) can see what was delivered. GitHub itself never returns a secret
// value.
const revealPath = "/_ghtest/secret"

// SetRevealToken enables GET /_ghtest/secret?repo=&environment=&org=&name=
// for requests bearing tok (and only tok: the tokens that may write secrets
// cannot read them back, as on GitHub). The value is answered as
// text/plain; it is never logged.
func (s *Server) SetRevealToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revealToken = tok
}

func (s *Server) isRevealRoute(r *http.Request) bool {
	return r.URL.Path == s.prefix+revealPath
}

func (s *Server) revealSecret(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	want := s.revealToken
	s.mu.Unlock()
	_, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		writeError(w, http.StatusUnauthorized, "Bad credentials", docsRoot)
		return
	}
	q := r.URL.Query()
	t := SecretTarget{Repo: q.Get("repo"), Environment: q.Get("environment"), Org: q.Get("org"), Name: q.Get("name")}
	if t.Name == "" || (t.Repo == "") == (t.Org == "") {
		writeError(w, http.StatusBadRequest, "name and one of repo or org are required", docsRoot)
		return
	}
	v, ok := s.Secret(t)
	if !ok {
		notFound(w)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(v)) //nolint:errcheck // the client went away
}
