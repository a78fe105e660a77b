package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// RunOptions configure the standalone emulator (`appreg emulator`).
type RunOptions struct {
	// Listen is the address to serve on; default 127.0.0.1:8443.
	Listen string
	// Dir receives ca.pem and env; it is created when missing.
	Dir string
	// Users are user principal names to seed.
	Users []string
	// Groups are display names of security groups to seed.
	Groups []string
	// Latency, ThrottleRate and Lag set the injected faults (Lag is
	// Faults.LagFor).
	Latency      time.Duration
	ThrottleRate float64
	Lag          time.Duration
	// Stats, when set, is a file that receives the request counts as JSON
	// on shutdown.
	Stats string
	// Setup, when set, prepares the tenant before it is announced (seed
	// applications); what it returns is printed.
	Setup func(*Server) ([]string, error)
	// Env are more KEY=value lines for DIR/env (a fake GitHub's URL and
	// token), in order.
	Env [][2]string
	// GrantRoles are Graph application permissions the operator gets
	// beyond LeastPrivilegeRoles.
	GrantRoles []string
}

// Run serves an emulator until ctx is done. It writes DIR/ca.pem and
// DIR/env (mode 0600, shell-sourceable KEY=value lines with the operator's
// credentials, the authority host, the Graph URL and SSL_CERT_FILE, and the
// same credentials as ARM_* variables with ARM_METADATA_HOSTNAME for
// Terraform's azuread provider), prints how to use them (never the secret),
// and on shutdown prints the request counts per path.
func Run(ctx context.Context, o RunOptions, stdout io.Writer) error {
	if o.Dir == "" {
		return errors.New("running emulator: a directory for ca.pem and env is required")
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:8443"
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return fmt.Errorf("running emulator: %w", err)
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return fmt.Errorf("running emulator: %w", err)
	}
	s, err := Listen(o.Listen, Options{Users: o.Users, GrantRoles: o.GrantRoles, Groups: o.Groups})
	if err != nil {
		return fmt.Errorf("running emulator: %w", err)
	}
	defer s.Close()
	var notes []string
	if o.Setup != nil {
		if notes, err = o.Setup(s); err != nil {
			return fmt.Errorf("running emulator: %w", err)
		}
	}
	s.SetFaults(Faults{Latency: o.Latency, ThrottleRate: o.ThrottleRate, LagFor: o.Lag})

	caPath := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caPath, s.CACertPEM(), 0o644); err != nil {
		return fmt.Errorf("writing CA certificate: %w", err)
	}
	op := s.Operator()
	env := []struct{ k, v string }{
		{"AZURE_TENANT_ID", op.TenantID},
		{"AZURE_CLIENT_ID", op.ClientID},
		{"AZURE_CLIENT_SECRET", op.ClientSecret},
		{"AZURE_AUTHORITY_HOST", s.AuthorityHost()},
		{"APPREG_GRAPH_URL", s.GraphURL()},
		{"APPREG_ARM_URL", s.URL()},
		{"SSL_CERT_FILE", caPath},
		// Terraform's azuread provider: it reads the cloud from
		// https://ARM_METADATA_HOSTNAME/metadata/endpoints.
		{"ARM_TENANT_ID", op.TenantID},
		{"ARM_CLIENT_ID", op.ClientID},
		{"ARM_CLIENT_SECRET", op.ClientSecret},
		{"ARM_USE_CLI", "false"},
		{"ARM_METADATA_HOSTNAME", strings.TrimPrefix(s.URL(), "https://")},
	}
	var b strings.Builder
	b.WriteString("# appreg emulator credentials: source with `set -a; . ./env; set +a`\n")
	for _, kv := range env {
		fmt.Fprintf(&b, "%s=%s\n", kv.k, shellQuote(kv.v))
	}
	for _, kv := range o.Env {
		fmt.Fprintf(&b, "%s=%s\n", kv[0], shellQuote(kv[1]))
	}
	envPath := filepath.Join(dir, "env")
	if err := writePrivate(envPath, b.String()); err != nil {
		return fmt.Errorf("writing env file: %w", err)
	}

	fmt.Fprintf(stdout, "appreg emulator: Microsoft Entra tenant %s\n", op.TenantID)
	fmt.Fprintf(stdout, "  Microsoft Graph:  %s\n", s.GraphURL())
	fmt.Fprintf(stdout, "  Authority host:   %s\n", s.AuthorityHost())
	fmt.Fprintf(stdout, "  Azure Resource Manager: %s (APPREG_ARM_URL; appreg's identity holds Role Based Access Control Administrator over every subscription)\n", s.URL())
	if len(o.Groups) > 0 {
		fmt.Fprintf(stdout, "  Groups:           %s\n", strings.Join(o.Groups, ", "))
	}
	fmt.Fprintf(stdout, "  Cloud metadata:   %s/metadata/endpoints (ARM_METADATA_HOSTNAME, for Terraform)\n", s.URL())
	fmt.Fprintf(stdout, "  CA certificate:   %s\n", caPath)
	fmt.Fprintf(stdout, "  Operator app:     %s (secret in %s)\n", op.ClientID, envPath)
	for _, n := range notes {
		fmt.Fprintf(stdout, "  %s\n", n)
	}
	fmt.Fprintf(stdout, "  Its permissions:  %s (--grant adds more)\n", strings.Join(s.operatorRoles, ", "))
	fmt.Fprintf(stdout, "Use it from a shell with:\n  set -a; . %s; set +a\n", shellQuote(envPath))
	fmt.Fprintln(stdout, "Serving until interrupted.")

	<-ctx.Done()
	if err := s.Close(); err != nil {
		return err
	}
	stats := s.Stats()
	keys := make([]string, 0, len(stats))
	for k := range stats {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(stdout, "Requests (%d in total):\n", s.TotalRequests())
	for _, k := range keys {
		fmt.Fprintf(stdout, "  %6d  %s\n", stats[k], k)
	}
	if o.Stats != "" {
		data, err := json.MarshalIndent(stats, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding request counts: %w", err)
		}
		if err := os.WriteFile(o.Stats, append(data, '\n'), 0o644); err != nil {
			return fmt.Errorf("writing request counts: %w", err)
		}
	}
	return nil
}

// writePrivate writes a file readable only by its owner, even when it
// existed with wider permissions.
func writePrivate(path, content string) error {
	// Written beside and renamed into place, so that a script (or a test)
	// waiting for the file never reads it half-written.
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename: nothing to remove
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// shellQuote quotes a value for a POSIX shell when it needs it.
func shellQuote(v string) string {
	safe := true
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./:~@%+=,", c)) {
			safe = false
			break
		}
	}
	if safe && v != "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
