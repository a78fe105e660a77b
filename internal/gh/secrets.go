package gh

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
	"golang.org/x/crypto/nacl/box"
)

// maxSecretSize is GitHub's limit for an Actions secret value.
const maxSecretSize = 48 * 1024

// secretNameRE is GitHub's rule for secret names: alphanumerics and
// underscores, not starting with a digit.
var secretNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// SecretTarget names one GitHub Actions secret. Exactly one of Repo and Org
// is set:
//   - Repo alone: a repository secret;
//   - Repo and Environment: an environment secret (the repository's id is
//     looked up);
//   - Org: an organisation secret with Visibility "all", "private" or
//     "selected" (default "selected" when SelectedRepos is set, else
//     "private"); SelectedRepos are names in Org or "owner/name", and their
//     ids are looked up.
type SecretTarget struct {
	Repo          string
	Environment   string
	Org           string
	Name          string
	Visibility    string
	SelectedRepos []string
}

// String names the target for messages, for example
// "secret AZURE_CLIENT_SECRET of contoso/payments environment production".
func (t SecretTarget) String() string {
	switch {
	case t.Org != "":
		return fmt.Sprintf("secret %s of organisation %s", t.Name, t.Org)
	case t.Environment != "":
		return fmt.Sprintf("secret %s of %s environment %s", t.Name, t.Repo, t.Environment)
	default:
		return fmt.Sprintf("secret %s of %s", t.Name, t.Repo)
	}
}

func (t SecretTarget) validate() error {
	switch {
	case !secretNameRE.MatchString(t.Name):
		return fmt.Errorf("secret name %q may contain only letters, digits and underscores and may not start with a digit", t.Name)
	case strings.HasPrefix(strings.ToUpper(t.Name), "GITHUB_"):
		return fmt.Errorf("secret name %q may not start with GITHUB_", t.Name)
	case (t.Repo == "") == (t.Org == ""):
		return errors.New("exactly one of repository and organisation must be set")
	case t.Org != "" && t.Environment != "":
		return errors.New("an organisation secret has no environment")
	case t.Repo != "" && (t.Visibility != "" || len(t.SelectedRepos) > 0):
		return errors.New("visibility and selected repositories apply to organisation secrets only")
	}
	if t.Org != "" {
		switch t.visibility() {
		case "all", "private":
			if len(t.SelectedRepos) > 0 {
				return fmt.Errorf("selected repositories need visibility selected, not %q", t.Visibility)
			}
		case "selected":
		default:
			return fmt.Errorf("visibility %q is not one of all, private, selected", t.Visibility)
		}
	}
	return nil
}

func (t SecretTarget) visibility() string {
	switch {
	case t.Visibility != "":
		return t.Visibility
	case len(t.SelectedRepos) > 0:
		return "selected"
	default:
		return "private"
	}
}

// PutSecret creates or updates the GitHub Actions secret t with value: it
// fetches the scope's public key, seals value for it (libsodium sealed box)
// and writes the ciphertext. It refuses empty values and values over 48 KB.
// The value never appears in an error.
//
// The token needs "Secrets: write" (and "Environments: write" for
// environment secrets); GITHUB_TOKEN cannot write secrets.
//
// See https://docs.github.com/rest/actions/secrets#create-or-update-a-repository-secret,
// https://docs.github.com/rest/actions/secrets#create-or-update-an-environment-secret and
// https://docs.github.com/rest/actions/secrets#create-or-update-an-organization-secret.
func (c *Client) PutSecret(ctx context.Context, t SecretTarget, value []byte) error {
	if err := c.putSecret(ctx, t, value); err != nil {
		return fmt.Errorf("writing %s: %w", t, err)
	}
	return nil
}

