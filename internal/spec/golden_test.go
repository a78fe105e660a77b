package spec

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// defaultConfig is the appreg.yaml of test cases that do not bring one.
const defaultConfig = `apiVersion: appreg/v1
tenantId: 8d3d5a53-6c2c-4a6c-9b0e-4f5a2b1c9d7e
namePrefix: contoso-
`

// readArchive parses a txtar archive: "-- name --" lines start files.
func readArchive(data string) map[string]string {
	files := map[string]string{}
	name := ""
	for line := range strings.Lines(data) {
		trimmed := strings.TrimRight(line, "\n")
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") && len(trimmed) > 6 {
			name = strings.TrimSpace(trimmed[3 : len(trimmed)-3])
			files[name] = ""
			continue
		}
		if name != "" {
			files[name] += line
		}
	}
	return files
}

// archiveFS turns an archive into a file system, adding the default
// appreg.yaml unless the archive has one (or a file named NO-CONFIG).
func archiveFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	_, has := files["appreg.yaml"]
	_, none := files["NO-CONFIG"]
	if !has && !none {
		fsys["appreg.yaml"] = &fstest.MapFile{Data: []byte(defaultConfig)}
	}
	return fsys
}

// TestInvalid loads each testdata/invalid/*.txtar tree and compares its
// diagnostics with the .golden file next to it; -update rewrites them.
func TestInvalid(t *testing.T) {
	t.Parallel()
	cases, err := filepath.Glob("testdata/invalid/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Errorf("only %d invalid cases, want at least 30", len(cases))
	}
	for _, c := range cases {
		name := strings.TrimSuffix(filepath.Base(c), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(c)
			if err != nil {
				t.Fatal(err)
			}
			_, diags := LoadFS(archiveFS(readArchive(string(data))), "appreg.yaml")
			if !diags.HasErrors() {
				t.Errorf("no errors for an invalid tree")
			}
			var b strings.Builder
			for _, d := range diags {
				b.WriteString(d.String())
				b.WriteString("\n")
			}
			golden := strings.TrimSuffix(c, ".txtar") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), b.String()); diff != "" {
				t.Errorf("diagnostics differ from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}
