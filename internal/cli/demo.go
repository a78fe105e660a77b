package cli

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/emulator"
	"github.com/appreg/appreg/internal/gh/ghtest"
	"github.com/appreg/appreg/internal/graph"
	"github.com/appreg/appreg/internal/render"
	"github.com/appreg/appreg/internal/spec"
	"github.com/appreg/appreg/internal/workflow"
)

// runDemo shows appreg's main job with no tenant: it starts the emulator in
// process, plans and applies the repository's registrations to it, edits one
// file in a temporary copy and shows the plan for that edit.
func runDemo(ctx context.Context, e *factory, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var g globals
	g.register(fs, e)
	grant := fs.String("grant", "", "comma-separated Graph application permissions to grant appreg's identity beyond the least privilege it has by default ("+strings.Join(emulator.LeastPrivilegeRoles, ", ")+")")
	if err := parse(fs, e, args); err != nil {
		return err
	}
	loaded, err := load(e, g.config)
	if err != nil {
		return err
	}
	srv, err := emulator.Start(emulator.Options{TenantID: loaded.Settings.TenantID, Users: ownerUPNs(loaded.Desired), GrantRoles: splitList(*grant)})
	if err != nil {
		return fmt.Errorf("starting the emulator: %w", err)
	}
	defer srv.Close()
	client, err := emulatorGraph(srv, demoRepository)
	if err != nil {
		return err
	}
	github := demoGitHub(loaded)
	defer github.Close()
	rotator, err := secretsConfig{token: "demo-secrets-token", apiURL: github.URL(), authorityHost: srv.AuthorityHost(), tenantID: srv.TenantID()}.rotator(client)
	if err != nil {
		return err
	}
	rotator.Verifier = &graph.Verifier{AuthorityHost: srv.AuthorityHost(), TenantID: srv.TenantID(), Transport: srv.Client(), Backoff: 20 * time.Millisecond}
	color := e.color(e.stdout)
	say := func(format string, args ...any) { fmt.Fprintf(e.stdout, "\n== "+format+"\n\n", args...) }

	say("appreg demo: an Entra emulator is running at %s (tenant %s); nothing leaves this machine", srv.URL(), srv.TenantID())
	fmt.Fprintf(e.stdout, "Registrations: %d files from %s\n", len(loaded.Desired.Registrations), g.config)

	say("1. appreg plan — what applying %s to an empty tenant would do", g.config)
	p, err := workflow.Plan(ctx, client, loaded)
	if err != nil {
		return err
	}
	if err := render.PlanText(e.stdout, p, render.Options{Color: color}); err != nil {
		return err
	}

	say("2. appreg apply --confirm")
	_, res, err := workflow.Apply(ctx, client, loaded, workflow.ApplyOptions{Expected: p.Fingerprint, Rotator: rotator})
	if err != nil {
		return err
	}
	if err := render.ResultText(e.stdout, res, render.Options{Color: color}); err != nil {
		return err
	}
	if res.Failed() {
		return silentError{code: ExitError}
	}

	say("3. appreg plan again — the tenant now matches the files")
	if p, err = workflow.Plan(ctx, client, loaded); err != nil {
		return err
	}
	if err := render.PlanText(e.stdout, p, render.Options{Color: color}); err != nil {
		return err
	}

	if err := demoEdit(ctx, e, client, g.config, loaded, say, color); err != nil {
		return err
	}
	say("Where the client secrets went")
	for _, d := range res.Secrets {
		for _, t := range d.Delivered {
			fmt.Fprintf(e.stdout, "  %s/%s → %s (sealed for GitHub's public key; the value was never printed)\n", d.Registration, d.Secret, t)
		}
	}
	fmt.Fprintf(e.stdout, "\nGraph requests served by the emulator: %d.\n", srv.TotalRequests())
	fmt.Fprintln(e.stdout, "Try it yourself: put appreg on PATH with 'go install ./cmd/appreg', then run\n"+
		"'appreg emulator --dir /tmp/entra --github' and follow the README, section \"Try it against the emulator\".")
	return nil
}

