package cli

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGlobalFlags checks that --no-color is taken from anywhere before "--"
// and removed from the command's arguments.
func TestGlobalFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args, want []string
		noColor    bool
	}{
		{[]string{"plan", "--no-color", "--format", "text"}, []string{"plan", "--format", "text"}, true},
		{[]string{"--no-color", "apply"}, []string{"apply"}, true},
		{[]string{"plan", "--", "--no-color"}, []string{"plan", "--", "--no-color"}, false},
		{[]string{"plan"}, []string{"plan"}, false},
	} {
		e := &factory{getenv: func(string) string { return "" }}
		got := e.globalFlags(tc.args)
		if diff := cmp.Diff(tc.want, got); diff != "" || e.noColor != tc.noColor {
			t.Errorf("globalFlags(%q) = %q, noColor %v; want %q, %v (%s)", tc.args, got, e.noColor, tc.want, tc.noColor, diff)
		}
	}
}

// TestVersion checks that --version and version print the same line from
// the build information.
func TestVersion(t *testing.T) {
	t.Parallel()
	var a, b bytes.Buffer
	if code := Main(context.Background(), []string{"--version"}, nil, &a, &a); code != 0 {
		t.Fatalf("--version exit %d: %s", code, a.String())
	}
	if code := Main(context.Background(), []string{"version"}, nil, &b, &b); code != 0 {
		t.Fatalf("version exit %d: %s", code, b.String())
	}
	if a.String() != b.String() || !regexp.MustCompile(`^appreg \S+ \(.*go1\.\d+.*\)\n$`).MatchString(a.String()) {
		t.Errorf("--version %q, version %q: want one line 'appreg VERSION (…, goX)'", a.String(), b.String())
	}
}
