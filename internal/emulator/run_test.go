package emulator

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	statsFile := filepath.Join(dir, "stats.json")
	ctx, cancel := context.WithCancel(t.Context())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, RunOptions{Listen: "127.0.0.1:0", Dir: dir, Users: []string{"alice@contoso.com"}, Stats: statsFile}, &out)
	}()

	envPath := filepath.Join(dir, "env")
	var env map[string]string
	deadline := time.After(30 * time.Second)
	for env == nil {
		select {
		case err := <-done:
			t.Fatalf("Run ended early: %v", err)
		case <-deadline:
			t.Fatal("env file never appeared")
		case <-time.After(10 * time.Millisecond):
		}
		if !strings.Contains(out.String(), "Serving until interrupted") {
			continue
		}
		env = readEnv(t, envPath)
	}
	info, err := os.Stat(envPath)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("env mode = %v, %v", info.Mode(), err)
	}
	for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST", "APPREG_GRAPH_URL", "SSL_CERT_FILE",
		"ARM_TENANT_ID", "ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_USE_CLI", "ARM_METADATA_HOSTNAME"} {
		if env[k] == "" {
			t.Errorf("env lacks %s", k)
		}
	}
	// Terraform's azuread provider gets the same identity and finds the
	// cloud at ARM_METADATA_HOSTNAME.
	for arm, azure := range map[string]string{"ARM_TENANT_ID": "AZURE_TENANT_ID", "ARM_CLIENT_ID": "AZURE_CLIENT_ID", "ARM_CLIENT_SECRET": "AZURE_CLIENT_SECRET"} {
		if env[arm] != env[azure] {
			t.Errorf("%s = %q, want %s's %q", arm, env[arm], azure, env[azure])
		}
	}
	if env["ARM_USE_CLI"] != "false" {
		t.Errorf("ARM_USE_CLI = %q", env["ARM_USE_CLI"])
	}
	if want := strings.TrimSuffix(strings.TrimPrefix(env["APPREG_GRAPH_URL"], "https://"), "/v1.0"); env["ARM_METADATA_HOSTNAME"] != want {
		t.Errorf("ARM_METADATA_HOSTNAME = %q, want %q", env["ARM_METADATA_HOSTNAME"], want)
	}
	ca, err := os.ReadFile(env["SSL_CERT_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	for range 2 {
		resp, err := hc.Get("https://" + env["ARM_METADATA_HOSTNAME"] + "/metadata/endpoints?api-version=2022-09-01")
		if err != nil {
			t.Fatalf("metadata endpoint: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("metadata endpoint: %s", resp.Status)
		}
	}
	hc.CloseIdleConnections()
	if strings.Contains(out.String(), env["AZURE_CLIENT_SECRET"]) {
		t.Error("stdout shows the client secret")
	}
	if _, err := os.Stat(env["SSL_CERT_FILE"]); err != nil {
		t.Errorf("ca.pem: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !strings.Contains(out.String(), "Requests (2 in total):") || !strings.Contains(out.String(), "     2  GET /metadata/endpoints\n") {
		t.Errorf("per-path request counts not printed:\n%s", out.String())
	}
	raw, err := os.ReadFile(statsFile)
	var stats map[string]int
	if err != nil || json.Unmarshal(raw, &stats) != nil {
		t.Errorf("stats file: %v %s", err, raw)
	}
	if stats["GET /metadata/endpoints"] != 2 {
		t.Errorf("stats file = %s", raw)
	}
}

func readEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			env[k] = strings.Trim(v, "'")
		}
	}
	return env
}
