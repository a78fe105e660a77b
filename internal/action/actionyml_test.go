package action

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/appreg/appreg/internal/workflow"
)

var actionImage = regexp.MustCompile(`^docker://ghcr\.io/appreg/appreg(:v1|@sha256:[0-9a-f]{64})$`)

// TestActionYAML keeps action.yml and the code in step: the inputs it
// declares are the ones Parse reads, the outputs the ones runs set, and it
// runs `appreg action` from the published image.
func TestActionYAML(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Inputs  map[string]struct{ Default string } `yaml:"inputs"`
		Outputs map[string]any                      `yaml:"outputs"`
		Runs    struct {
			Using, Image string
			Args         []string
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}

	var read []string
	if _, err := Parse(func(k string) string {
		if name, ok := strings.CutPrefix(k, "INPUT_"); ok {
			read = append(read, strings.ToLower(name))
		}
		return ""
	}); err != nil {
		t.Fatal(err)
	}
	var declared []string
	for name := range meta.Inputs {
		declared = append(declared, name)
	}
	slices.Sort(read)
	slices.Sort(declared)
	if diff := cmp.Diff(declared, read); diff != "" {
		t.Errorf("inputs: action.yml (-) and Parse (+) differ:\n%s", diff)
	}
	if d := meta.Inputs["command"].Default; d != workflow.CommandAuto {
		t.Errorf("command defaults to %q, want %q", d, workflow.CommandAuto)
	}

	var outputs []string
	for name := range meta.Outputs {
		outputs = append(outputs, name)
	}
	slices.Sort(outputs)
	if diff := cmp.Diff([]string{"drift-issue", "has-changes", "plan-json", "result-json"}, outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	// Between releases action.yml names the major tag; the commit a release
	// tags names the image it built by digest (the release workflow writes
	// it), so that pinning the action pins the code.
	if meta.Runs.Using != "docker" || !actionImage.MatchString(meta.Runs.Image) || !slices.Equal(meta.Runs.Args, []string{"action"}) {
		t.Errorf("runs = %+v, want the prebuilt image running `appreg action`", meta.Runs)
	}
}
