package ghtest

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/nacl/box"
)

// SecretTarget names a stored Actions secret: Repo alone for a repository
// secret, Repo and Environment for an environment secret, Org for an
// organisation secret.
type SecretTarget struct {
	Repo        string
	Environment string
	Org         string
	Name        string
}

// StoredSecret is an Actions secret as the Server decrypted and stored it.
type StoredSecret struct {
	Value string
	KeyID string
	// Visibility and SelectedRepositoryIDs are set for organisation secrets.
	Visibility            string
	SelectedRepositoryIDs []int64
	CreatedAt, UpdatedAt  time.Time
	// Writes counts the PUTs that stored this secret.
	Writes int
}

type storedSecret struct {
	StoredSecret
	name string
}

type keyPair struct {
	id   string
	pub  *[32]byte
	priv *[32]byte
}

func scopeKey(t SecretTarget) string {
	switch {
	case t.Org != "":
		return "org:" + strings.ToLower(t.Org)
	case t.Environment != "":
		return "env:" + strings.ToLower(t.Repo) + ":" + t.Environment
	default:
		return "repo:" + strings.ToLower(t.Repo)
	}
}

func secretKey(t SecretTarget) string { return scopeKey(t) + "/" + strings.ToUpper(t.Name) }

// Secret returns the plaintext of secret t, as decrypted on arrival.
func (s *Server) Secret(t SecretTarget) (string, bool) {
	st, ok := s.SecretInfo(t)
	return st.Value, ok
}

// SecretInfo returns secret t with its metadata.
func (s *Server) SecretInfo(t SecretTarget) (StoredSecret, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.secrets[secretKey(t)]
	if !ok {
		return StoredSecret{}, false
	}
	out := st.StoredSecret
	out.SelectedRepositoryIDs = slices.Clone(out.SelectedRepositoryIDs)
	return out, true
}

// target returns the secret scope r addresses, or answers 404; s.mu must be
// held.
func (s *Server) target(w http.ResponseWriter, r *http.Request) (SecretTarget, bool) {
	t := SecretTarget{Org: r.PathValue("org"), Name: r.PathValue("name")}
	switch {
	case t.Org != "":
	case r.PathValue("id") != "":
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		rp, ok := s.reposByID[id]
		if !ok {
			notFound(w)
			return t, false
		}
		t.Repo, t.Environment = rp.fullName(), r.PathValue("env")
	default:
		rp, ok := s.repoOf(r)
		if !ok {
			notFound(w)
			return t, false
		}
		t.Repo = rp.fullName()
	}
	return t, true
}

// key returns the key pair of scope, creating it on first use; s.mu must be
// held.
func (s *Server) key(scope string) *keyPair {
	if k, ok := s.keys[scope]; ok {
		return k
	}
	pub, priv, err := box.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	n, _ := rand.Int(rand.Reader, big.NewInt(1e17))
	k := &keyPair{id: strconv.FormatInt(n.Int64()+1e17, 10), pub: pub, priv: priv}
	s.keys[scope] = k
	return k
}

func (s *Server) getPublicKey(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.target(w, r)
	if !ok {
		return
	}
	k := s.key(scopeKey(t))
	writeJSON(w, http.StatusOK, map[string]any{"key_id": k.id, "key": base64.StdEncoding.EncodeToString(k.pub[:])})
}

var secretNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

const putSecretDoc = "https://docs.github.com/rest/actions/secrets#create-or-update-a-repository-secret"

