package cli

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/appreg/appreg/internal/emulator"
	"github.com/appreg/appreg/internal/gh"
	"github.com/appreg/appreg/internal/gh/ghtest"
	"github.com/appreg/appreg/internal/graph"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/render"
	"github.com/appreg/appreg/internal/rotate"
	"github.com/appreg/appreg/internal/spec"
	"github.com/appreg/appreg/internal/workflow"
)

const rotationFiles = `apiVersion: appreg/v1
tenantId: ` + emulator.DefaultTenantID + `
namePrefix: contoso-
`

const daemonFile = `apiVersion: appreg/v1
name: daemon
displayName: Nightly daemon
permissions:
  - api: microsoft-graph
    application: [User.Read.All]
    adminConsent: true
credentials:
  secrets:
    - name: ci
      lifetime: 90d
      rotateBefore: 30d
      overlap: 7d
      deliver:
        - github: {repo: contoso/daemon, secret: AZURE_CLIENT_SECRET}
        - github: {repo: contoso/daemon, environment: production, secret: AZURE_CLIENT_SECRET}
        - githubOrg: {org: contoso, secret: DAEMON_SECRET, visibility: selected, repos: [daemon]}
`

var daemonTargets = []ghtest.SecretTarget{
	{Repo: "contoso/daemon", Name: "AZURE_CLIENT_SECRET"},
	{Repo: "contoso/daemon", Environment: "production", Name: "AZURE_CLIENT_SECRET"},
	{Org: "contoso", Name: "DAEMON_SECRET"},
}

// rotation is a tenant, a GitHub and the real clients between them, with a
// clock the test moves.
type rotation struct {
	t        *testing.T
	srv      *emulator.Server
	github   *ghtest.Server
	graph    *graph.Client
	loaded   *spec.Result
	clock    time.Time // read through now, set through setClock
	now      func() time.Time
	setClock func(time.Time)
	logs     bytes.Buffer
	output   bytes.Buffer // everything rendered, to scan for leaks
}

func newRotation(t *testing.T) *rotation {
	t.Helper()
	r := &rotation{t: t, clock: time.Now()}
	// The tenant, GitHub and appreg share one clock that the test moves.
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return r.clock }
	r.setClock = func(c time.Time) { mu.Lock(); defer mu.Unlock(); r.clock = c }
	srv, err := emulator.Start(emulator.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	github := ghtest.New(ghtest.WithClock(now))
	t.Cleanup(github.Close)
	github.AddToken("secrets-token")
	github.AddRepo("contoso/daemon")
	g, err := emulatorGraph(srv, "contoso/daemon-apps")
	if err != nil {
		t.Fatal(err)
	}
	loaded, diags := spec.LoadFS(fstest.MapFS{
		"appreg.yaml":               {Data: []byte(rotationFiles)},
		"registrations/daemon.yaml": {Data: []byte(daemonFile)},
	}, "appreg.yaml")
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	r.srv, r.github, r.graph, r.loaded, r.now = srv, github, g, loaded, now
	return r
}

func (r *rotation) rotator() *rotate.Rotator {
	client, err := gh.New(gh.Options{BaseURL: r.github.URL(), Token: "secrets-token"})
	if err != nil {
		r.t.Fatal(err)
	}
	return &rotate.Rotator{
		Passwords: r.graph,
		Verifier:  &graph.Verifier{AuthorityHost: r.srv.AuthorityHost(), TenantID: r.srv.TenantID(), Transport: r.srv.Client(), Backoff: time.Millisecond},
		Deliverer: deliverer{client},
		Now:       r.now,
	}
}

func (r *rotation) apply() *plan.Result {
	r.t.Helper()
	_, res, err := workflow.Apply(r.t.Context(), r.graph, r.loaded, workflow.ApplyOptions{Rotator: r.rotator(), Logger: slog.New(slog.NewTextHandler(&r.logs, nil))})
	if err != nil {
		r.t.Fatal(err)
	}
	render.ResultText(&r.output, res, render.Options{})
	render.ResultJSON(&r.output, res)
	r.output.WriteString(strings.Join(render.ResultMarkdown(res, render.Options{}), "\n"))
	return res
}

func (r *rotation) rotate(now string) *workflow.Rotation {
	r.t.Helper()
	// A fresh client: tokens from before the clock moved have expired in the
	// tenant's time.
	g, err := emulatorGraph(r.srv, "contoso/daemon-apps")
	if err != nil {
		r.t.Fatal(err)
	}
	r.graph = g
	rot, err := workflow.Rotate(r.t.Context(), r.graph, r.loaded, workflow.RotateOptions{Rotator: r.rotator(), Now: now, Clock: r.now})
	if err != nil {
		r.t.Fatal(err)
	}
	for _, f := range []string{"text", "json", "markdown"} {
		if err := writeRotation(&r.output, f, rot, false); err != nil {
			r.t.Fatal(err)
		}
	}
	return rot
}

// delivered returns the value every target holds, failing unless they agree.
func (r *rotation) delivered() string {
	r.t.Helper()
	var value string
	for i, tg := range daemonTargets {
		v, ok := r.github.Secret(tg)
		if !ok {
			r.t.Fatalf("nothing delivered to %+v", tg)
		}
		if i > 0 && v != value {
			r.t.Fatalf("targets hold different values")
		}
		value = v
	}
	return value
}