func (c *Client) putSecret(ctx context.Context, t SecretTarget, value []byte) error {
	if err := t.validate(); err != nil {
		return err
	}
	if len(value) == 0 {
		return errors.New("refusing to write an empty value")
	}
	if len(value) > maxSecretSize {
		return fmt.Errorf("value is %d bytes, over github's limit of %d", len(value), maxSecretSize)
	}

	switch {
	case t.Org != "":
		ids := make(github.SelectedRepoIDs, 0, len(t.SelectedRepos))
		for _, r := range t.SelectedRepos {
			full := r
			if !strings.Contains(r, "/") {
				full = t.Org + "/" + r
			}
			id, err := c.RepoID(ctx, full)
			if err != nil {
				return fmt.Errorf("resolving selected repository: %w", err)
			}
			ids = append(ids, id)
		}
		es, err := c.seal(ctx, t.Name, value, func() (*github.PublicKey, *github.Response, error) {
			return c.gh.Actions.GetOrgPublicKey(ctx, t.Org)
		})
		if err != nil {
			return err
		}
		es.Visibility = t.visibility()
		if es.Visibility == "selected" {
			es.SelectedRepositoryIDs = ids
		}
		return c.call(ctx, func() (*github.Response, error) {
			return c.gh.Actions.CreateOrUpdateOrgSecret(ctx, t.Org, es)
		})

	case t.Environment != "":
		id, err := c.RepoID(ctx, t.Repo)
		if err != nil {
			return err
		}
		// go-github puts the environment into the path as is; names may
		// contain spaces.
		env := url.PathEscape(t.Environment)
		es, err := c.seal(ctx, t.Name, value, func() (*github.PublicKey, *github.Response, error) {
			return c.gh.Actions.GetEnvPublicKey(ctx, int(id), env)
		})
		if err != nil {
			return err
		}
		return c.call(ctx, func() (*github.Response, error) {
			return c.gh.Actions.CreateOrUpdateEnvSecret(ctx, int(id), env, es)
		})

	default:
		owner, name, err := splitRepo(t.Repo)
		if err != nil {
			return err
		}
		es, err := c.seal(ctx, t.Name, value, func() (*github.PublicKey, *github.Response, error) {
			return c.gh.Actions.GetRepoPublicKey(ctx, owner, name)
		})
		if err != nil {
			return err
		}
		return c.call(ctx, func() (*github.Response, error) {
			return c.gh.Actions.CreateOrUpdateRepoSecret(ctx, owner, name, es)
		})
	}
}

// seal fetches a public key with get and encrypts value for it.
func (c *Client) seal(ctx context.Context, name string, value []byte, get func() (*github.PublicKey, *github.Response, error)) (*github.EncryptedSecret, error) {
	var pk *github.PublicKey
	err := c.call(ctx, func() (r *github.Response, err error) {
		pk, r, err = get()
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("getting public key: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(pk.GetKey())
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("public key %s is not 32 base64-encoded bytes", pk.GetKeyID())
	}
	var key [32]byte
	copy(key[:], raw)
	sealed, err := box.SealAnonymous(nil, value, &key, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("encrypting for public key %s: %w", pk.GetKeyID(), err)
	}
	return &github.EncryptedSecret{
		Name:           name,
		KeyID:          pk.GetKeyID(),
		EncryptedValue: base64.StdEncoding.EncodeToString(sealed),
	}, nil
}

// SecretUpdatedAt returns when a secret was last written, or the zero time
// when it does not exist. Rotation uses it to tell whether a credential
// reached its target. Only metadata is read: GitHub never returns values.
//
// GitHub API docs: https://docs.github.com/rest/actions/secrets#get-a-repository-secret
func (c *Client) SecretUpdatedAt(ctx context.Context, t SecretTarget) (time.Time, error) {
	if err := t.validate(); err != nil {
		return time.Time{}, fmt.Errorf("reading %s: %w", t, err)
	}
	var s *github.Secret
	err := c.call(ctx, func() (r *github.Response, err error) {
		switch {
		case t.Org != "":
			s, r, err = c.gh.Actions.GetOrgSecret(ctx, t.Org, t.Name)
		case t.Environment != "":
			id, idErr := c.RepoID(ctx, t.Repo)
			if idErr != nil {
				return nil, idErr
			}
			s, r, err = c.gh.Actions.GetEnvSecret(ctx, int(id), url.PathEscape(t.Environment), t.Name)
		default:
			owner, name, splitErr := splitRepo(t.Repo)
			if splitErr != nil {
				return nil, splitErr
			}
			s, r, err = c.gh.Actions.GetRepoSecret(ctx, owner, name, t.Name)
		}
		return r, err
	})
	if IsNotFound(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("reading %s: %w", t, err)
	}
	return s.UpdatedAt.Time, nil
}
