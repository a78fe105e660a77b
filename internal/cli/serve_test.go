package cli

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/appreg/appreg/internal/emulator"
	"github.com/appreg/appreg/internal/gh/ghtest"
	"github.com/appreg/appreg/internal/spec"
	"github.com/appreg/appreg/internal/store/redistest"
	"github.com/appreg/appreg/internal/webhook"
	"github.com/appreg/appreg/internal/workflow"
)

const (
	serveRepo   = "contoso/app-registrations"
	serveHead   = "ec26c3e57ca3a959ca5aad62de7213c562f8c821" // pull_request.opened.json
	serveMerge  = "a21683865c088b5fe1906cf6552d15a285a4986d" // push.json
	serveSecret = "webhook-secret"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// repoTree reads the repository's own appreg.yaml and registrations/, as
// the fake GitHub serves them at a commit.
func repoTree(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	b, err := os.ReadFile("../../appreg.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files["appreg.yaml"] = b
	regs, err := filepath.Glob("../../registrations/*.yaml")
	if err != nil || len(regs) == 0 {
		t.Fatalf("no registrations: %v", err)
	}
	for _, r := range regs {
		b, err := os.ReadFile(r)
		if err != nil {
			t.Fatal(err)
		}
		files["registrations/"+filepath.Base(r)] = b
	}
	return files
}

// withInstallation adds the App installation a GitHub App's deliveries
// carry to a repository webhook's payload.
func withInstallation(body []byte) []byte {
	if bytes.Contains(body, []byte(`"installation"`)) {
		return body
	}
	return bytes.Replace(body, []byte("{"), []byte(`{"installation": {"id": 1},`), 1)
}

type serveEnv struct {
	t      *testing.T
	whs    *webhook.Server
	emu    *emulator.Server
	github *ghtest.Server
	url    string
	logs   *syncBuffer
}

// startTenant starts the emulator with the users the repository's
// registrations name as owners.
func startTenant(t *testing.T) *emulator.Server {
	t.Helper()
	emu, err := emulator.Start(emulator.Options{
		TenantID: "8d3d5a53-6c2c-4a6c-9b0e-4f5a2b1c9d7e",
		Users:    []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com"},
		Groups:   []string{"Data Science", "Power BI automation"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	return emu
}

// operatorCredential signs in to tenant as the emulator's operator.
func operatorCredential(emu *emulator.Server, tenant string) (azcore.TokenCredential, error) {
	op := emu.Operator()
	return azidentity.NewClientSecretCredential(tenant, op.ClientID, op.ClientSecret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: emu.AuthorityHost()}, Transport: emu.Client()},
		DisableInstanceDiscovery: true,
	})
}

func newServeEnv(t *testing.T, tenant string, sync bool, opts ...func(*serveConfig)) *serveEnv {
	t.Helper()
	emu := startTenant(t)
	github := ghtest.New()
	t.Cleanup(github.Close)
	pem := github.AddAppKey(42)
	github.AddRepo("contoso/jupyterhub-deploy") // jupyterhub delivers its secret there
	github.SetTree(serveRepo, serveHead, repoTree(t))
	github.SetTree(serveRepo, serveMerge, repoTree(t))
	github.AddPullRequest(serveRepo, ghtest.PullRequest{Number: 2, HeadSHA: serveHead, Author: "Codertocat"})
	github.SetBranch(serveRepo, "master", serveMerge) // the push of the merge is the default branch's head

	op := emu.Operator()
	if tenant == "" {
		tenant = op.TenantID
	}
	cred, err := operatorCredential(emu, tenant)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	env := map[string]string{"APPREG_LAG_BACKOFF": "5ms"}
	c := serveConfig{
		secret: []byte(serveSecret), appID: 42, privateKey: pem, apiURL: github.URL(),
		graphURL: emu.GraphURL(), authorityHost: emu.AuthorityHost(),
		tenantID: tenant, clientID: op.ClientID, clientSecret: op.ClientSecret,
		credential: cred, httpClient: emu.Client(), sync: sync, tempDir: t.TempDir(),
		logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		getenv: func(k string) string { return env[k] },
	}
	for _, o := range opts {
		o(&c)
	}
	whs, err := newWebhookServer(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(whs.Handler())
	t.Cleanup(srv.Close)
	return &serveEnv{t: t, whs: whs, emu: emu, github: github, url: srv.URL, logs: logs}
}

// deliver posts the real payload events/file as event, signed, and returns
// the status.
func (s *serveEnv) deliver(file, event, delivery string) int {
	s.t.Helper()
	body, err := os.ReadFile("../../cmd/appreg/testdata/events/" + file)
	if err != nil {
		s.t.Fatal(err)
	}
	body = withInstallation(body)
	m := hmac.New(sha256.New, []byte(serveSecret))
	m.Write(body)
	req, err := http.NewRequestWithContext(s.t.Context(), http.MethodPost, s.url+"/webhook", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (s *serveEnv) statuses(sha string) map[string]string {
	out := map[string]string{}
	for _, st := range s.github.Statuses(serveRepo, sha) {
		out[st.Context] = st.State + ": " + st.Description // the latest wins
	}
	return out
}

// noSecrets fails if a secret value the tenant issued (or the server's own
// client secret) reached GitHub or the logs.
func (s *serveEnv) noSecrets() {
	s.t.Helper()
	secrets := append(s.emu.IssuedSecrets(), s.emu.Operator().ClientSecret)
	// The installation tokens: only Authorization headers carry them.
	if strings.Contains(s.logs.String(), "ghs_") {
		s.t.Error("an installation token is in the server's log")
	}
	for _, v := range secrets {
		if v == "" {
			continue
		}
		for _, r := range s.github.Requests() {
			if strings.Contains(r.Method+" "+r.Path+"\n"+r.Body, v) {
				s.t.Errorf("a secret value (%.3s…) reached GitHub in %s %s", v, r.Method, r.Path)
			}
		}
		if i := strings.Index(s.logs.String(), v); i >= 0 {
			s.t.Errorf("a secret value (%.3s…) is in the server's log: %s", v, s.logs.String()[max(0, i-300):i])
		}
	}
}

// TestServe runs appreg serve in process against the Entra emulator and the
// fake GitHub, driven by the real webhook payloads: a pull request is
// planned (sticky comment, appreg/plan and appreg/approval statuses), an
// approval from identity-admins lets the push of its merge apply, and no
// secret value reaches GitHub or the log.
func TestServe(t *testing.T) {
	t.Parallel()
	s := newServeEnv(t, "", true)

	if code := s.deliver("pull_request.opened.json", "pull_request", "d-1"); code != http.StatusAccepted {
		t.Fatalf("pull_request answered %d\n%s", code, s.logs)
	}
	comments := s.github.Comments(serveRepo, 2)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "<!-- appreg:plan -->") || comments[0].User != "app-42[bot]" {
		t.Fatalf("comments on #2: %+v\n%s", comments, s.logs)
	}
	if !strings.Contains(comments[0].Body, "contoso-inventory-sync") {
		t.Errorf("the plan comment does not show the registrations:\n%s", comments[0].Body)
	}
	st := s.statuses(serveHead)
	if !strings.HasPrefix(st["appreg/plan"], "success: Plan: 5 to create") {
		t.Errorf("appreg/plan = %q", st["appreg/plan"])
	}
	if !strings.HasPrefix(st["appreg/approval"], "pending: needs 1 more approval from identity-admins") {
		t.Errorf("appreg/approval = %q", st["appreg/approval"])
	}

	// The same delivery again (GitHub's redelivery) is dropped.
	before := len(s.github.Requests())
	if code := s.deliver("pull_request.opened.json", "pull_request", "d-1"); code != http.StatusOK {
		t.Errorf("a duplicate delivery answered %d", code)
	}
	if n := len(s.github.Requests()); n != before {
		t.Errorf("a duplicate delivery made %d GitHub requests", n-before)
	}

	// Pull request #8 (the real pull_request_review payload) is approved
	// by baxterthehacker, who is not in identity-admins: the review event
	// re-evaluates approval, and it is still pending.
	const head8 = "b7a1f9c27caa4e03c14a88feb56e2d4f7500aa63"
	s.github.SetTree(serveRepo, head8, repoTree(t))
	s.github.AddPullRequest(serveRepo, ghtest.PullRequest{Number: 8, HeadSHA: head8, Author: "skalnik"})
	s.github.AddReview(serveRepo, 8, ghtest.Review{User: "baxterthehacker", State: "APPROVED", CommitID: head8})
	if code := s.deliver("pull_request_review.submitted.json", "pull_request_review", "d-2"); code != http.StatusAccepted {
		t.Fatalf("pull_request_review answered %d\n%s", code, s.logs)
	}
	if st := s.statuses(head8); !strings.HasPrefix(st["appreg/approval"], "pending: needs 1 more approval") || st["appreg/plan"] != "" {
		t.Errorf("statuses of #8 after the review: %q", st)
	}

	// A member of identity-admins approves #2's head commit.
	s.github.AddTeamMember("contoso", "identity-admins", "octocat")
	s.github.AddReview(serveRepo, 2, ghtest.Review{User: "octocat", State: "APPROVED", CommitID: serveHead})

	// Merged as a216838: the push applies.
	s.github.AddPullRequest(serveRepo, ghtest.PullRequest{Number: 2, HeadSHA: serveHead, Author: "Codertocat", Merged: true, MergeCommitSHA: serveMerge})
	if code := s.deliver("push.json", "push", "d-3"); code != http.StatusAccepted {
		t.Fatalf("push answered %d\n%s", code, s.logs)
	}
	comments = s.github.Comments(serveRepo, 2)
	last := comments[len(comments)-1].Body
	if !strings.Contains(last, "<!-- appreg:apply -->") || !strings.Contains(last, "Apply: 5 applied, 0 failed") {
		t.Fatalf("the apply comment:\n%s\n%s", last, s.logs)
	}
	if _, ok := s.github.Secret(ghtest.SecretTarget{Repo: "contoso/jupyterhub-deploy", Name: "JUPYTERHUB_CLIENT_SECRET"}); !ok {
		t.Error("jupyterhub's secret was not delivered")
	}
	// The tenant now matches the files.
	g, err := emulatorGraph(s.emu, "contoso/app-registrations")
	if err != nil {
		t.Fatal(err)
	}
	loaded, diags := spec.Load("../../appreg.yaml")
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	p, err := workflow.Plan(t.Context(), g, loaded)
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() {
		t.Errorf("after the apply the plan still has changes: %+v", p.Changes)
	}
	for _, want := range []string{`"delivery":"d-3"`, `"repo":"contoso/app-registrations"`, `"event":"push"`, `"pr":2`} {
		if !strings.Contains(s.logs.String(), want) {
			t.Errorf("the log has no %s", want)
		}
	}
	s.noSecrets()
}

// TestServeOtherTenant: a repository whose appreg.yaml names another
// tenant than the server's is not planned, and the comment says why.
func TestServeOtherTenant(t *testing.T) {
	t.Parallel()
	s := newServeEnv(t, "11111111-2222-3333-4444-555555555555", true)
	s.deliver("pull_request.opened.json", "pull_request", "d-1")
	comments := s.github.Comments(serveRepo, 2)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "appreg.yaml names tenant 8d3d5a53-6c2c-4a6c-9b0e-4f5a2b1c9d7e, but this appreg server signs in to tenant 11111111-2222-3333-4444-555555555555") {
		t.Fatalf("comments: %+v", comments)
	}
	if st := s.statuses(serveHead); !strings.HasPrefix(st["appreg/plan"], "error: ") {
		t.Errorf("appreg/plan = %q", st["appreg/plan"])
	}
}

func TestServeConfigFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	_, err := serveConfigFromEnv(get)
	for _, want := range []string{"APPREG_WEBHOOK_SECRET", "APPREG_APP_ID", "APPREG_APP_PRIVATE_KEY or APPREG_APP_PRIVATE_KEY_FILE", "AZURE_TENANT_ID and AZURE_CLIENT_ID"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("with nothing set: %v; want it to name %s", err, want)
		}
	}
	env["APPREG_APP_ID"] = "abc"
	if _, err := serveConfigFromEnv(get); err == nil || !strings.Contains(err.Error(), `APPREG_APP_ID "abc" is not a GitHub App id`) {
		t.Errorf("a bad app id: %v", err)
	}
	key := filepath.Join(t.TempDir(), "key.pem")
	os.WriteFile(key, []byte("not a key"), 0o600)
	env = map[string]string{"APPREG_WEBHOOK_SECRET": "s", "APPREG_APP_ID": "42", "APPREG_APP_PRIVATE_KEY_FILE": key,
		"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "x"}
	if _, err := serveConfigFromEnv(get); err == nil || !strings.Contains(err.Error(), "the GitHub App private key") {
		t.Errorf("a file that is no key: %v", err)
	}
	github := ghtest.New()
	defer github.Close()
	pem := github.AddAppKey(42)
	os.WriteFile(key, pem, 0o600)
	c, err := serveConfigFromEnv(get)
	if err != nil {
		t.Fatal(err)
	}
	if c.appID != 42 || !bytes.Equal(c.privateKey, pem) || c.credential == nil {
		t.Errorf("config %+v", c)
	}
}

// TestServeShutdown serves on a real listener; cancelling the context (as
// SIGTERM does through cli.Main) stops it cleanly.
func TestServeShutdown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	c := serveConfig{secret: []byte("s"), logger: slog.New(slog.DiscardHandler), shutdownWindow: time.Second, getenv: func(string) string { return "" }}
	done := make(chan error)
	go func() { done <- serve(ctx, c, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz %d", resp.StatusCode)
	}
	resp, err = http.Post("http://"+ln.Addr().String()+"/webhook", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an unsigned delivery answered %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve returned %v after its context ended", err)
	}
}

// TestServeAsync is the server as deployed: the delivery is answered
// before the work, which the shutdown then waits for.
func TestServeAsync(t *testing.T) {
	t.Parallel()
	s := newServeEnv(t, "", false)
	start := time.Now()
	if code := s.deliver("pull_request.opened.json", "pull_request", "d-1"); code != http.StatusAccepted {
		t.Fatalf("pull_request answered %d", code)
	}
	t.Logf("answered in %s", time.Since(start))
	if err := s.whs.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	comments := s.github.Comments(serveRepo, 2)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "<!-- appreg:plan -->") {
		t.Fatalf("comments after the shutdown: %+v\n%s", comments, s.logs)
	}
	if st := s.statuses(serveHead); !strings.HasPrefix(st["appreg/plan"], "success: ") {
		t.Errorf("appreg/plan = %q", st["appreg/plan"])
	}
	s.noSecrets()
}

// TestServeParked: a job failing every attempt is parked and its pull
// request says so, with the last error and how to run it again.
func TestServeParked(t *testing.T) {
	t.Parallel()
	s := newServeEnv(t, "", false, func(c *serveConfig) { c.maxAttempts, c.retryBackoff = 2, time.Millisecond })
	s.github.FailNext(http.MethodGet, "/tarball/", http.StatusNotFound)
	s.github.FailNext(http.MethodGet, "/tarball/", http.StatusNotFound)
	if code := s.deliver("pull_request.opened.json", "pull_request", "d-parked"); code != http.StatusAccepted {
		t.Fatalf("pull_request answered %d", code)
	}
	if err := s.whs.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	comments := s.github.Comments(serveRepo, 2)
	if len(comments) != 1 {
		t.Fatalf("comments: %+v\n%s", comments, s.logs)
	}
	for _, want := range []string{"gave up on this pull\\_request event after 2 attempts", "reading the repository", "d-parked", "redeliver"} {
		if !strings.Contains(comments[0].Body, want) {
			t.Errorf("the parked comment lacks %q:\n%s", want, comments[0].Body)
		}
	}
	s.noSecrets()
}

// TestServeRedisStore runs the server over Redis: a delivery is queued in
// the stream, run, and its pull request commented.
func TestServeRedisStore(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.Password("redis-pw"))
	s := newServeEnv(t, "", false, func(c *serveConfig) {
		c.store = "redis://" + srv.Addr
		getenv := c.getenv
		c.getenv = func(k string) string {
			if k == "APPREG_REDIS_PASSWORD" {
				return "redis-pw"
			}
			return getenv(k)
		}
	})
	if code := s.deliver("pull_request.opened.json", "pull_request", "d-redis"); code != http.StatusAccepted {
		t.Fatalf("pull_request answered %d\n%s", code, s.logs)
	}
	if code := s.deliver("pull_request.opened.json", "pull_request", "d-redis"); code != http.StatusOK {
		t.Errorf("the same delivery again answered %d", code)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(s.github.Comments(serveRepo, 2)) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.whs.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if comments := s.github.Comments(serveRepo, 2); len(comments) != 1 || !strings.Contains(comments[0].Body, "<!-- appreg:plan -->") {
		t.Fatalf("comments: %+v\n%s", comments, s.logs)
	}
	if strings.Contains(s.logs.String(), "redis-pw") {
		t.Error("the Redis password is in the server's log")
	}
}

func TestOpenStore(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.Password("s3cret"))
	tests := []struct{ name, store, wantErr string }{
		{"default", "", ""},
		{"memory", "memory", ""},
		{"redis", "redis://:s3cret@" + srv.Addr + "/0", ""},
		{"wrong password", "redis://:wrong-pw@" + srv.Addr, "opening the store redis://:xxxxx@"},
		{"not a store", "postgres://admin:s3cret@db:5432/appreg", "--store postgres://admin:xxxxx@db:5432/appreg: want memory, or a Redis URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, err := openStore(t.Context(), serveConfig{store: tt.store, logger: slog.New(slog.DiscardHandler)})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				st.Shutdown(t.Context())
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "wrong-pw") {
				t.Errorf("the error shows a password: %v", err)
			}
		})
	}
}

// TestServeInvalidFilesNotRetried: registration files with errors are
// reported once; running again would find the same files.
func TestServeInvalidFilesNotRetried(t *testing.T) {
	t.Parallel()
	s := newServeEnv(t, "", false, func(c *serveConfig) { c.maxAttempts, c.retryBackoff = 3, time.Millisecond })
	files := repoTree(t)
	files["registrations/broken.yaml"] = []byte("apiVersion: appreg/v1\nname: Not A Name!\ndisplayName: Broken\n")
	s.github.SetTree(serveRepo, serveHead, files)
	if code := s.deliver("pull_request.opened.json", "pull_request", "d-invalid"); code != http.StatusAccepted {
		t.Fatalf("pull_request answered %d", code)
	}
	if err := s.whs.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	downloads := 0
	for _, r := range s.github.Requests() {
		if strings.Contains(r.Path, "/tarball/") {
			downloads++
		}
	}
	comments := s.github.Comments(serveRepo, 2)
	if downloads != 1 || len(comments) != 1 || strings.Contains(comments[0].Body, "gave up") || !strings.Contains(comments[0].Body, "broken.yaml") {
		t.Errorf("%d downloads, comments %+v; want one run reporting broken.yaml", downloads, comments)
	}
}
