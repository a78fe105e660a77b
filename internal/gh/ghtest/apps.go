package ghtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// installationTokenLifetime is how long GitHub's installation tokens live.
const installationTokenLifetime = time.Hour

// AddApp registers GitHub App appID with the public half of its private key.
// POST /app/installations/{id}/access_tokens then accepts RS256 app JWTs
// signed by that key (issuer appID, not expired, at most ten minutes long)
// for any installation id, and returns a token that authorises other
// requests for an hour, acting as "app-<appID>[bot]".
func (s *Server) AddApp(appID int64, pub *rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[appID] = pub
}

// AddAppKey generates an RSA key for GitHub App appID, registers it with
// AddApp and returns the private key in PEM, as GitHub hands it out.
func (s *Server) AddAppKey(appID int64) []byte {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	s.AddApp(appID, &key.PublicKey)
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

const appAuthDoc = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"

// appOf authenticates r with an app JWT and returns the app id, or answers
// 401 as GitHub does.
func (s *Server) appOf(w http.ResponseWriter, r *http.Request) (int64, bool) {
	scheme, jwt, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") {
		writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded", appAuthDoc)
		return 0, false
	}
	appID, msg := s.verifyAppJWT(jwt, time.Now())
	if msg != "" {
		writeError(w, http.StatusUnauthorized, msg, appAuthDoc)
		return 0, false
	}
	return appID, true
}

func (s *Server) createInstallationToken(w http.ResponseWriter, r *http.Request) {
	appID, ok := s.appOf(w, r)
	if !ok {
		return
	}
	inst, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || inst <= 0 {
		notFound(w)
		return
	}
	s.mu.Lock()
	tok := "ghs_" + s.randomHex(18)
	exp := time.Now().Add(installationTokenLifetime).UTC().Truncate(time.Second)
	s.tokens[tok] = token{login: fmt.Sprintf("app-%d[bot]", appID), expires: exp}
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"token":      tok,
		"expires_at": timestamp(exp),
		"permissions": map[string]string{
			"issues": "write", "pull_requests": "write", "statuses": "write", "secrets": "write",
			"environments": "write", "members": "read", "contents": "read", "metadata": "read",
		},
		"repository_selection": "all",
	})
}

// verifyAppJWT checks an RS256 GitHub App JWT and returns its app id, or
// GitHub's message for why it is refused.
func (s *Server) verifyAppJWT(jwt string, now time.Time) (appID int64, refusal string) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return 0, "A JSON web token could not be decoded"
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Iat *int64          `json:"iat"`
		Exp *int64          `json:"exp"`
	}
	if decodeSegment(parts[0], &header) != nil || decodeSegment(parts[1], &claims) != nil {
		return 0, "A JSON web token could not be decoded"
	}
	if header.Alg != "RS256" {
		return 0, "'alg' must be RS256"
	}
	// GitHub accepts the issuer as a number or a string.
	iss := strings.Trim(string(claims.Iss), `"`)
	appID, err := strconv.ParseInt(iss, 10, 64)
	if err != nil {
		return 0, "'Issuer' claim ('iss') must be an Integer"
	}
	s.mu.Lock()
	pub, ok := s.apps[appID]
	s.mu.Unlock()
	if !ok {
		return 0, "Integration not found"
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return 0, "A JSON web token could not be decoded"
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return 0, "A JSON web token could not be decoded"
	}
	switch {
	case claims.Exp == nil || *claims.Exp <= now.Unix():
		return 0, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	case claims.Iat == nil || *claims.Iat > now.Unix()+60:
		return 0, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	case *claims.Exp-*claims.Iat > 600:
		return 0, "'Expiration time' claim ('exp') is too far in the future"
	}
	return appID, ""
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// getApp serves GET /app, authenticated with the app's JWT: the app, whose
// bot acts as "<slug>[bot]" (here "app-<appID>").
//
// See https://docs.github.com/rest/apps/apps#get-the-authenticated-app.
func (s *Server) getApp(w http.ResponseWriter, r *http.Request) {
	appID, ok := s.appOf(w, r)
	if !ok {
		return
	}
	slug := fmt.Sprintf("app-%d", appID)
	writeJSON(w, http.StatusOK, map[string]any{"id": appID, "slug": slug, "name": slug, "node_id": "A_" + slug})
}

// getUser serves GET /user: the login a user token acts as. Installation
// tokens and a workflow's GITHUB_TOKEN are refused with 403 "Resource not
// accessible by integration", as GitHub refuses them.
//
// See https://docs.github.com/rest/users/users#get-the-authenticated-user.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	l := login(r)
	if strings.HasSuffix(l, "[bot]") {
		writeError(w, http.StatusForbidden, "Resource not accessible by integration", docsRoot+"/users/users#get-the-authenticated-user")
		return
	}
	writeJSON(w, http.StatusOK, userJSON(s.apiRoot(r), l))
}
