package emulator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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
	for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST", "APPREG_GRAPH_URL", "SSL_CERT_FILE"} {
		if env[k] == "" {
			t.Errorf("env lacks %s", k)
		}
	}
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
	if !strings.Contains(out.String(), "Requests (") {
		t.Errorf("no request counts printed:\n%s", out.String())
	}
	raw, err := os.ReadFile(statsFile)
	var stats map[string]int
	if err != nil || json.Unmarshal(raw, &stats) != nil {
		t.Errorf("stats file: %v %s", err, raw)
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
