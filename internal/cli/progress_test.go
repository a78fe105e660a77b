package cli

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"testing"
)

// TestProgressLines checks that apply's per-registration records become one
// progress line each, and that the -v log still gets every record.
func TestProgressLines(t *testing.T) {
	t.Parallel()
	var progress, verbose bytes.Buffer
	log := newProgressLogger(&progress, slog.New(slog.NewTextHandler(&verbose, nil)))
	ctx := context.Background()
	log.With("registration", "jupyterhub", "action", "create").InfoContext(ctx, "applied", "appId", "x")
	log.With("registration", "orders-api", "action", "update").ErrorContext(ctx, "apply failed", "error", "boom")
	log.InfoContext(ctx, "reading the tenant")

	want := regexp.MustCompile(`^  ✓ create jupyterhub \(\d\d:\d\d:\d\d\)\n  ✗ update orders-api \(\d\d:\d\d:\d\d\)\n$`)
	if !want.Match(progress.Bytes()) {
		t.Errorf("progress =\n%s\nwant lines matching %s", progress.String(), want)
	}
	if n := bytes.Count(verbose.Bytes(), []byte("\n")); n != 3 {
		t.Errorf("verbose log has %d lines, want 3:\n%s", n, verbose.String())
	}
}
