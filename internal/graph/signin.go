package graph

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// SignedInTenant signs in (obtains a Graph access token) and returns the
// tenant the token is for: its tid claim. Callers compare it with the tenant
// the files name before they read or write anything. It sends no request to
// Graph, only to the authority.
func (c *Client) SignedInTenant(ctx context.Context) (string, error) {
	tok, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}})
	if err != nil {
		return "", &SignInError{Err: err}
	}
	var claims struct {
		TID string `json:"tid"`
	}
	if err := jwtClaims(tok.Token, &claims); err != nil {
		return "", err
	}
	if claims.TID == "" {
		return "", errors.New("the Graph access token has no tid claim")
	}
	return strings.ToLower(claims.TID), nil
}

// SignInError is a credential that could not obtain a token. Its message is
// one line: Entra's error code and the first line of its description, or
// the first line of the credential's error, never the SDK's whole chain.
type SignInError struct{ Err error }

func (e *SignInError) Error() string { return "signing in to Microsoft Entra ID: " + Reason(e.Err) }

func (e *SignInError) Unwrap() error { return e.Err }

// Reason is the one-line reason of a credential error: the AADSTS
// description Entra answered (its first line; the rest is trace and
// correlation ids), or the first line of err that is not azidentity's
// "failed to acquire a token" preamble.
func Reason(err error) string {
	var auth *azidentity.AuthenticationFailedError
	if errors.As(err, &auth) && auth.RawResponse != nil {
		// The body is Entra's token error response:
		// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#error-response
		body, rerr := runtime.Payload(auth.RawResponse)
		var resp struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if rerr == nil && json.Unmarshal(body, &resp) == nil && resp.Description != "" {
			return firstLine(resp.Description)
		}
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasSuffix(line, "failed to acquire a token.") || strings.HasPrefix(line, "Attempted credentials") {
			continue
		}
		if line = strings.TrimPrefix(line, "ERROR: "); line != "" {
			return strings.TrimSuffix(line, ".")
		}
	}
	return "no token"
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	s, _, _ = strings.Cut(s, " Trace ID: ")
	return strings.TrimSuffix(strings.TrimSpace(s), ".")
}
