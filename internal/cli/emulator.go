package cli

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/appreg/appreg/internal/emulator"
	"github.com/appreg/appreg/internal/gh/ghtest"
	"github.com/appreg/appreg/internal/spec"
)

// runEmulator serves an emulated Entra tenant until interrupted, for trying
// appreg (or any Graph client) without a tenant; with --github also a fake
// GitHub that receives delivered secrets. `appreg emulator secret` reads one
// delivered secret back from that fake.
func runEmulator(ctx context.Context, e *factory, args []string) error {
	if len(args) > 0 && args[0] == "secret" {
		return runEmulatorSecret(ctx, e, args[1:])
	}
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	var o emulator.RunOptions
	var users, seed, repos, config string
	var github bool
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:8443", "address to serve HTTPS on")
	fs.StringVar(&o.Dir, "dir", "", "directory that receives ca.pem and env (required)")
	fs.StringVar(&users, "users", "", "comma-separated user principal names to create")
	fs.DurationVar(&o.Latency, "latency", 0, "latency added to every request (e.g. 50ms)")
	fs.Float64Var(&o.ThrottleRate, "throttle-rate", 0, "fraction of requests answered 429 with Retry-After (0..1)")
	fs.DurationVar(&o.Lag, "lag", 0, "replication lag: new objects are invisible for this long (e.g. 2s)")
	fs.StringVar(&o.Stats, "stats", "", "write request counts per path as JSON to this file on exit")
	fs.StringVar(&seed, "seed", "", `JSON file of unmanaged applications to create, to try import: {"applications": [{"displayName": …, "appId": …}]}`)
	fs.BoolVar(&github, "github", false, "also serve a fake GitHub that receives delivered secrets (GITHUB_API_URL and APPREG_SECRETS_TOKEN in DIR/env)")
	fs.StringVar(&repos, "github-repos", "", "comma-separated owner/name repositories the fake GitHub has, besides those the registration files of --config deliver to")
	fs.StringVar(&config, "config", "appreg.yaml", "with --github: the settings file whose registrations name the repositories secrets go to")
	repo := fs.String("repo", demoRepository, "the repository (owner/name) the files you try belong to: APPREG_REPOSITORY in DIR/env, so that plan, apply and rotate act for it")
	grant := fs.String("grant", "", "comma-separated Graph application permissions to grant the operator beyond the least privilege it has by default ("+strings.Join(emulator.LeastPrivilegeRoles, ", ")+"), e.g. Application.ReadWrite.All to adopt apps it does not own")
	if err := parse(fs, e, args); err != nil {
		return err
	}
	o.GrantRoles = splitList(*grant)
	if o.Dir == "" {
		return usageError("appreg emulator needs --dir DIR for the CA certificate and the env file")
	}
	o.Users = splitList(users)
	if !validRepo(*repo) {
		return usageError("--repo %q is not a GitHub repository: write owner/name", *repo)
	}
	o.Env = append(o.Env, [2]string{"APPREG_REPOSITORY", *repo})
	if seed != "" {
		f, err := emulator.LoadSeedFile(seed)
		if err != nil {
			return err
		}
		o.Setup = func(s *emulator.Server) ([]string, error) {
			ids, err := s.SeedApplications(f)
			notes := make([]string, len(ids))
			for i, id := range ids {
				notes[i] = fmt.Sprintf("Unmanaged app:    %v (appId %s), from %s", f.Applications[i]["displayName"], id, seed)
			}
			return notes, err
		}
	}
	if github {
		gh, err := fakeGitHub(o.Dir, config, splitList(repos))
		if err != nil {
			return err
		}
		defer gh.Close()
		fmt.Fprintf(e.stdout, "Fake GitHub: %s (read a delivered secret with: appreg emulator secret --dir %s REPO NAME)\n", gh.URL(), o.Dir)
		o.Env = append(o.Env, [2]string{"GITHUB_API_URL", gh.URL()}, [2]string{"APPREG_SECRETS_TOKEN", gh.token})
	}
	return emulator.Run(ctx, o, e.stdout)
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// emulatedGitHub is a fake GitHub with the token that may write its secrets.
type emulatedGitHub struct {
	*ghtest.Server
	token string
}

// fakeGitHub starts a fake GitHub with the repositories the registrations
// of config deliver secrets to (when config exists) and repos, a token that
// may write secrets, and a reveal token in DIR/github-reveal-token (0600)
// that only `appreg emulator secret` uses.
func fakeGitHub(dir, config string, repos []string) (*emulatedGitHub, error) {
	if _, err := os.Stat(config); err == nil {
		loaded, diags := spec.Load(config)
		if err := diags.Err(); err != nil {
			return nil, err
		}
		repos = append(repos, deliveryRepos(loaded.Desired)...)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("starting the fake GitHub: %w", err)
	}
	gh := &emulatedGitHub{Server: ghtest.New(), token: "ghs_" + rand.Text()}
	gh.AddToken(gh.token)
	for _, r := range repos {
		gh.AddRepo(r)
	}
	reveal := rand.Text()
	gh.SetRevealToken(reveal)
	path := filepath.Join(dir, "github-reveal-token")
	if err := os.WriteFile(path, []byte(reveal), 0o600); err != nil {
		gh.Close()
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return gh, nil
}
