package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/render -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got); run go test ./internal/render -update if the change is intended:\n%s", path, diff)
	}
}

// partBreak separates the parts of a split comment in a golden file.
const partBreak = "\n<!-- ──────── next comment ──────── -->\n\n"

var planFixtures = []struct {
	name string
	plan func() *plan.Plan
}{
	{"no-changes", unchanged},
	{"create", create},
	{"update-drift", drift},
	{"adopt", adopt},
	{"delete-refused", deletion},
	{"privileged", privileged},
	{"diagnostics", diagnostics},
	{"secrets", secrets},
	{"advice", advice},
}

var prContext = Options{Repo: "contoso/identity", Commit: "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"}

func TestPlanGolden(t *testing.T) {
	t.Parallel()
	for _, tt := range planFixtures {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := tt.plan()

			var text, color, js bytes.Buffer
			if err := PlanText(&text, p, Options{}); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".txt", text.Bytes())
			if err := PlanText(&color, p, Options{Color: true}); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".color.txt", color.Bytes())
			if err := PlanJSON(&js, p); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".json", js.Bytes())

			parts := PlanMarkdown(p, prContext)
			golden(t, tt.name+".md", []byte(strings.Join(parts, partBreak)))
			if len(parts) != 1 {
				t.Errorf("a small plan split into %d parts", len(parts))
			}
			if got := StepSummary(p, prContext); got != parts[0] {
				t.Errorf("step summary of a small plan differs from its comment:\n%s", cmp.Diff(parts[0], got))
			}
		})
	}
}

func TestResultGolden(t *testing.T) {
	t.Parallel()
	r := result()
	var text, color, js bytes.Buffer
	if err := ResultText(&text, r, Options{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "result.txt", text.Bytes())
	if err := ResultText(&color, r, Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	golden(t, "result.color.txt", color.Bytes())
	if err := ResultJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "result.json", js.Bytes())
	golden(t, "result.md", []byte(strings.Join(ResultMarkdown(r, prContext), partBreak)))
}
