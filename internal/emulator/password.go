package emulator

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"
)

// secretAlphabet is the character set of the secrets Entra generates.
const secretAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-"

// newSecretText returns a 40-character random secret.
func newSecretText() string {
	var b [40]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("emulator: reading random bytes: " + err.Error())
	}
	for i := range b {
		b[i] = secretAlphabet[int(b[i])%len(secretAlphabet)]
	}
	return string(b[:])
}

// addPassword creates a password credential (apis.md §3): the secret text
// is returned once and only its hash is kept. The caller holds s.mu.
func (s *Server) addPassword(a *application, in map[string]any, lag bool) (map[string]any, *apiError) {
	for k := range in {
		switch k {
		case "displayName", "endDateTime", "startDateTime", "customKeyIdentifier", "@odata.type":
		default:
			if k != "keyId" && k != "hint" && k != "secretText" {
				return nil, errUnknownProperty(k)
			}
		}
	}
	if personalAudience(str(a.props["signInAudience"])) && len(a.props["passwordCredentials"].([]any)) >= 2 {
		return nil, errBadRequest("The number of password credentials exceeds the limit of 2 for applications that support personal Microsoft accounts.")
	}
	start := s.now().UTC()
	if v := str(in["startDateTime"]); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, errInvalidValue("startDateTime", "PasswordCredential")
		}
		start = t.UTC()
	}
	end := start.AddDate(2, 0, 0)
	if v := str(in["endDateTime"]); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil || !t.After(start) {
			return nil, errInvalidValue("endDateTime", "PasswordCredential")
		}
		end = t.UTC()
	}
	text := newSecretText()
	keyID := newGUID()
	cred := map[string]any{
		"customKeyIdentifier": nil,
		"displayName":         in["displayName"],
		"endDateTime":         end.Format(graphTime),
		"hint":                text[:3],
		"keyId":               keyID,
		"secretText":          nil,
		"startDateTime":       start.Format(graphTime),
	}
	a.props["passwordCredentials"] = append(a.props["passwordCredentials"].([]any), cred)
	sec := &secret{hash: sha256.Sum256([]byte(text))}
	if lag {
		sec.vis = s.newVisibility()
	}
	a.secrets[keyID] = sec
	s.issued = append(s.issued, text)
	out := clone(cred).(map[string]any)
	out["secretText"] = text
	return out, nil
}

// removePassword deletes a password credential by keyId. The caller holds
// s.mu.
func (s *Server) removePassword(a *application, keyID string) *apiError {
	creds := a.props["passwordCredentials"].([]any)
	for i, c := range creds {
		if strings.EqualFold(str(c.(map[string]any)["keyId"]), keyID) {
			a.props["passwordCredentials"] = append(creds[:i:i], creds[i+1:]...)
			delete(a.secrets, str(c.(map[string]any)["keyId"]))
			return nil
		}
	}
	return errNotFound(keyID)
}

// matchSecret finds the password credential whose value is text, comparing
// hashes in constant time. It reports the credential and whether the
// secret is visible yet (replication lag). The caller holds s.mu.
func (s *Server) matchSecret(a *application, text string) (map[string]any, bool) {
	h := sha256.Sum256([]byte(text))
	var found map[string]any
	var visible bool
	for _, c := range a.props["passwordCredentials"].([]any) {
		cred := c.(map[string]any)
		sec := a.secrets[str(cred["keyId"])]
		if sec == nil {
			continue
		}
		if subtle.ConstantTimeCompare(h[:], sec.hash[:]) == 1 {
			found, visible = cred, s.seen(&sec.vis)
		}
	}
	return found, visible
}

func (s *Server) postAddPassword(r *request, k appKey) *response {
	body := map[string]any{}
	if len(strings.TrimSpace(string(r.body))) > 0 {
		var resp *response
		if body, resp = s.decodeObject(r); resp != nil {
			return resp
		}
	}
	in, _ := body["passwordCredential"].(map[string]any)
	if v, ok := body["passwordCredential"]; ok && v != nil && in == nil {
		return s.fail(r, errInvalidValue("passwordCredential", "Application"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(k)
	if err != nil {
		return s.fail(r, err)
	}
	if err := mayWriteOwned(r, a.owners); err != nil {
		return s.fail(r, err)
	}
	cred, err := s.addPassword(a, in, true)
	if err != nil {
		return s.fail(r, err)
	}
	cred["@odata.context"] = s.metadataURL(r) + "microsoft.graph.passwordCredential"
	return newResponse(http.StatusOK, cred)
}

func (s *Server) postRemovePassword(r *request, k appKey) *response {
	body, resp := s.decodeObject(r)
	if resp != nil {
		return resp
	}
	keyID := str(body["keyId"])
	if keyID == "" {
		return s.fail(r, errInvalidValue("keyId", "Application"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(k)
	if err != nil {
		return s.fail(r, err)
	}
	if err := mayWriteOwned(r, a.owners); err != nil {
		return s.fail(r, err)
	}
	if err := s.removePassword(a, keyID); err != nil {
		return s.fail(r, err)
	}
	return noContent()
}
