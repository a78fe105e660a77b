package spec

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// workspace writes appreg.yaml (settings) and registration files into a
// temporary folder and returns the path of appreg.yaml.
func workspace(t *testing.T, settings string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "registrations"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "appreg.yaml"), []byte(settings), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, "registrations", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "appreg.yaml")
}

const smallApp = "apiVersion: appreg/v1\nname: orders-api\ndisplayName: Orders API\n"

// bigApp is a valid registration padded with a comment to size bytes.
func bigApp(size int) string {
	return smallApp + "# " + strings.Repeat("x", size-len(smallApp)-3) + "\n"
}

// TestOversizedFileIsRefusedBeforeParsing: a registration file over
// limits.maxFileSize (1 MiB by default) is refused with an error naming it
// and its size; a valid file next to it is still read.
func TestOversizedFileIsRefusedBeforeParsing(t *testing.T) {
	t.Parallel()
	cfg := workspace(t, defaultConfig, map[string]string{
		"huge.yaml":       bigApp(50 << 20),
		"orders-api.yaml": smallApp,
	})
	res, diags := Load(cfg)
	got := all(diags)
	if !strings.Contains(got, "huge.yaml is 50 MiB, more than the 1 MiB a file may have") || !strings.Contains(got, "limits.maxFileSize") {
		t.Errorf("diagnostics %q do not say which file is too big and by how much", got)
	}
	if res.Desired.Get("orders-api") == nil {
		t.Error("the valid file next to it was not read")
	}
}

func TestMaxFileSizeIsConfigurable(t *testing.T) {
	t.Parallel()
	cfg := workspace(t, defaultConfig+"limits: {maxFileSize: 2MiB}\n", map[string]string{"orders-api.yaml": bigApp(3 << 19)})
	res, diags := Load(cfg)
	if diags.HasErrors() || res.Desired.Get("orders-api") == nil {
		t.Errorf("a 1.5 MiB file under a 2 MiB limit: %v", diags)
	}
	for _, bad := range []string{"64MiB", "0", "1 GB", "lots"} {
		_, diags := parseSettings("appreg.yaml", []byte(defaultConfig+"limits: {maxFileSize: "+bad+"}\n"))
		if !strings.Contains(all(diags), "limits.maxFileSize") {
			t.Errorf("maxFileSize %q accepted: %v", bad, diags)
		}
	}
}

// TestSymlinksUnderRegistrationsAreRefused: a link in the registrations
// folder is never followed, so a file outside the repository (here a
// credentials file) never reaches the parser or its diagnostics.
func TestSymlinksUnderRegistrationsAreRefused(t *testing.T) {
	t.Parallel()
	outside := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(outside, []byte("aws_secret_access_key: wJalrXUtnFEMI\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := workspace(t, defaultConfig, map[string]string{"orders-api.yaml": smallApp})
	link := filepath.Join(filepath.Dir(cfg), "registrations", "creds.yaml")
	if err := os.Symlink(outside, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	_, diags := Load(cfg)
	got := all(diags)
	if !strings.Contains(got, "creds.yaml is a symbolic link") {
		t.Errorf("diagnostics %q do not refuse the link by name", got)
	}
	if strings.Contains(got, "aws_secret_access_key") || strings.Contains(got, "wJalr") {
		t.Errorf("the linked file was read: %q", got)
	}

	// A registrations folder that is itself a link.
	cfg2 := workspace(t, defaultConfig, nil)
	regs := filepath.Join(filepath.Dir(cfg2), "registrations")
	os.Remove(regs)
	if err := os.Symlink(filepath.Dir(outside), regs); err != nil {
		t.Fatal(err)
	}
	_, diags = Load(cfg2)
	if !strings.Contains(all(diags), "registrations is a symbolic link") {
		t.Errorf("a linked registrations folder: %q", all(diags))
	}
}

// TestLoadStopsWhenCancelled: a cancelled load reads nothing more and says
// why.
func TestLoadStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	cfg := workspace(t, defaultConfig, map[string]string{"orders-api.yaml": smallApp})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res, diags := LoadContext(ctx, cfg)
	if !strings.Contains(all(diags), "stopped: context canceled") || len(res.Desired.Registrations) != 0 {
		t.Errorf("cancelled load: %v, %d registrations", diags, len(res.Desired.Registrations))
	}
}

// all joins diagnostics for matching in tests.
func all(diags interface{ Err() error }) string {
	if err := diags.Err(); err != nil {
		return err.Error()
	}
	return ""
}
