package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/sethvargo/go-githubactions"

	"github.com/appreg/appreg/internal/action"

	"github.com/appreg/appreg/internal/emulator"
	"github.com/appreg/appreg/internal/gh/ghtest"
)

// cliEnv is the command line's factory pointed at the emulator and the
// fake GitHub, in a folder holding the repository's own appreg.yaml and
// registrations.
type cliEnv struct {
	t      *testing.T
	f      *factory
	emu    *emulator.Server
	github *ghtest.Server
	vars   map[string]string
	stdout *bytes.Buffer
	stderr *bytes.Buffer
	dir    string
}

func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	emu := startTenant(t)
	github := ghtest.New()
	t.Cleanup(github.Close)
	github.AddToken("ghs_secrets")
	github.AddRepo("contoso/jupyterhub-deploy")

	dir := t.TempDir()
	for name, data := range repoTree(t) {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	op := emu.Operator()
	vars := map[string]string{
		"APPREG_GRAPH_URL": emu.GraphURL(), "APPREG_ARM_URL": emu.URL(), "AZURE_AUTHORITY_HOST": emu.AuthorityHost(), "AZURE_TENANT_ID": op.TenantID,
		"APPREG_LAG_BACKOFF": "5ms", "GITHUB_API_URL": github.URL(), "APPREG_SECRETS_TOKEN": "ghs_secrets", "APPREG_REPOSITORY": serveRepo,
	}
	e := &cliEnv{t: t, emu: emu, github: github, vars: vars, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, dir: dir}
	e.f = &factory{
		stdin: strings.NewReader(""), stdout: e.stdout, stderr: e.stderr,
		getenv:     func(k string) string { return vars[k] },
		credential: func() (azcore.TokenCredential, error) { return operatorCredential(emu, op.TenantID) },
		transport:  emu.Client().Transport,
		now:        func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) },
	}
	return e
}

// run runs appreg with args in the repository folder and returns the exit
// code; stdout and stderr are reset first.
func (e *cliEnv) run(args ...string) int {
	e.t.Helper()
	e.stdout.Reset()
	e.stderr.Reset()
	for i, a := range args {
		if a == "appreg.yaml" {
			args[i] = filepath.Join(e.dir, a)
		}
	}
	return e.f.main(e.t.Context(), args)
}

