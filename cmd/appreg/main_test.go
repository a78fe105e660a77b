package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/appreg/appreg/internal/cli"
	"github.com/appreg/appreg/internal/emulator"
	"github.com/appreg/appreg/internal/gh/ghtest"
	"github.com/appreg/appreg/internal/spec"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"appreg": func() { os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
		// appreg-code runs appreg and reports its exit code on stderr as
		// "exit code N", always exiting 0, so scripts can tell 1 from 2.
		"appreg-code": func() {
			code := cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			fmt.Fprintf(os.Stderr, "exit code %d\n", code)
			os.Exit(0)
		},
	})
}

// TestScripts runs the end-to-end scripts in testdata/script: the real CLI,
// as a separate process, against an Entra emulator started for each script.
// Each script starts in a copy of testdata/repo: an appreg.yaml and four
// registrations of the tests' own.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		Setup:               setup,
		Cmds:                map[string]func(ts *testscript.TestScript, neg bool, args []string){"entra": entra, "github": github, "gen-registrations": genRegistrations, "source-env": sourceEnv},
		RequireExplicitExec: true,
	})
}

// testRepo holds the settings and registrations every script starts with:
// the tests' own, not the repository's registrations/, which users edit.
const testRepo = "testdata/repo"

const (
	emulatorKey = "emulator"
	githubKey   = "github"
)

func setup(env *testscript.Env) error {
	if err := copyTree(testRepo+"/registrations", filepath.Join(env.WorkDir, "registrations")); err != nil {
		return err
	}
	if err := copyTree(testRepo+"/appreg.yaml", filepath.Join(env.WorkDir, "appreg.yaml")); err != nil {
		return err
	}
	srv, err := emulator.Start(emulator.Options{
		TenantID: "8d3d5a53-6c2c-4a6c-9b0e-4f5a2b1c9d7e",
		Users:    []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com"},
	})
	if err != nil {
		return err
	}
	env.Defer(func() { srv.Close() })
	env.Values[emulatorKey] = srv
	ca := filepath.Join(env.WorkDir, ".emulator-ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o644); err != nil {
		return err
	}
	op := srv.Operator()
	env.Setenv("AZURE_TENANT_ID", op.TenantID)
	env.Setenv("AZURE_CLIENT_ID", op.ClientID)
	env.Setenv("AZURE_CLIENT_SECRET", op.ClientSecret)
	env.Setenv("AZURE_AUTHORITY_HOST", srv.AuthorityHost())
	env.Setenv("APPREG_GRAPH_URL", srv.GraphURL())
	env.Setenv("SSL_CERT_FILE", ca)
	env.Setenv("APPREG_LAG_BACKOFF", "5ms")
	env.Setenv("APPREG_REPOSITORY", "contoso/app-registrations")

	// A fake GitHub for the action scripts, as GITHUB_API_URL with a token,
	// and the webhook payloads they point GITHUB_EVENT_PATH at.
	gh := ghtest.New()
	env.Defer(gh.Close)
	env.Values[githubKey] = gh
	token := "ghs_" + rand.Text()
	gh.AddToken(token)
	// The repositories the example registrations deliver secrets to.
	examples, diags := spec.Load(testRepo + "/appreg.yaml")
	if err := diags.Err(); err != nil {
		return err
	}
	for _, r := range examples.Desired.Registrations {
		if r.Credentials == nil {
			continue
		}
		for _, s := range r.Credentials.Secrets {
			for _, d := range s.Deliver {
				if d.Repo != "" {
					gh.AddRepo(d.Repo)
				}
				for _, name := range d.Repos {
					gh.AddRepo(d.Org + "/" + name)
				}
			}
		}
	}
	env.Setenv("GITHUB_API_URL", gh.URL())
	env.Setenv("GITHUB_TOKEN", token)
	events, err := filepath.Abs("testdata/events")
	if err != nil {
		return err
	}
	env.Setenv("EVENTS", events)
	tfstate, err := filepath.Abs("../../internal/tfimport/testdata/azuread-5-sets.tfstate")
	if err != nil {
		return err
	}
	env.Setenv("TFSTATE", tfstate)
	return nil
}

func server(ts *testscript.TestScript) *emulator.Server {
	return ts.Value(emulatorKey).(*emulator.Server)
}

