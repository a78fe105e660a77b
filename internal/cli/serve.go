package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/gh"
	"github.com/appreg/appreg/internal/graph"
	"github.com/appreg/appreg/internal/render"
	"github.com/appreg/appreg/internal/spec"
	"github.com/appreg/appreg/internal/store"
	"github.com/appreg/appreg/internal/webhook"
	"github.com/appreg/appreg/internal/workflow"
)

// serveConfig is what appreg serve runs with; runServe builds it from flags
// and environment, tests directly.
type serveConfig struct {
	secret         []byte
	appID          int64
	privateKey     []byte // PEM
	apiURL         string // GITHUB_API_URL
	graphURL       string
	authorityHost  string
	tenantID       string // the tenant the server signs in to
	clientID       string
	clientSecret   string // only to redact it from what runs write
	credential     azcore.TokenCredential
	httpClient     *http.Client // Graph and token requests (nil: default)
	sync           bool
	maxConcurrent  int
	jobTimeout     time.Duration
	logger         *slog.Logger
	getenv         func(string) string
	tempDir        string
	githubHTTP     *http.Client // GitHub requests (nil: default)
	shutdownWindow time.Duration
	// org is the organisation policy (APPREG_ORG_POLICY; nil: none).
	org *appreg.OrgPolicy
	// store is "memory" (or empty) or a Redis URL; lease, maxAttempts and
	// retryBackoff tune it.
	store        string
	lease        time.Duration
	maxAttempts  int
	retryBackoff time.Duration
}

// newWebhookServer wires the webhook server: deliveries verified with the
// secret and queued in the store, jobs run by package workflow with the
// installation's client and the server's Entra identity, Graph and GitHub
// requests counted in the metrics.
func newWebhookServer(ctx context.Context, c serveConfig) (*webhook.Server, error) {
	st, err := openStore(ctx, c)
	if err != nil {
		return nil, err
	}
	metrics := webhook.NewMetrics(st.Depth)
	c.httpClient = instrument(c.httpClient, metrics, "graph")
	c.githubHTTP = instrument(c.githubHTTP, metrics, "github")
	inst := &installations{c: c, clients: map[int64]*gh.Client{}}
	runner := &webhook.WorkflowRunner{
		Checkout: inst.checkout,
		TempDir:  c.tempDir,
		Metrics:  metrics,
		Logger:   c.logger,
		Deps: func(_ context.Context, j webhook.Job, workspace string) (workflow.Deps, error) {
			// The installation's own client, which refreshes its token
			// however long the run takes.
			client, err := inst.client(j.InstallationID)
			if err != nil {
				return workflow.Deps{}, err
			}
			gc, err := githubWiring{apiURL: c.apiURL, client: client}.clients()
			if err != nil {
				return workflow.Deps{}, err
			}
			d := graphWiring{
				credential: func() (azcore.TokenCredential, error) {
					if err := c.checkTenant(workspace, "appreg.yaml"); err != nil {
						return nil, err
					}
					return c.credential, nil
				},
				graphURL: c.graphURL, authorityHost: c.authorityHost, tenantID: c.tenantID, repository: j.Repo,
				httpClient: c.httpClient, getenv: c.getenv, logger: c.logger,
				check: func(ctx context.Context, g *graph.Client) error {
					s, diags := spec.LoadSettings(filepath.Join(workspace, "appreg.yaml"))
					want := s.TenantID
					if diags.HasErrors() {
						want = ""
					}
					return checkTenant(ctx, g, "appreg.yaml", want, c.getenv)
				},
			}.deps(gc)
			d.Redact = redactor(c.clientSecret)
			d.Org = c.org
			return d, nil
		},
	}
	return webhook.New(webhook.Options{
		Verify:     func(r *http.Request) (string, string, []byte, error) { return gh.VerifyWebhook(r, c.secret) },
		Run:        runner.Run,
		Parked:     inst.parked,
		Store:      st,
		Sync:       c.sync,
		Metrics:    metrics,
		JobTimeout: c.jobTimeout,
		Logger:     c.logger,
	}), nil
}

// openStore opens the queue c.store names: the memory store, or Redis.
func openStore(ctx context.Context, c serveConfig) (webhook.Store, error) {
	o := store.Options{MaxConcurrent: c.maxConcurrent, MaxAttempts: c.maxAttempts, Backoff: c.retryBackoff, Logger: c.logger}
	switch {
	case c.store == "" || c.store == "memory":
		return store.NewMemory(store.MemoryOptions{Options: o, Sync: c.sync}), nil
	case strings.HasPrefix(c.store, "redis://") || strings.HasPrefix(c.store, "rediss://"):
		var password string
		if c.getenv != nil {
			password = c.getenv("APPREG_REDIS_PASSWORD")
		}
		r, err := store.NewRedis(ctx, store.RedisOptions{Options: o, URL: c.store, Password: password, Lease: c.lease})
		if err != nil {
			return nil, fmt.Errorf("opening the store %s: %w", redactedURL(c.store), err)
		}
		return r, nil
	}
	return nil, fmt.Errorf("--store %s: want memory, or a Redis URL (redis://host:6379/0, rediss:// for TLS)", redactedURL(c.store))
}

