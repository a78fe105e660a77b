package graph

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/appreg/appreg/internal/appreg"
)

// AddPassword adds a client secret (addPassword). Graph returns its value
// only in this response; it goes straight into an appreg.SecretValue, which
// never prints. A just-created application may not have replicated yet, so
// lag is retried.
//
// addPassword is not idempotent: a request that failed with 429, a 5xx or
// no answer may have added a secret whose value nobody received. It is
// therefore never retried blindly (the SDK's retry is off for it): after
// such a failure appreg reads the application's passwordCredentials,
// removes any secret that attempt added (same displayName and end), and
// only then tries again: as many times as the SDK would retry
// (Options.MaxRetries), waiting from Options.LagBackoff doubling up to 10 s.
func (c *Client) AddPassword(ctx context.Context, objectID, displayName string, end time.Time) (appreg.PasswordCredential, appreg.SecretValue, error) {
	body := applications.NewItemAddPasswordPostRequestBody()
	pc := models.NewPasswordCredential()
	pc.SetDisplayName(&displayName)
	pc.SetEndDateTime(&end)
	body.SetPasswordCredential(pc)
	noRetry := &applications.ItemAddPasswordRequestBuilderPostRequestConfiguration{Options: []abstractions.RequestOption{
		&khttp.RetryHandlerOptions{ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return false }},
	}}
	var got models.PasswordCredentialable
	var err error
	wait := c.opts.LagBackoff
	for attempt := 0; ; attempt++ {
		err = c.retryLag(ctx, "adding a client secret", func() error {
			var err error
			got, err = c.sdk.Applications().ByApplicationId(objectID).AddPassword().Post(ctx, body, noRetry)
			return wrap(err, "adding client secret %q to application %s", displayName, objectID)
		})
		if err == nil || !ambiguous(err) || attempt >= c.opts.MaxRetries {
			break
		}
		c.log.WarnContext(ctx, "addPassword failed without a clear answer; removing any secret it added before trying again", "application", objectID, "error", err)
		if rerr := c.removeUnheldPasswords(ctx, objectID, displayName, end); rerr != nil {
			return appreg.PasswordCredential{}, appreg.SecretValue{}, fmt.Errorf("%w; reconciling the application's secrets after it: %w", err, rerr)
		}
		select {
		case <-ctx.Done():
			return appreg.PasswordCredential{}, appreg.SecretValue{}, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*time.Second)
	}
	if err != nil {
		return appreg.PasswordCredential{}, appreg.SecretValue{}, err
	}
	if got == nil {
		return appreg.PasswordCredential{}, appreg.SecretValue{}, fmt.Errorf("adding client secret %q to application %s: graph returned no credential", displayName, objectID)
	}
	cred := appreg.PasswordCredential{KeyID: uuidString(got.GetKeyId()), DisplayName: deref(got.GetDisplayName()), Hint: deref(got.GetHint())}
	if t := got.GetStartDateTime(); t != nil {
		cred.Start = *t
	}
	if t := got.GetEndDateTime(); t != nil {
		cred.End = *t
	}
	return cred, appreg.NewSecretValue(deref(got.GetSecretText())), nil
}

// ListPasswords reads an application's client secrets, metadata only
// (Graph never returns values after addPassword). Rotation reads them
// right after adding one, to find a concurrent run's.
func (c *Client) ListPasswords(ctx context.Context, objectID string) ([]appreg.PasswordCredential, error) {
	a, err := c.sdk.Applications().ByApplicationId(objectID).Get(ctx, &applications.ApplicationItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationItemRequestBuilderGetQueryParameters{Select: []string{"id", "passwordCredentials"}},
	})
	if err != nil {
		return nil, wrap(err, "reading the client secrets of application %s", objectID)
	}
	var out []appreg.PasswordCredential
	for _, pc := range a.GetPasswordCredentials() {
		out = append(out, passwordCredential(pc))
	}
	return out, nil
}

// ambiguous reports whether a failed write may have taken effect: no HTTP
// answer, 429 or a server error.
func ambiguous(err error) bool {
	st := status(err)
	return st == 0 || st == http.StatusTooManyRequests || st >= 500
}

