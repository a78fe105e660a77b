package gh

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v62/github"
)

// SetSelf names the login the client acts as (a workflow's GITHUB_TOKEN
// acts as github-actions[bot] and may not ask GitHub who it is).
func (c *Client) SetSelf(login string) {
	c.selfMu.Lock()
	defer c.selfMu.Unlock()
	c.self = login
}

// ActsAsIntegration names the login to act as when GitHub refuses to say
// who the token is because it is an integration's (403 on GET /user): in
// a GitHub Action, the workflow's token, github-actions[bot].
func (c *Client) ActsAsIntegration(login string) {
	c.selfMu.Lock()
	defer c.selfMu.Unlock()
	c.integration = login
}

// Self returns the login the client acts as: comments appreg wrote carry
// it, and only those count as appreg's (markers in anyone else's comment
// mean nothing). A GitHub App installation acts as "<app slug>[bot]"; a
// user token as its user.
//
// See https://docs.github.com/rest/apps/apps#get-the-authenticated-app and
// https://docs.github.com/rest/users/users#get-the-authenticated-user.
func (c *Client) Self(ctx context.Context) (string, error) {
	c.selfMu.Lock()
	defer c.selfMu.Unlock()
	if c.self != "" {
		return c.self, nil
	}
	if c.app != nil {
		var app *github.App
		err := c.call(ctx, func() (resp *github.Response, err error) {
			app, resp, err = c.app.Apps.Get(ctx, "")
			return resp, err
		})
		if err != nil {
			return "", fmt.Errorf("getting the github app: %w", err)
		}
		c.self = app.GetSlug() + "[bot]"
		return c.self, nil
	}
	var u *github.User
	err := c.call(ctx, func() (resp *github.Response, err error) {
		u, resp, err = c.gh.Users.Get(ctx, "")
		return resp, err
	})
	if err != nil && c.integration != "" && StatusCode(err) == http.StatusForbidden {
		c.self = c.integration
		return c.self, nil
	}
	if err != nil {
		return "", fmt.Errorf("getting the user the github token acts as: %w", err)
	}
	c.self = u.GetLogin()
	return c.self, nil
}

// appClient is a client authenticated as the GitHub App itself (its JWT),
// for GET /app.
func appClient(rt http.RoundTripper, appID int64, key []byte, base string) (*github.Client, error) {
	atr, err := ghinstallation.NewAppsTransport(rt, appID, key)
	if err != nil {
		return nil, fmt.Errorf("creating github app %d transport: %w", appID, err)
	}
	atr.BaseURL = strings.TrimSuffix(base, "/")
	g := github.NewClient(&http.Client{Transport: atr})
	return g, nil
}