// redactedURL shows a store URL without its password.
func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(not a URL)"
	}
	return u.Redacted()
}

// instrument returns a copy of hc (nil: the default client) whose requests
// the metrics count as api's.
func instrument(hc *http.Client, m *webhook.Metrics, api string) *http.Client {
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	c.Transport = m.Transport(api, c.Transport)
	return c
}

// redactor replaces the values in text with ***.
func redactor(values ...string) func(string) string {
	return func(s string) string {
		for _, v := range values {
			if v != "" {
				s = strings.ReplaceAll(s, v, "***")
			}
		}
		return s
	}
}

// checkTenant refuses a repository whose settings file (config, in
// workspace) names another tenant than the one the server signs in to:
// one server (one Entra identity) manages one tenant.
func (c serveConfig) checkTenant(workspace, config string) error {
	s, _ := spec.LoadSettings(filepath.Join(workspace, config))
	if s.TenantID == "" || strings.EqualFold(s.TenantID, c.tenantID) {
		return nil
	}
	return fmt.Errorf("%s names tenant %s, but this appreg server signs in to tenant %s (its AZURE_TENANT_ID): "+
		"an appreg server manages one tenant; install a GitHub App served by an appreg server of tenant %s on this repository instead",
		config, s.TenantID, c.tenantID, s.TenantID)
}

// installations keeps one GitHub client per App installation (each caches
// and refreshes its installation token).
type installations struct {
	c       serveConfig
	mu      sync.Mutex
	clients map[int64]*gh.Client
}

func (i *installations) client(id int64) (*gh.Client, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if c, ok := i.clients[id]; ok {
		return c, nil
	}
	c, err := gh.NewInstallation(gh.Options{BaseURL: i.c.apiURL, HTTPClient: i.c.githubHTTP}, i.c.appID, id, i.c.privateKey)
	if err != nil {
		return nil, err
	}
	i.clients[id] = c
	return c, nil
}

// parked tells the pull request of a job that appreg serve gave up on it:
// the job's own, or for a push the merged pull request of its commit.
func (i *installations) parked(ctx context.Context, j webhook.Job, attempts int, err error) {
	log := i.c.logger.With("repo", j.Repo, "delivery", j.Delivery)
	c, cerr := i.client(j.InstallationID)
	if cerr != nil {
		log.Error("telling the pull request a job was parked", "error", cerr)
		return
	}
	number := j.PR
	if number == 0 {
		prs, perr := c.PullRequestsForCommit(ctx, j.Repo, j.SHA)
		if perr != nil || len(prs) == 0 {
			log.Warn("a parked push has no pull request to tell", "sha", j.SHA, "error", perr)
			return
		}
		number = prs[0].Number
	}
	body := render.ParkedMarkdown(render.MessageTitle("appreg", j.Repo, j.SHA), j.Event.Name, j.Delivery, attempts,
		redactor(i.c.clientSecret)(err.Error()))
	if _, cerr := c.CreateComment(ctx, j.Repo, number, body); cerr != nil {
		log.Error("telling the pull request a job was parked", "pr", number, "error", cerr)
	}
}

// checkout downloads repo at sha into dir.
func (i *installations) checkout(ctx context.Context, id int64, repo, sha, dir string) error {
	c, err := i.client(id)
	if err != nil {
		return err
	}
	return c.DownloadTree(ctx, repo, sha, dir)
}

// runServe is appreg serve: the GitHub App webhook server.
func runServe(ctx context.Context, e *factory, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var listen, graphURL string
	var verbose bool
	var maxConcurrent int
	var shutdown, jobTimeout time.Duration
	fs.StringVar(&listen, "listen", envOr(e.getenv, "APPREG_LISTEN", ":8080"), "address to serve webhooks (POST /webhook or /) and GET /healthz on (env APPREG_LISTEN)")
	fs.StringVar(&graphURL, "graph-url", e.getenv("APPREG_GRAPH_URL"), "Microsoft Graph v1.0 base URL (env APPREG_GRAPH_URL; default https://graph.microsoft.com/v1.0)")
	fs.IntVar(&maxConcurrent, "max-concurrent", 4, "repositories worked on at once (each repository's events run one at a time, in order)")
	fs.DurationVar(&shutdown, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long running jobs may take to finish before they are cancelled")
	fs.DurationVar(&jobTimeout, "job-timeout", 15*time.Minute, "the deadline of one delivery's run (download, plan, apply); /healthz reports a run still going at twice this")
	fs.BoolVar(&verbose, "v", false, "log at debug level (includes the Action's log of each run)")
	var st storeFlags
	st.register(fs, e.getenv)
	if err := parse(fs, e, args); err != nil {
		return err
	}
	c, err := serveConfigFromEnv(e.getenv)
	if err != nil {
		return err
	}
	c.graphURL, c.maxConcurrent, c.shutdownWindow, c.jobTimeout = graphURL, maxConcurrent, shutdown, jobTimeout
	c.store, c.lease, c.maxAttempts, c.retryBackoff = st.url, st.lease, st.maxAttempts, st.retryBackoff
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	c.logger = slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	return serve(ctx, c, ln)
}

// serve serves on ln until ctx is cancelled (SIGINT, SIGTERM), then stops
// accepting deliveries and gives running jobs c.shutdownWindow to finish.
func serve(ctx context.Context, c serveConfig, ln net.Listener) error {
	whs, err := newWebhookServer(ctx, c)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: whs.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	c.logger.Info("appreg serve listening", "addr", ln.Addr().String(), "app_id", c.appID, "tenant", c.tenantID, "store", storeName(c.store))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	c.logger.Info("appreg serve shutting down", "timeout", c.shutdownWindow.String())
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownWindow)
	defer cancel()
	herr := srv.Shutdown(sctx) // no new connections; answers in flight finish
	jerr := whs.Shutdown(sctx)
	if err := errors.Join(herr, jerr); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	c.logger.Info("appreg serve stopped")
	return nil
}