// removeUnheldPasswords removes the application's secrets named displayName
// that end at end (to the second): ones an addPassword whose answer was lost
// added, whose value nobody holds.
func (c *Client) removeUnheldPasswords(ctx context.Context, objectID, displayName string, end time.Time) error {
	creds, err := c.ListPasswords(ctx, objectID)
	if err != nil {
		return err
	}
	for _, p := range creds {
		if p.DisplayName != displayName || p.End.Sub(end).Abs() >= time.Second {
			continue
		}
		if err := c.RemovePassword(ctx, objectID, p.KeyID); err != nil {
			return err
		}
	}
	return nil
}

// RemovePassword removes a client secret; one that is gone already is not
// an error.
func (c *Client) RemovePassword(ctx context.Context, objectID, keyID string) error {
	body := applications.NewItemRemovePasswordPostRequestBody()
	body.SetKeyId(parseUUID(keyID))
	err := c.sdk.Applications().ByApplicationId(objectID).RemovePassword().Post(ctx, body, nil)
	if status(err) == http.StatusNotFound || strings.Contains(errText(err), "No password credential") {
		return nil
	}
	return wrap(err, "removing client secret %s from application %s", keyID, objectID)
}

// Verifier proves a client secret works by obtaining a token with it, the
// way the application itself will, from the tenant's authority.
type Verifier struct {
	// AuthorityHost is the Entra authority, e.g.
	// https://login.microsoftonline.com/ (national clouds and the emulator
	// differ).
	AuthorityHost string
	TenantID      string
	// Transport carries the token requests; nil means the default.
	Transport policy.Transporter
	// Attempts bounds the tries while a new secret replicates (default
	// 10); Backoff is the first wait, doubled up to 8 s (default 1 s).
	Attempts int
	Backoff  time.Duration
}

// Verify obtains a Microsoft Graph token for appID with secret and returns
// the roles claim (the application permissions consented on Graph).
// A new secret can take seconds to work: AADSTS7000215 (invalid secret),
// 7000222 and 700016 are retried within the bound.
func (v *Verifier) Verify(ctx context.Context, appID string, secret appreg.SecretValue) ([]string, error) {
	attempts, wait := v.Attempts, v.Backoff
	if attempts <= 0 {
		attempts = 10
	}
	if wait <= 0 {
		wait = time.Second
	}
	host := v.AuthorityHost
	if host == "" {
		host = cloud.AzurePublic.ActiveDirectoryAuthorityHost
	}
	opts := &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: host}, Transport: v.Transport},
		DisableInstanceDiscovery: !strings.Contains(host, "login.microsoftonline.com"),
	}
	var last error
	for attempt := 1; ; attempt++ {
		// A new credential each time: azidentity caches tokens and failures.
		cred, err := azidentity.NewClientSecretCredential(v.TenantID, appID, secret.Reveal(), opts)
		if err != nil {
			return nil, fmt.Errorf("verifying the secret of %s: %s", appID, scrub(err, secret))
		}
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
		if err == nil {
			return roles(tok.Token)
		}
		last = err
		if !replicating(err) || attempt >= attempts {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 8*time.Second)
	}
	return nil, fmt.Errorf("obtaining a token with the new secret of %s failed: %s", appID, scrub(last, secret))
}

// replicating reports whether a token error is what Entra answers while a
// new secret or app has not replicated.
func replicating(err error) bool {
	var af *azidentity.AuthenticationFailedError
	if !errors.As(err, &af) {
		return false
	}
	msg := af.Error()
	return strings.Contains(msg, "AADSTS7000215") || strings.Contains(msg, "AADSTS7000222") || strings.Contains(msg, "AADSTS700016")
}

// scrub renders err with any occurrence of the secret's value removed.
func scrub(err error, secret appreg.SecretValue) string {
	msg := err.Error()
	if v := secret.Reveal(); v != "" {
		msg = strings.ReplaceAll(msg, v, appreg.Redacted)
	}
	return msg
}

// roles reads the roles claim of a JWT access token.
func roles(token string) ([]string, error) {
	var claims struct {
		Roles []string `json:"roles"`
	}
	err := jwtClaims(token, &claims)
	return claims.Roles, err
}

// jwtClaims decodes the payload of a JWT (without verifying it: appreg
// reads its own tokens) into v.
func jwtClaims(token string, v any) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("the access token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return fmt.Errorf("decoding the access token: %w", err)
	}
	if err := json.Unmarshal(payload, v); err != nil {
		return fmt.Errorf("decoding the access token: %w", err)
	}
	return nil
}