// authenticates reports whether value obtains a token for the daemon app.
func (r *rotation) authenticates(value string) bool {
	app, _ := r.srv.Application("contoso-daemon")
	cred, err := azidentity.NewClientSecretCredential(r.srv.TenantID(), app["appId"].(string), value, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: r.srv.AuthorityHost()}, Transport: r.srv.Client()},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	return err == nil
}

// passwords counts the daemon's password credentials.
func (r *rotation) passwords() int {
	app, _ := r.srv.Application("contoso-daemon")
	return len(app["passwordCredentials"].([]any))
}

// age moves the shared clock forward.
func (r *rotation) age(d time.Duration) { r.setClock(r.now().Add(d)) }

// noLeaks fails if any secret value the tenant ever issued appears in what
// appreg printed, logged, or sent to GitHub in the clear.
func (r *rotation) noLeaks() {
	r.t.Helper()
	var sent strings.Builder
	for _, req := range r.github.Requests() {
		sent.WriteString(req.Path + " " + req.Body + "\n")
	}
	for _, v := range r.srv.IssuedSecrets() {
		for name, text := range map[string]string{"output": r.output.String(), "logs": r.logs.String(), "requests to GitHub": sent.String()} {
			if strings.Contains(text, v) {
				r.t.Errorf("an issued secret value appears in the %s", name)
			}
		}
	}
}

func TestSecretLifecycle(t *testing.T) {
	t.Parallel()
	r := newRotation(t)

	// The first apply creates the secret and delivers it everywhere: the
	// value GitHub decrypts is the one Graph issued, and it works.
	res := r.apply()
	if res.Failed() || len(res.Secrets) != 1 || res.Secrets[0].NewKeyID == "" {
		t.Fatalf("apply: %+v", res)
	}
	first := r.delivered()
	issued := r.srv.IssuedSecrets()
	if first != issued[len(issued)-1] {
		t.Fatal("the delivered value is not the secretText Graph issued")
	}
	if !r.authenticates(first) {
		t.Fatal("the delivered value does not authenticate")
	}
	if len(res.Secrets[0].Notes) != 0 {
		t.Errorf("consent is granted, yet: %v", res.Secrets[0].Notes)
	}

	// Nothing due: nothing changes.
	r.age(24 * time.Hour)
	writes := len(r.github.Requests())
	rot := r.rotate("")
	if rot.Failed() || rot.Outcomes[0].Action != rotate.Keep || rot.Outcomes[0].NewKeyID != "" || len(rot.Outcomes[0].Removed) != 0 {
		t.Fatalf("nothing due: %+v", rot.Outcomes)
	}
	for _, req := range r.github.Requests()[writes:] {
		if req.Method != "GET" {
			t.Errorf("a run with nothing due sent %s %s", req.Method, req.Path)
		}
	}

	// Due: a new secret is delivered; the old one keeps working during the
	// overlap.
	r.age(60 * 24 * time.Hour)
	rot = r.rotate("")
	if rot.Failed() || rot.Outcomes[0].Action != rotate.Rotate || !rot.Outcomes[0].Verified || len(rot.Outcomes[0].Delivered) != 3 {
		t.Fatalf("due: %+v", rot.Outcomes)
	}
	second := r.delivered()
	if second == first || !r.authenticates(second) || !r.authenticates(first) || r.passwords() != 2 {
		t.Fatal("after rotation both the new and the old secret must work")
	}

	// After the overlap the old one is removed.
	r.age(8 * 24 * time.Hour)
	rot = r.rotate("")
	if rot.Failed() || len(rot.Outcomes[0].Removed) != 1 {
		t.Fatalf("after overlap: %+v", rot.Outcomes)
	}
	if r.authenticates(first) || !r.authenticates(second) || r.passwords() != 1 {
		t.Fatal("after the overlap only the new secret may work")
	}

	// A delivery failure leaves the old secret in place and names the target.
	r.github.FailNext("PUT", "/environments/production/secrets/", 403)
	rot = r.rotate("daemon/ci")
	if !rot.Failed() || !strings.Contains(rot.Outcomes[0].Error, "contoso/daemon environment production secret AZURE_CLIENT_SECRET") {
		t.Fatalf("delivery failure: %+v", rot.Outcomes)
	}
	if !r.authenticates(second) {
		t.Fatal("the old secret must survive a failed delivery, even when forced")
	}
	// That run stopped between create and (complete) delivery: the next
	// run repairs it without leaving a third credential.
	if r.passwords() != 2 {
		t.Fatalf("%d credentials after the failed delivery, want 2", r.passwords())
	}
	rot = r.rotate("")
	if rot.Failed() || !strings.Contains(rot.Outcomes[0].Reason, "never reached") {
		t.Fatalf("repair: %+v", rot.Outcomes)
	}
	third := r.delivered()
	if !r.authenticates(third) || !r.authenticates(second) || r.passwords() != 2 {
		t.Fatalf("after the repair: new works %v, previous works %v, %d credentials (want 2)", r.authenticates(third), r.authenticates(second), r.passwords())
	}

	// --now rotates and revokes every older credential at once.
	rot = r.rotate("daemon/ci")
	if rot.Failed() {
		t.Fatalf("--now: %+v", rot.Outcomes)
	}
	fourth := r.delivered()
	if r.authenticates(third) || r.authenticates(second) || !r.authenticates(fourth) || r.passwords() != 1 {
		t.Fatal("--now must leave only the new secret")
	}
	r.noLeaks()
}