func (s *Server) putSecret(w http.ResponseWriter, r *http.Request) {
	var in struct {
		EncryptedValue        string  `json:"encrypted_value"`
		KeyID                 string  `json:"key_id"`
		Visibility            string  `json:"visibility"`
		SelectedRepositoryIDs []int64 `json:"selected_repository_ids"`
	}
	if !decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.target(w, r)
	if !ok {
		return
	}
	if !secretNameRE.MatchString(t.Name) || strings.HasPrefix(strings.ToUpper(t.Name), "GITHUB_") {
		validationFailed(w, putSecretDoc, fieldError{Resource: "Secret", Code: "invalid", Field: "name",
			Message: "Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_), must not start with a number or GITHUB_"})
		return
	}
	k := s.key(scopeKey(t))
	if in.KeyID != k.id {
		validationFailed(w, putSecretDoc, fieldError{Resource: "Secret", Code: "invalid", Field: "key_id",
			Message: fmt.Sprintf("key_id %q does not match the current public key", in.KeyID)})
		return
	}
	sealed, err := base64.StdEncoding.DecodeString(in.EncryptedValue)
	if err != nil {
		validationFailed(w, putSecretDoc, fieldError{Resource: "Secret", Code: "invalid", Field: "encrypted_value", Message: "encrypted_value is not valid base64"})
		return
	}
	plain, ok := box.OpenAnonymous(nil, sealed, k.pub, k.priv)
	if !ok {
		validationFailed(w, putSecretDoc, fieldError{Resource: "Secret", Code: "invalid", Field: "encrypted_value", Message: "encrypted_value is not a sealed box for key_id"})
		return
	}
	if t.Org != "" {
		switch in.Visibility {
		case "all", "private", "selected":
		default:
			validationFailed(w, putSecretDoc, fieldError{Resource: "Secret", Code: "invalid", Field: "visibility", Message: "visibility must be one of all, private, selected"})
			return
		}
		for _, id := range in.SelectedRepositoryIDs {
			if s.reposByID[id] == nil {
				validationFailed(w, putSecretDoc, fieldError{Resource: "Secret", Code: "invalid", Field: "selected_repository_ids", Message: fmt.Sprintf("repository %d not found", id)})
				return
			}
		}
	}
	now := s.now().UTC()
	key := secretKey(t)
	st, exists := s.secrets[key]
	if !exists {
		st = &storedSecret{name: strings.ToUpper(t.Name)}
		st.CreatedAt = now
		s.secrets[key] = st
	}
	st.Value, st.KeyID, st.UpdatedAt = string(plain), in.KeyID, now
	st.Writes++
	if t.Org != "" {
		st.Visibility = in.Visibility
		st.SelectedRepositoryIDs = nil
		if in.Visibility == "selected" {
			st.SelectedRepositoryIDs = slices.Clone(in.SelectedRepositoryIDs)
		}
	}
	if exists {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{})
}

func (s *Server) secretJSON(r *http.Request, t SecretTarget, st *storedSecret) map[string]any {
	j := map[string]any{"name": st.name, "created_at": timestamp(st.CreatedAt), "updated_at": timestamp(st.UpdatedAt)}
	if t.Org != "" {
		j["visibility"] = st.Visibility
		if st.Visibility == "selected" {
			j["selected_repositories_url"] = fmt.Sprintf("%s/orgs/%s/actions/secrets/%s/repositories", s.apiRoot(r), t.Org, st.name)
		}
	}
	return j
}

func (s *Server) getSecret(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.target(w, r)
	if !ok {
		return
	}
	st, ok := s.secrets[secretKey(t)]
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, s.secretJSON(r, t, st))
}

func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.target(w, r)
	if !ok {
		return
	}
	prefix := scopeKey(t) + "/"
	var keys []string
	for k := range s.secrets {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	lo, hi := s.paginate(w, r, len(keys))
	list := []any{}
	for _, k := range keys[lo:hi] {
		list = append(list, s.secretJSON(r, t, s.secrets[k]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(keys), "secrets": list})
}

func (s *Server) deleteSecret(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.target(w, r)
	if !ok {
		return
	}
	if _, ok := s.secrets[secretKey(t)]; !ok {
		notFound(w)
		return
	}
	delete(s.secrets, secretKey(t))
	w.WriteHeader(http.StatusNoContent)
}