func (e *cliEnv) want(code int, args ...string) {
	e.t.Helper()
	if got := e.run(args...); got != code {
		e.t.Fatalf("appreg %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), got, code, e.stdout, e.stderr)
	}
}

// TestPlanApplyAgainstTheEmulator runs the operator's commands through the
// factory: plan shows the repository's registrations, apply without
// --confirm changes nothing, apply --confirm creates them and delivers the
// secret, and then plan has nothing to do.
func TestPlanApplyAgainstTheEmulator(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.want(ExitOK, "validate", "--config", "appreg.yaml")
	if !strings.Contains(e.stdout.String(), "valid") {
		t.Errorf("validate said %q", e.stdout)
	}
	e.want(ExitChanges, "plan", "--config", "appreg.yaml", "--detailed-exitcode")
	if !strings.Contains(e.stdout.String(), "Plan: 5 to create") {
		t.Errorf("plan said %q", e.stdout)
	}
	out := filepath.Join(t.TempDir(), "plan.json")
	e.want(ExitOK, "plan", "--config", "appreg.yaml", "--format", "json", "--out", out)
	var doc struct {
		FormatVersion string `json:"format_version"`
		Changes       []struct {
			Key    string `json:"key"`
			Fields []struct {
				Kind string `json:"kind"`
			} `json:"fields"`
		} `json:"changes"`
	}
	if err := json.Unmarshal(e.stdout.Bytes(), &doc); err != nil || doc.FormatVersion == "" || len(doc.Changes) != 5 || doc.Changes[0].Fields[0].Kind == "" {
		t.Errorf("plan --format json: %v %+v", err, doc)
	}
	if b, err := os.ReadFile(out); err != nil || !bytes.Equal(b, e.stdout.Bytes()) {
		t.Errorf("--out differs from stdout: %v", err)
	}
	e.want(ExitOK, "plan", "--config", "appreg.yaml", "--format", "markdown")
	if !strings.Contains(e.stdout.String(), "### appreg plan") {
		t.Errorf("plan --format markdown: %q", e.stdout)
	}
	e.want(ExitError, "apply", "--config", "appreg.yaml")
	if !strings.Contains(e.stderr.String(), "nothing was changed; run 'appreg apply --confirm'") {
		t.Errorf("apply without --confirm: %q", e.stderr)
	}
	e.want(ExitOK, "apply", "--config", "appreg.yaml", "--confirm", "--out", filepath.Join(t.TempDir(), "result.json"))
	if !strings.Contains(e.stdout.String(), "5 applied, 0 failed") {
		t.Errorf("apply said %q", e.stdout)
	}
	if _, ok := e.github.Secret(ghtest.SecretTarget{Repo: "contoso/jupyterhub-deploy", Name: "JUPYTERHUB_CLIENT_SECRET"}); !ok {
		t.Error("the secret was not delivered")
	}
	e.want(ExitOK, "plan", "--config", "appreg.yaml", "--detailed-exitcode")
	// Nothing is due right after the apply created the secret: a dry run
	// has nothing to confirm.
	e.want(ExitOK, "rotate", "--config", "appreg.yaml")
	if !strings.Contains(e.stdout.String(), "kept") {
		t.Errorf("rotate without --confirm: %q", e.stdout)
	}
	e.want(ExitOK, "rotate", "--config", "appreg.yaml", "--confirm", "--format", "json")
	e.want(ExitOK, "apply", "--config", "appreg.yaml", "--confirm", "--format", "markdown")
	for _, v := range e.emu.IssuedSecrets() {
		if strings.Contains(e.stdout.String()+e.stderr.String(), v) {
			t.Error("a secret value was printed")
		}
	}
}

func TestSecretsNeedAToken(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	delete(e.vars, "APPREG_SECRETS_TOKEN")
	e.want(ExitError, "rotate", "--config", "appreg.yaml", "--confirm")
	if !strings.Contains(e.stderr.String(), "set APPREG_SECRETS_TOKEN") {
		t.Errorf("stderr %q does not say what to set", e.stderr)
	}
}

func TestImportWritesAnAdoptingFile(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	app, err := e.emu.CreateApplication(map[string]any{"displayName": "Legacy Reporting", "signInAudience": "AzureADMyOrg"})
	if err != nil {
		t.Fatal(err)
	}
	id := app["appId"].(string)
	outDir := t.TempDir()
	e.want(ExitOK, "import", "--config", "appreg.yaml", "--app-id", id, "--name", id+"=legacy-reporting", "--out", outDir)
	b, err := os.ReadFile(filepath.Join(outDir, "legacy-reporting.yaml"))
	if err != nil || !strings.Contains(string(b), "adopt: {appId: "+id+"}") {
		t.Errorf("the imported file: %v\n%s", err, b)
	}
	other, err := e.emu.CreateApplication(map[string]any{"displayName": "Other Legacy", "signInAudience": "AzureADMyOrg"})
	if err != nil {
		t.Fatal(err)
	}
	e.want(ExitOK, "import", "--config", "appreg.yaml", "--app-id", other["appId"].(string), "--out", outDir, "--format", "json")
	var doc struct {
		FormatVersion string `json:"format_version"`
		Imported      []struct{ Name, AppID string }
	}
	if err := json.Unmarshal(e.stdout.Bytes(), &doc); err != nil || len(doc.Imported) != 1 || doc.Imported[0].Name != "other-legacy" {
		t.Errorf("import --format json: %v %s", err, e.stdout)
	}
	e.want(ExitError, "import", "--config", "appreg.yaml")
	e.want(ExitError, "import", "--config", "appreg.yaml", "--app-id", id, "--name", "nonsense")
}

func TestCommandLine(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, ExitError, "Usage: appreg <command>", ""},
		{[]string{"help"}, ExitOK, "Commands:", ""},
		{[]string{"frobnicate"}, ExitError, "", `unknown command "frobnicate"`},
		{[]string{"version"}, ExitOK, "appreg ", ""},
		{[]string{"schema"}, ExitOK, `"$schema"`, ""},
		{[]string{"plan", "-h"}, ExitOK, "Usage: appreg plan [flags]", ""},
		{[]string{"plan", "--format", "yaml"}, ExitError, "", "--format must be one of text, markdown, json"},
		{[]string{"plan", "extra"}, ExitError, "", "takes no arguments"},
		{[]string{"plan", "--nope"}, ExitError, "", "flag provided but not defined"},
		{[]string{"validate", "--config", "missing.yaml"}, ExitError, "settings file missing.yaml does not exist", ""},
		{[]string{"validate", "--config", "missing.yaml", "--format", "json"}, ExitError, `"valid": false`, ""},
		{[]string{"validate", "--config", "missing.yaml", "--format", "github"}, ExitError, "::error file=missing.yaml", ""},
	}
	for _, tt := range tests {
		code := e.run(tt.args...)
		if code != tt.code || !strings.Contains(e.stdout.String(), tt.stdout) || !strings.Contains(e.stderr.String(), tt.stderr) {
			t.Errorf("appreg %v: exit %d, stdout %q, stderr %q; want %d, %q, %q", tt.args, code, e.stdout, e.stderr, tt.code, tt.stdout, tt.stderr)
		}
	}
}

