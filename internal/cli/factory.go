package cli

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/gh"
	"github.com/appreg/appreg/internal/graph"
	"github.com/appreg/appreg/internal/rotate"
)

// factory is what every command is built over: the process's streams and
// environment, and the constructors of the clients commands talk to
// (Entra credential, Microsoft Graph, GitHub, the clock). Main builds the
// real one; tests replace its fields to point commands at the emulator and
// the fake GitHub.
type factory struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	noColor        bool // --no-color
	// credential, when set, is the Entra credential every command signs
	// in with, instead of the one it builds from its environment or
	// inputs.
	credential func() (azcore.TokenCredential, error)
	// transport carries Graph, token and GitHub requests (nil: Go's
	// default).
	transport http.RoundTripper
	// now is the clock (nil: time.Now).
	now func() time.Time
}

// clock returns the factory's clock.
func (f *factory) clock() func() time.Time {
	if f.now != nil {
		return f.now
	}
	return time.Now
}

// azureCredential is the credential of the commands run by an operator:
// from the environment (AZURE_*), unless the factory has one.
func (f *factory) azureCredential() (azcore.TokenCredential, error) {
	if f.credential != nil {
		return f.credential()
	}
	return credential(f.getenv)
}

// graph builds a Graph client at url (empty: the public cloud) signed in
// with cred, acting for repository repo ("owner/name": it owns only the
// applications tagged with it).
func (f *factory) graph(url, repo string, cred azcore.TokenCredential, log *slog.Logger) (*graph.Client, error) {
	return newGraph(graphConfig{url: url, credential: cred, transport: f.transport, logger: log, repository: repo}, f.getenv)
}

// operatorGraph is graph with the operator's credential.
func (f *factory) operatorGraph(url, repo string, log *slog.Logger) (*graph.Client, error) {
	cred, err := f.azureCredential()
	if err != nil {
		return nil, err
	}
	return f.graph(url, repo, cred, log)
}

// httpClient is the client over the factory's transport (nil: the default).
func (f *factory) httpClient() *http.Client {
	if f.transport == nil {
		return nil
	}
	return &http.Client{Transport: f.transport}
}

// github builds a GitHub client with token at apiURL (empty: github.com).
func (f *factory) github(apiURL, token string) (*gh.Client, error) {
	c, err := gh.New(gh.Options{BaseURL: apiURL, Token: token, HTTPClient: f.httpClient()})
	if err != nil {
		return nil, fmt.Errorf("building the GitHub client: %w", err)
	}
	return c, nil
}

// rotator builds what creates, verifies and delivers client secrets for
// the operator's commands (APPREG_SECRETS_TOKEN, else GITHUB_TOKEN), or nil
// when no token is set.
func (f *factory) rotator(g rotate.Passwords, settings appreg.Settings) (*rotate.Rotator, error) {
	c := secretsFromEnv(f.getenv, settings)
	if c.token == "" {
		return nil, nil
	}
	client, err := f.github(c.apiURL, c.token)
	if err != nil {
		return nil, err
	}
	c.client = client
	if hc := f.httpClient(); hc != nil {
		c.transport = hc
	}
	r, err := c.rotator(g)
	if r != nil {
		r.Now = f.clock()
	}
	return r, err
}