// entra manipulates and inspects the emulated tenant directly, as a person
// clicking in the Entra portal would:
//
//	entra patch KEY JSON           change an application (KEY: uniqueName, appId or object id)
//	entra create-app VAR JSON      create an unmanaged application; $VAR is set to its appId
//	entra app KEY                  print an application as Graph returns it
//	entra add-owner KEY UPN        make a user an owner of an application
//	entra add-fic KEY JSON         add a federated identity credential to an application
//	entra add-password KEY JSON    add a client secret to an application (the value is discarded)
//	entra create-sp APPID [JSON]   create an application's service principal, then patch it with JSON
//	entra assignments KEY          print the app role ids granted to the app's service principal
//	entra grant ROLE               grant appreg's identity a further Graph application permission
//	entra add-users PREFIX N DOMAIN  create users PREFIX000@DOMAIN … (N of them)
//	entra owners KEY               print the number of owners of an application
//	entra faults k=v...            throttle=0.2 retry-after=0s lag=2 latency=10ms errors=0.1
//	entra fail-next METHOD PATH STATUS [CODE]  fail the next matching request
//	entra subst FILE               expand $VARS in FILE
//	entra seed-terraform STATE     create the applications a Terraform state records, with its ids
//	entra requests                 print the number of Graph requests served
//	entra request-log              print "METHOD path count" per request kind served, sorted
func entra(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: entra command args...")
	}
	srv := server(ts)
	failed := func(err error) {
		if err != nil && !neg {
			ts.Fatalf("entra %s: %v", args[0], err)
		}
		if err == nil && neg {
			ts.Fatalf("entra %s: unexpectedly succeeded", args[0])
		}
	}
	switch args[0] {
	case "patch":
		var props map[string]any
		ts.Check(json.Unmarshal([]byte(args[2]), &props))
		failed(srv.PatchApplication(args[1], props))
	case "create-app":
		var props map[string]any
		ts.Check(json.Unmarshal([]byte(args[2]), &props))
		app, err := srv.CreateApplication(props)
		failed(err)
		ts.Setenv(args[1], fmt.Sprint(app["appId"]))
	case "add-owner":
		failed(srv.AddOwner(args[1], args[2]))
	case "add-fic":
		var props map[string]any
		ts.Check(json.Unmarshal([]byte(args[2]), &props))
		_, err := srv.AddFederatedCredential(args[1], props)
		failed(err)
	case "add-password":
		var props map[string]any
		ts.Check(json.Unmarshal([]byte(args[2]), &props))
		_, err := srv.AddPassword(args[1], props)
		failed(err)
	case "create-sp":
		_, err := srv.CreateServicePrincipal(args[1])
		if err == nil && len(args) > 2 {
			var props map[string]any
			ts.Check(json.Unmarshal([]byte(args[2]), &props))
			err = srv.PatchServicePrincipal(args[1], props)
		}
		failed(err)
	case "grant":
		failed(srv.GrantOperator(args[1]))
	case "add-users":
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		for i := range n {
			srv.AddUser(fmt.Sprintf("%s%03d@%s", args[1], i, args[3]))
		}
	case "owners":
		app, ok := srv.Application(args[1])
		if !ok {
			ts.Fatalf("no application %q", args[1])
		}
		fmt.Fprintf(ts.Stdout(), "owners: %d\n", len(srv.Owners(fmt.Sprint(app["id"]))))
	case "app":
		app, ok := srv.Application(args[1])
		if !ok {
			failed(fmt.Errorf("no application %q", args[1]))
			return
		}
		failed(nil)
		out, _ := json.MarshalIndent(app, "", "  ")
		ts.Stdout().Write(append(out, '\n'))
	case "assignments":
		app, ok := srv.Application(args[1])
		if !ok {
			ts.Fatalf("no application %q", args[1])
		}
		sp, ok := srv.ServicePrincipal(fmt.Sprint(app["appId"]))
		if !ok {
			ts.Fatalf("application %q has no service principal", args[1])
		}
		var ids []string
		for _, a := range srv.AppRoleAssignments(fmt.Sprint(sp["id"])) {
			ids = append(ids, fmt.Sprint(a["appRoleId"]))
		}
		sort.Strings(ids)
		fmt.Fprintln(ts.Stdout(), strings.Join(ids, "\n"))
	case "faults":
		var f emulator.Faults
		for _, kv := range args[1:] {
			k, v, _ := strings.Cut(kv, "=")
			var err error
			switch k {
			case "throttle":
				f.ThrottleRate, err = strconv.ParseFloat(v, 64)
			case "errors":
				f.ServerErrorRate, err = strconv.ParseFloat(v, 64)
			case "retry-after":
				f.RetryAfter, err = time.ParseDuration(v)
			case "lag":
				f.LagReads, err = strconv.Atoi(v)
			case "latency":
				f.Latency, err = time.ParseDuration(v)
			default:
				err = fmt.Errorf("unknown fault %q", k)
			}
			ts.Check(err)
		}
		srv.SetFaults(f)
	case "fail-next":
		status, err := strconv.Atoi(args[3])
		ts.Check(err)
		rule := emulator.FailRule{Method: args[1], PathContains: args[2], Status: status, Times: 1, Code: "InternalServerError", Message: "injected failure"}
		if len(args) > 4 {
			rule.Code = args[4]
		}
		srv.FailNext(rule)
	case "seed-terraform":
		failed(seedTerraform(srv, ts.MkAbs(args[1])))
	case "subst":
		path := ts.MkAbs(args[1])
		data, err := os.ReadFile(path)
		ts.Check(err)
		ts.Check(os.WriteFile(path, []byte(os.Expand(string(data), ts.Getenv)), 0o644))
	case "requests":
		fmt.Fprintln(ts.Stdout(), srv.TotalRequests())
	case "request-log":
		stats := srv.Stats()
		keys := make([]string, 0, len(stats))
		for k := range stats {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(ts.Stdout(), "%s %d\n", k, stats[k])
		}
	default:
		ts.Fatalf("entra: unknown command %q", args[0])
	}
}

func copyTree(from, to string) error {
	return filepath.Walk(from, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if info.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
}

// sourceEnv waits (up to 10 s) for an env file that a background
// `appreg emulator` writes, then sets its KEY=value lines:
//
//	source-env FILE
func sourceEnv(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: source-env FILE")
	}
	path := ts.MkAbs(args[0])
	var data []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var err error
		if data, err = os.ReadFile(path); err == nil && len(data) > 0 {
			break
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s was not written", path)
		}
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			ts.Setenv(k, strings.Trim(v, "'"))
		}
	}
}