// TestDemo runs the README's first command: plan, apply, secret delivery
// and an edited plan against the built-in emulator.
func TestDemo(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.want(ExitOK, "demo", "--config", "appreg.yaml")
	for _, want := range []string{"Plan: 5 to create", "delivered to contoso/jupyterhub-deploy secret JUPYTERHUB_CLIENT_SECRET", "No changes. The tenant matches the registration files.", "### appreg plan (demo)"} {
		if !strings.Contains(e.stdout.String(), want) {
			t.Errorf("the demo does not say %q", want)
		}
	}
}

// TestEmulatorCommand serves the emulator until the context ends and
// leaves the CA and the environment for clients in --dir.
func TestEmulatorCommand(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.want(ExitError, "emulator")
	if !strings.Contains(e.stderr.String(), "needs --dir") {
		t.Errorf("stderr %q", e.stderr)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int)
	args := []string{"emulator", "--dir", dir, "--listen", "127.0.0.1:0", "--users", "alice@contoso.com", "--groups", "Data Science,Power BI automation", "--github", "--config", filepath.Join(e.dir, "appreg.yaml")}
	go func() { done <- e.f.main(ctx, args) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err1 := os.Stat(filepath.Join(dir, "github-reveal-token"))
		_, err2 := os.Stat(filepath.Join(dir, "env"))
		if err1 == nil && err2 == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The fake GitHub has no secret yet: reading one back says so.
	var out, errs bytes.Buffer
	other := &factory{stdout: &out, stderr: &errs, getenv: e.f.getenv}
	if code := other.main(t.Context(), []string{"emulator", "secret", "--dir", dir, "contoso/jupyterhub-deploy", "NOPE"}); code != ExitError || !strings.Contains(errs.String(), "has no secret NOPE") {
		t.Errorf("emulator secret of a missing secret: exit %d, %s", code, errs.String())
	}
	errs.Reset()
	if code := other.main(t.Context(), []string{"emulator", "secret", "--dir", dir}); code != ExitError || !strings.Contains(errs.String(), "usage") {
		t.Errorf("emulator secret without a name: exit %d, %s", code, errs.String())
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Errorf("the emulator exited %d: %s", code, e.stderr)
	}
	for _, f := range []string{"ca.pem", "env"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("no %s: %v", f, err)
		}
	}
	if env, err := os.ReadFile(filepath.Join(dir, "env")); err != nil || !strings.Contains(string(env), "APPREG_ARM_URL=") {
		t.Errorf("env has no APPREG_ARM_URL: %v", err)
	}
	if !strings.Contains(e.stdout.String(), "Groups:           Data Science, Power BI automation") {
		t.Errorf("the emulator does not list the groups it seeded:\n%s", e.stdout)
	}
	// The env file names the repository the files act for, so that plan,
	// apply and rotate work after sourcing it (the README's walkthrough).
	if repo, err := envFileValue(filepath.Join(dir, "env"), "APPREG_REPOSITORY"); err != nil || repo != demoRepository {
		t.Errorf("APPREG_REPOSITORY in env = %q, %v; want %s", repo, err, demoRepository)
	}
	e.want(ExitError, "emulator", "--dir", dir, "--repo", "not-a-repo")
	if !strings.Contains(e.stderr.String(), `--repo "not-a-repo" is not a GitHub repository`) {
		t.Errorf("stderr %q", e.stderr)
	}
}

// newMergePushEnv is the runner's environment for appreg action on the
// push of pull request #2's merge to the default branch.
func newMergePushEnv(t *testing.T) *cliEnv {
	t.Helper()
	e := newCLIEnv(t)
	e.github.AddToken("ghs_token")
	e.github.AddPullRequest(serveRepo, ghtest.PullRequest{Number: 2, HeadSHA: serveHead, Author: "Codertocat", Merged: true, MergeCommitSHA: serveMerge})
	e.github.SetBranch(serveRepo, "master", serveMerge)
	for k, v := range map[string]string{
		"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "../../cmd/appreg/testdata/events/push.json",
		"GITHUB_REPOSITORY": serveRepo, "GITHUB_SHA": serveMerge, "GITHUB_WORKSPACE": e.dir,
		"INPUT_GITHUB-TOKEN": "ghs_token", "INPUT_CLIENT-ID": "unused", "INPUT_TENANT-ID": e.vars["AZURE_TENANT_ID"], "INPUT_GRAPH-URL": e.emu.GraphURL(), "INPUT_AUTHORITY-HOST": e.emu.AuthorityHost(),
	} {
		e.vars[k] = v
	}
	return e
}

