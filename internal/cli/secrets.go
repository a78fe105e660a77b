package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/gh"
	"github.com/appreg/appreg/internal/graph"
	"github.com/appreg/appreg/internal/render"
	"github.com/appreg/appreg/internal/rotate"
	"github.com/appreg/appreg/internal/workflow"
)

// deliverer writes secret values to GitHub Actions secrets through gh.
type deliverer struct{ c *gh.Client }

func target(d appreg.Delivery) gh.SecretTarget {
	t := gh.SecretTarget{Repo: d.Repo, Environment: d.Environment, Org: d.Org, Name: d.Secret, Visibility: d.Visibility}
	if d.Kind == appreg.DeliverOrg {
		t.Repo, t.SelectedRepos = "", d.Repos
	}
	return t
}

func (d deliverer) Deliver(ctx context.Context, t appreg.Delivery, v appreg.SecretValue) error {
	return d.c.PutSecret(ctx, target(t), []byte(v.Reveal()))
}

func (d deliverer) DeliveredAt(ctx context.Context, t appreg.Delivery) (time.Time, error) {
	return d.c.SecretUpdatedAt(ctx, target(t))
}

// secretsConfig is what creating and delivering secrets needs besides
// Graph.
type secretsConfig struct {
	token         string // GitHub token that can write Actions secrets
	apiURL        string // GitHub API base (GITHUB_API_URL)
	authorityHost string // where new secrets are verified
	tenantID      string
	// transport carries the verifying token requests (nil: the default).
	transport policy.Transporter
	// client, when set, delivers instead of a client with token.
	client *gh.Client
}

// secretsFromEnv reads APPREG_SECRETS_TOKEN (falling back to GITHUB_TOKEN),
// GITHUB_API_URL and AZURE_AUTHORITY_HOST.
func secretsFromEnv(getenv func(string) string, settings appreg.Settings) secretsConfig {
	token := getenv("APPREG_SECRETS_TOKEN")
	if token == "" {
		token = getenv("GITHUB_TOKEN")
	}
	tenant := settings.TenantID
	if tenant == "" {
		tenant = getenv("AZURE_TENANT_ID")
	}
	return secretsConfig{token: token, apiURL: getenv("GITHUB_API_URL"), authorityHost: getenv("AZURE_AUTHORITY_HOST"), tenantID: tenant}
}

// rotator builds the secret rotator, or nil when no GitHub token is
// configured (workflow then reports secrets as undeliverable).
func (c secretsConfig) rotator(g rotate.Passwords) (*rotate.Rotator, error) {
	client := c.client
	if client == nil {
		if c.token == "" {
			return nil, nil
		}
		var err error
		if client, err = gh.New(gh.Options{BaseURL: c.apiURL, Token: c.token}); err != nil {
			return nil, err
		}
	}
	return &rotate.Rotator{
		Passwords: g,
		Verifier:  &graph.Verifier{AuthorityHost: c.authorityHost, TenantID: c.tenantID, Transport: c.transport},
		Deliverer: deliverer{client},
		Now:       time.Now,
	}, nil
}

func runRotate(ctx context.Context, e *factory, args []string) error {
	fs := flag.NewFlagSet("rotate", flag.ContinueOnError)
	var g globals
	g.register(fs, e, "text", "markdown", "json")
	g.registerRepo(fs, e)
	var confirm, verbose bool
	var now string
	fs.BoolVar(&confirm, "confirm", false, "really rotate (without it, rotate only shows what is due)")
	fs.StringVar(&now, "now", "", "rotate this secret (registration/secret) at once and revoke its older credentials")
	fs.BoolVar(&verbose, "v", false, "log Graph activity to stderr")
	if err := parse(fs, e, args); err != nil {
		return err
	}
	if err := g.checkFormat("text", "markdown", "json"); err != nil {
		return err
	}
	if err := g.checkRepo("rotate"); err != nil {
		return err
	}
	loaded, err := load(e, g.config)
	if err != nil {
		return err
	}
	o := planOptions{globals: g, verbose: verbose}
	client, err := o.graph(ctx, e, loaded.Settings.TenantID)
	if err != nil {
		return err
	}
	var r *rotate.Rotator
	if confirm {
		if r, err = e.rotator(client, loaded.Settings); err != nil {
			return err
		}
		if d, ok := deliverersOf(r); ok && isTerminal(e.stderr) {
			r.Deliverer = progressDeliverer{deliverer: d, w: e.stderr}
		}
	}
	rot, err := workflow.Rotate(ctx, client, loaded, workflow.RotateOptions{Rotator: r, Now: now, DryRun: !confirm, Clock: e.clock()})
	if err != nil {
		return err
	}
	if err := writeRotation(e.stdout, g.format, rot, e.color(e.stdout)); err != nil {
		return err
	}
	switch {
	case !confirm && !rotationDue(rot):
		return nil // nothing is due: a dry run has nothing to confirm
	case !confirm:
		fmt.Fprintln(e.stderr, "appreg: nothing was changed; run 'appreg rotate --confirm' to rotate what is due")
		return silentError{code: ExitError}
	case rot.Failed():
		return silentError{code: ExitError}
	}
	return nil
}

// writeRotation prints what rotate decided (a dry run) or did.
func writeRotation(w io.Writer, format string, rot *workflow.Rotation, color bool) error {
	switch format {
	case "json":
		return render.RotationJSON(w, rot.Decisions, rot.Outcomes)
	case "markdown":
		_, err := io.WriteString(w, strings.Join(render.RotationMarkdown(rot.Decisions, rot.Outcomes, render.Options{}), "\n\n---\n\n"))
		return err
	}
	return render.RotationText(w, rot.Decisions, rot.Outcomes, render.Options{Color: color})
}

// rotationDue reports whether a dry run found work: a secret to create or
// rotate, or old credentials to remove.
func rotationDue(rot *workflow.Rotation) bool {
	for _, d := range rot.Decisions {
		if d.Due() || len(d.Remove) > 0 {
			return true
		}
	}
	return false
}

func deliverersOf(r *rotate.Rotator) (deliverer, bool) {
	if r == nil {
		return deliverer{}, false
	}
	d, ok := r.Deliverer.(deliverer)
	return d, ok
}
