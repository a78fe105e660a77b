package render

import (
	"strings"
	"testing"
)

func TestFence(t *testing.T) {
	t.Parallel()
	got := fence("a ```` b\x1b[31m")
	want := "`````text\na ```` b[31m\n`````\n"
	if got != want {
		t.Errorf("fence = %q, want %q", got, want)
	}
}

func TestJoinForSummary(t *testing.T) {
	t.Parallel()
	part := strings.Repeat("x", 65000)
	parts := make([]string, 20)
	for i := range parts {
		parts[i] = part
	}
	got := JoinForSummary(parts)
	if len(got) > maxSummary {
		t.Errorf("summary is %d bytes, over %d", len(got), maxSummary)
	}
	if !strings.Contains(got, "4 parts are left out") {
		t.Errorf("summary does not say what was left out: …%s", got[len(got)-200:])
	}
	if got := JoinForSummary([]string{"a", "b"}); got != "a\nb" {
		t.Errorf("JoinForSummary(a, b) = %q", got)
	}
}