// TestActionCommand runs appreg action as the runner starts it: the push
// of a merge applies, and the result is commented on the merged pull
// request.
func TestActionCommand(t *testing.T) {
	t.Parallel()
	e := newMergePushEnv(t)
	e.vars["INPUT_SECRETS-TOKEN"] = "ghs_secrets"
	code := e.run("action")
	// The policy of the repository's appreg.yaml needs approvals nobody
	// gave: the privileged registrations are refused, the rest applied.
	if code != ExitOK {
		t.Fatalf("action: exit %d\n%s\n%s", code, e.stdout, e.stderr)
	}
	comments := e.github.Comments(serveRepo, 2)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "<!-- appreg:apply -->") {
		t.Fatalf("comments: %+v\n%s", comments, e.stdout)
	}
	if !strings.Contains(e.stdout.String(), "::warning title=appreg::Not applied (refused)") {
		t.Errorf("no refusal warning in %s", e.stdout)
	}
	for _, line := range strings.Split(e.stdout.String()+e.stderr.String(), "\n") {
		if strings.Contains(line, "ghs_token") && line != "::add-mask::ghs_token" {
			t.Errorf("the token is in the log: %q", line)
		}
	}
	e.vars["INPUT_COMMAND"] = "destroy"
	if code := e.run("action"); code != ExitError || !strings.Contains(e.stderr.String(), `input command is "destroy"`) {
		t.Errorf("a bad command: exit %d, %s", code, e.stderr)
	}
}

func TestServeFlags(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.want(ExitError, "serve", "--listen", "127.0.0.1:0")
	if !strings.Contains(e.stderr.String(), "appreg serve needs APPREG_WEBHOOK_SECRET") {
		t.Errorf("stderr %q", e.stderr)
	}
}

func TestCredentialFromEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vars map[string]string
		err  string
	}{
		{map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"}, ""},
		{map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_FEDERATED_TOKEN_FILE": "/token"}, ""},
		{map[string]string{"AZURE_AUTHORITY_HOST": "http://login.example"}, "must be an https URL"},
		{map[string]string{"AZURE_AUTHORITY_HOST": "https://login.microsoftonline.us/"}, ""},
	}
	for _, tt := range tests {
		_, err := credential(func(k string) string { return tt.vars[k] })
		if (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("credential(%v) = %v, want %q", tt.vars, err, tt.err)
		}
	}
	if _, err := newGraph(graphConfig{}, func(string) string { return "soon" }); err == nil || !strings.Contains(err.Error(), "APPREG_LAG_BACKOFF") {
		t.Errorf("a bad APPREG_LAG_BACKOFF: %v", err)
	}
}

func TestActionCredential(t *testing.T) {
	t.Parallel()
	gha := githubactions.New(githubactions.WithGetenv(func(string) string { return "" }))
	tests := []struct {
		auth action.Auth
		err  string
	}{
		{action.Auth{}, "the inputs tenant-id and client-id are required"},
		{action.Auth{TenantID: "t", ClientID: "c", AuthorityHost: "ftp://x"}, "input authority-host"},
		{action.Auth{TenantID: "t", ClientID: "c", ClientSecret: "s"}, ""},
		{action.Auth{TenantID: "t", ClientID: "c"}, ""},
	}
	for _, tt := range tests {
		_, err := actionCredential(tt.auth, gha)
		if (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("actionCredential(%+v) = %v, want %q", tt.auth, err, tt.err)
		}
	}
}

// TestServeOrgPolicy: appreg serve reads the organisation policy file
// APPREG_ORG_POLICY at start and refuses one it cannot use.
func TestServeOrgPolicy(t *testing.T) {
	t.Parallel()
	github := ghtest.New()
	t.Cleanup(github.Close)
	key := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(key, github.AddAppKey(42), 0o600); err != nil {
		t.Fatal(err)
	}
	org := filepath.Join(t.TempDir(), "org.yaml")
	env := map[string]string{"APPREG_WEBHOOK_SECRET": "s", "APPREG_APP_ID": "42", "APPREG_APP_PRIVATE_KEY_FILE": key,
		"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "x", "APPREG_ORG_POLICY": org}
	get := func(k string) string { return env[k] }
	if err := os.WriteFile(org, []byte("apiVersion: appreg/v1\nrepositories: {contoso/apps: {namePrefix: apps-}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := serveConfigFromEnv(get)
	if err != nil {
		t.Fatal(err)
	}
	if c.org == nil || c.org.Prefixes["contoso/apps"] != "apps-" {
		t.Errorf("org = %+v", c.org)
	}
	if err := os.WriteFile(org, []byte("apiVersion: appreg/v1\nrequire: {everything: x}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := serveConfigFromEnv(get); err == nil || !strings.Contains(err.Error(), "APPREG_ORG_POLICY") {
		t.Errorf("an unusable organisation policy: %v", err)
	}
	// serve starts with it, on an address it cannot listen on: that error.
	if err := os.WriteFile(org, []byte("apiVersion: appreg/v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	f := &factory{stdout: &out, stderr: &errs, getenv: get}
	if code := f.main(t.Context(), []string{"serve", "--listen", "127.0.0.1:-1", "-v"}); code != ExitError || !strings.Contains(errs.String(), "invalid port") {
		t.Errorf("serve on a bad address: exit %d, %s", code, errs.String())
	}
	if got := redactor("s3cret", "")("the s3cret leaked"); got != "the *** leaked" {
		t.Errorf("redactor: %q", got)
	}
}

// fakeSigner is a Graph client's sign-in for the tenant check.
type fakeSigner struct {
	tenant string
	err    error
}

func (f fakeSigner) SignedInTenant(context.Context) (string, error) { return f.tenant, f.err }

func TestTenantCheck(t *testing.T) {
	t.Parallel()
	vars := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	if err := checkTenant(t.Context(), fakeSigner{tenant: "t1"}, "appreg.yaml", "T1", vars()); err != nil {
		t.Errorf("the same tenant: %v", err)
	}
	err := checkTenant(t.Context(), fakeSigner{tenant: "t2"}, "appreg.yaml", "t1", vars())
	if err == nil || !strings.Contains(err.Error(), "appreg.yaml names tenant t1, but the credential signs in to tenant t2") {
		t.Errorf("another tenant: %v", err)
	}
	if err := checkTenant(t.Context(), fakeSigner{err: errors.New("boom")}, "appreg.yaml", "t1", vars()); err == nil || !strings.Contains(err.Error(), "signing in to Microsoft Entra ID: boom") {
		t.Errorf("a failed sign-in: %v", err)
	}
	for _, tt := range []struct {
		env  func(string) string
		want string
	}{
		{vars("AZURE_TENANT_ID", "t", "AZURE_CLIENT_ID", "c", "AZURE_CLIENT_SECRET", "s"), "AZURE_CLIENT_SECRET (a secret's value"},
		{vars("AZURE_TENANT_ID", "t", "AZURE_CLIENT_ID", "c", "AZURE_FEDERATED_TOKEN_FILE", "f"), "AZURE_FEDERATED_TOKEN_FILE and the federated"},
		{vars(), "sign in with 'az login'"},
		{vars("AZURE_TENANT_ID", "t"), "set AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE"},
	} {
		if got := credentialHint(tt.env); !strings.Contains(got, tt.want) {
			t.Errorf("credentialHint = %q, want %q", got, tt.want)
		}
	}
}

// TestActionOrgPolicy: the Action's org-policy input is the organisation
// policy: a repository whose appreg.yaml claims another namePrefix than the
// one it gives is refused before anything is applied, and a policy that
// does not parse is refused by name.
func TestActionOrgPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, policy, want string }{
		{"another prefix", "apiVersion: appreg/v1\nrepositories: {" + serveRepo + ": {namePrefix: other-}}\n", `the organisation policy gives repository ` + serveRepo + ` the namePrefix "other-"`},
		{"unknown key", "apiVersion: appreg/v1\nrepos: {}\n", "input org-policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newMergePushEnv(t)
			e.vars["INPUT_ORG-POLICY"] = tc.policy
			code := e.run("action")
			out := e.stdout.String() + e.stderr.String()
			if code == ExitOK || !strings.Contains(out, tc.want) {
				t.Fatalf("action: exit %d, want an error with %q:\n%s", code, tc.want, out)
			}
			for k := range e.emu.Stats() {
				if !strings.HasPrefix(k, "GET ") && !strings.HasPrefix(k, "batch:GET ") && !strings.Contains(k, "/token") && k != "POST /v1.0/$batch" {
					t.Errorf("a write reached Graph: %s", k)
				}
			}
		})
	}
}
