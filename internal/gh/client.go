// Package gh is appreg's adapter to the GitHub REST API: pull request comments,
// commit statuses, reviews, team membership checks and GitHub Actions secrets.
//
// It is the only package that imports go-github. Callers get a concrete
// *Client with small methods and plain result types, and declare their own
// narrow interfaces over the methods they use. Repositories are named
// "owner/name" throughout.
//
// Every method takes ctx first, waits and retries (a bounded number of times)
// when GitHub reports a primary or secondary rate limit, and returns errors
// that name the request ("creating comment on contoso/payments#12: …"). Secret
// values never appear in an error.
package gh

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v62/github"
)

// DefaultBaseURL is the REST API root of github.com, used when Options.BaseURL
// is empty.
const DefaultBaseURL = "https://api.github.com/"

// perPage is the page size for every list call: GitHub's maximum.
const perPage = 100

// Options configures a Client.
type Options struct {
	// BaseURL is the REST API root, as found in GITHUB_API_URL: empty for
	// github.com, "https://HOST/api/v3" for GitHub Enterprise Server, or the
	// URL of a ghtest server.
	BaseURL string
	// Token authenticates requests as "Authorization: Bearer <token>". Empty
	// means unauthenticated. NewInstallation ignores it.
	Token string
	// HTTPClient sends the requests; nil means http.DefaultClient's transport.
	HTTPClient *http.Client
	// MaxRetryWait bounds how long a single rate-limit wait may be. When
	// GitHub asks for a longer wait, the call fails at once instead. Zero
	// means one minute.
	MaxRetryWait time.Duration
	// Timeout bounds every request, the archive download included, from
	// dialling to the end of the body; zero means DefaultTimeout. A
	// GitHub that stops answering fails the call instead of holding a
	// worker of appreg serve forever.
	Timeout time.Duration
}

// DefaultTimeout bounds a GitHub request when Options.Timeout is zero.
const DefaultTimeout = 2 * time.Minute

// httpClient returns a copy of o.HTTPClient (or a new client) with
// transport rt when given, and a timeout.
func (o Options) httpClient(rt http.RoundTripper) *http.Client {
	hc := &http.Client{}
	if o.HTTPClient != nil {
		*hc = *o.HTTPClient
	}
	if rt != nil {
		hc.Transport = rt
	}
	switch {
	case o.Timeout > 0:
		hc.Timeout = o.Timeout
	case hc.Timeout == 0:
		hc.Timeout = DefaultTimeout
	}
	return hc
}

// Client calls the GitHub REST API. It is safe for concurrent use.
type Client struct {
	gh *github.Client
	// app is authenticated as the GitHub App (installation clients only);
	// self is the login the client acts as, once known.
	app          *github.Client
	selfMu       sync.Mutex
	self         string
	integration  string // the login of an integration token that may not ask
	maxRetryWait time.Duration
	maxRetries   int
	// token returns the token requests carry; nil for an unauthenticated
	// client.
	token func(ctx context.Context) (string, error)
}

// New returns a Client that authenticates with o.Token.
func New(o Options) (*Client, error) {
	g := github.NewClient(o.httpClient(nil))
	if o.Token != "" {
		g = g.WithAuthToken(o.Token)
	}
	c, err := newClient(g, o)
	if err != nil {
		return nil, err
	}
	if o.Token != "" {
		c.token = func(context.Context) (string, error) { return o.Token, nil }
	}
	return c, nil
}

// Token returns the token the client authenticates with: for an
// installation client, a current installation token (fetched or refreshed
// as needed), which other clients (such as the Action's) can use for the
// same installation until it expires, within the hour.
func (c *Client) Token(ctx context.Context) (string, error) {
	if c.token == nil {
		return "", errors.New("the github client has no token")
	}
	return c.token(ctx)
}

// NewInstallation returns a Client that authenticates as installation
// installationID of the GitHub App appID, signing app JWTs with privateKeyPEM
// and exchanging them for installation tokens through
// POST {BaseURL}/app/installations/{id}/access_tokens. Tokens are refreshed
// before they expire. o.Token is ignored.
//
// See https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app.
func NewInstallation(o Options, appID, installationID int64, privateKeyPEM []byte) (*Client, error) {
	base, err := baseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	rt := http.DefaultTransport
	if o.HTTPClient != nil && o.HTTPClient.Transport != nil {
		rt = o.HTTPClient.Transport
	}
	itr, err := ghinstallation.New(rt, appID, installationID, privateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("creating github app %d installation %d transport: %w", appID, installationID, err)
	}
	itr.BaseURL = strings.TrimSuffix(base.String(), "/")
	c, err := newClient(github.NewClient(o.httpClient(itr)), o)
	if err != nil {
		return nil, err
	}
	if c.app, err = appClient(rt, appID, privateKeyPEM, base.String()); err != nil {
		return nil, err
	}
	c.app.BaseURL = base
	c.token = func(ctx context.Context) (string, error) {
		tok, err := itr.Token(ctx)
		if err != nil {
			return "", fmt.Errorf("getting an installation token for github app %d installation %d: %w", appID, installationID, err)
		}
		return tok, nil
	}
	return c, nil
}

func newClient(g *github.Client, o Options) (*Client, error) {
	base, err := baseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	g.BaseURL = base
	wait := o.MaxRetryWait
	if wait <= 0 {
		wait = time.Minute
	}
	return &Client{gh: g, maxRetryWait: wait, maxRetries: 3}, nil
}

// baseURL parses s (GITHUB_API_URL) into the form go-github needs: absolute,
// with a trailing slash.
func baseURL(s string) (*url.URL, error) {
	if s == "" {
		s = DefaultBaseURL
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("parsing github api url %q: %w", s, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("parsing github api url %q: want an absolute http(s) url", s)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

// splitRepo splits "owner/name".
func splitRepo(repo string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("repository %q is not of the form owner/name", repo)
	}
	return owner, name, nil
}

// call runs f, waiting and retrying when GitHub answers with a rate limit, at
// most c.maxRetries times and never longer per wait than c.maxRetryWait. It
// returns f's last error converted by apiError.
func (c *Client) call(ctx context.Context, f func() (*github.Response, error)) error {
	for attempt := 0; ; attempt++ {
		_, err := f()
		if err == nil {
			return nil
		}
		wait, limited := rateLimitWait(err)
		if !limited || attempt >= c.maxRetries || wait > c.maxRetryWait {
			return apiError(err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("waiting %s for the github rate limit: %w", wait.Round(time.Second), ctx.Err())
		case <-t.C:
		}
	}
}

// rateLimitWait reports whether err is a rate limit and how long to wait
// before retrying.
func rateLimitWait(err error) (time.Duration, bool) {
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		wait := time.Until(rl.Rate.Reset.Time)
		if wait > 0 {
			wait += time.Second // the reset time has whole-second resolution
		}
		return max(wait, 0), true
	}
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		if abuse.RetryAfter != nil {
			return max(*abuse.RetryAfter, 0), true
		}
		// GitHub: "wait for at least one minute before retrying".
		return time.Minute, true
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusTooManyRequests {
		if s := er.Response.Header.Get("Retry-After"); s != "" {
			var secs int
			if _, perr := fmt.Sscan(s, &secs); perr == nil {
				return time.Duration(max(secs, 0)) * time.Second, true
			}
		}
		return time.Minute, true
	}
	return 0, false
}