// serveConfigFromEnv reads the GitHub App and the Entra identity from the
// environment.
func serveConfigFromEnv(getenv func(string) string) (serveConfig, error) {
	c := serveConfig{
		secret:        []byte(getenv("APPREG_WEBHOOK_SECRET")),
		apiURL:        getenv("GITHUB_API_URL"),
		authorityHost: getenv("AZURE_AUTHORITY_HOST"),
		tenantID:      getenv("AZURE_TENANT_ID"),
		clientID:      getenv("AZURE_CLIENT_ID"),
		clientSecret:  getenv("AZURE_CLIENT_SECRET"),
		getenv:        getenv,
	}
	var missing []string
	if len(c.secret) == 0 {
		missing = append(missing, "APPREG_WEBHOOK_SECRET (the GitHub App's webhook secret)")
	}
	if id := getenv("APPREG_APP_ID"); id == "" {
		missing = append(missing, "APPREG_APP_ID (the GitHub App's id)")
	} else if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
		return c, fmt.Errorf("APPREG_APP_ID %q is not a GitHub App id (a positive number)", id)
	} else {
		c.appID = n
	}
	switch key, file := getenv("APPREG_APP_PRIVATE_KEY"), getenv("APPREG_APP_PRIVATE_KEY_FILE"); {
	case key != "":
		c.privateKey = []byte(key)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return c, fmt.Errorf("reading APPREG_APP_PRIVATE_KEY_FILE: %w", err)
		}
		c.privateKey = b
	default:
		missing = append(missing, "APPREG_APP_PRIVATE_KEY or APPREG_APP_PRIVATE_KEY_FILE (the GitHub App's private key, PEM)")
	}
	if c.tenantID == "" || c.clientID == "" {
		missing = append(missing, "AZURE_TENANT_ID and AZURE_CLIENT_ID (the server's Entra identity, with AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE)")
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("appreg serve needs %s", strings.Join(missing, "; "))
	}
	// Parse the key now rather than at the first delivery.
	if _, err := gh.NewInstallation(gh.Options{BaseURL: c.apiURL}, c.appID, 1, c.privateKey); err != nil {
		return c, fmt.Errorf("the GitHub App private key (APPREG_APP_PRIVATE_KEY or APPREG_APP_PRIVATE_KEY_FILE): %w", err)
	}
	if path := getenv("APPREG_ORG_POLICY"); path != "" {
		org, err := spec.LoadOrgPolicy(path)
		if err != nil {
			return c, fmt.Errorf("APPREG_ORG_POLICY: %w", err)
		}
		c.org = org
	}
	cred, err := credential(getenv)
	if err != nil {
		return c, err
	}
	c.credential = cred
	return c, nil
}

func envOr(getenv func(string) string, k, def string) string {
	if v := getenv(k); v != "" {
		return v
	}
	return def
}

// storeFlags are appreg serve's queue settings.
type storeFlags struct {
	url                 string
	lease, retryBackoff time.Duration
	maxAttempts         int
}

func (s *storeFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&s.url, "store", envOr(getenv, "APPREG_STORE", "memory"),
		"where jobs are queued (env APPREG_STORE): memory (one replica), or a Redis URL redis://[:password@]host:6379/0 "+
			"or rediss:// for several replicas; the password may come from APPREG_REDIS_PASSWORD")
	fs.DurationVar(&s.lease, "lease", 30*time.Second, "Redis store: how long a repository's lease lasts unrenewed; a stopped replica's jobs are taken over after it")
	fs.IntVar(&s.maxAttempts, "max-attempts", 3, "runs of a failing job before it is parked and its pull request told")
	fs.DurationVar(&s.retryBackoff, "retry-backoff", 5*time.Second, "the wait before a failed job's first retry; it doubles for each next one")
}

// storeName is the store for the log: memory, or the Redis URL without its
// password.
func storeName(s string) string {
	if s == "" || s == "memory" {
		return "memory"
	}
	return redactedURL(s)
}