// demoGitHub is the fake GitHub that receives the demo's client secrets,
// sealed with its own key pair, exactly as github.com would.
func demoGitHub(loaded *spec.Result) *ghtest.Server {
	github := ghtest.New()
	github.AddToken("demo-secrets-token")
	for _, repo := range deliveryRepos(loaded.Desired) {
		github.AddRepo(repo)
	}
	return github
}

// demoEdit edits one file of a copy of the repository, as a pull request
// would, and shows the plan and its pull request comment.
func demoEdit(ctx context.Context, e *factory, client workflow.Reader, config string, loaded *spec.Result, say func(string, ...any), color bool) error {
	dir, err := os.MkdirTemp("", "appreg-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	edited, what, err := copyAndEdit(config, loaded, dir)
	if err != nil {
		return err
	}
	say("4. a pull request edits %s: %s", filepath.Base(loaded.Files[edited]), what)
	changed, diags := spec.LoadFS(os.DirFS(dir), filepath.Base(config))
	if err := diags.Err(); err != nil {
		return err
	}
	p, err := workflow.Plan(ctx, client, changed)
	if err != nil {
		return err
	}
	if err := render.PlanText(e.stdout, p, render.Options{Color: color}); err != nil {
		return err
	}
	say("What the pull request comment would show")
	fmt.Fprintln(e.stdout, render.PlanMarkdown(p, render.Options{Title: "appreg plan (demo)"})[0])
	return nil
}

// deliveryRepos lists the repositories secrets are delivered to.
func deliveryRepos(set *appreg.Set) []string {
	var out []string
	for _, r := range set.Registrations {
		if r.Credentials == nil {
			continue
		}
		for _, s := range r.Credentials.Secrets {
			for _, d := range s.Deliver {
				if d.Repo != "" {
					out = append(out, d.Repo)
				}
				for _, name := range d.Repos {
					out = append(out, d.Org+"/"+name)
				}
			}
		}
	}
	return out
}

// ownerUPNs lists the users the registrations name as owners, so the demo
// tenant has them.
func ownerUPNs(set *appreg.Set) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range set.Registrations {
		for _, o := range r.Owners {
			if o.Kind == appreg.OwnerUser && strings.Contains(o.Ref, "@") && !seen[strings.ToLower(o.Ref)] {
				seen[strings.ToLower(o.Ref)] = true
				out = append(out, o.Ref)
			}
		}
	}
	return out
}

// demoRepository is the repository the demo acts for.
const demoRepository = "contoso/appreg-demo"

// emulatorGraph is a Graph client authenticated as the emulator's operator
// application, through the real azidentity and msgraph-sdk-go clients,
// acting for repository repo.
func emulatorGraph(srv *emulator.Server, repo string) (*graph.Client, error) {
	op := srv.Operator()
	cred, err := azidentity.NewClientSecretCredential(op.TenantID, op.ClientID, op.ClientSecret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityHost()},
			Transport: srv.Client(),
		},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		return nil, err
	}
	return graph.New(graph.Options{URL: srv.GraphURL(), Credential: cred, Transport: srv.Client().Transport, LagBackoff: 20 * time.Millisecond, Repository: repo})
}

var displayNameLine = regexp.MustCompile(`(?m)^displayName:.*$`)

// copyAndEdit copies the settings file and registrations into dir and
// changes the first registration's display name, as a pull request would.
func copyAndEdit(config string, loaded *spec.Result, dir string) (name, what string, err error) {
	src := filepath.Dir(config)
	regDir := filepath.Join(src, loaded.Settings.Registrations)
	if err := copyFile(config, filepath.Join(dir, filepath.Base(config))); err != nil {
		return "", "", err
	}
	err = filepath.WalkDir(regDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		return copyFile(path, filepath.Join(dir, rel))
	})
	if err != nil {
		return "", "", err
	}
	first := loaded.Desired.Registrations[0]
	rel, _ := filepath.Rel(src, loaded.Files[first.Name])
	target := filepath.Join(dir, rel)
	data, err := os.ReadFile(target)
	if err != nil {
		return "", "", err
	}
	newName := first.DisplayName + " (renamed)"
	data = displayNameLine.ReplaceAll(data, []byte("displayName: "+newName))
	what = fmt.Sprintf("displayName %q → %q", first.DisplayName, newName)
	return first.Name, what, os.WriteFile(target, data, 0o644)
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}
