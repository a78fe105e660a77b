package advice_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/appreg/appreg/internal/advice"
	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/spec"
)

// defaultConfig is the appreg.yaml of cases that do not bring one.
const defaultConfig = "apiVersion: appreg/v1\ntenantId: 8d3d5a53-6c2c-4a6c-9b0e-4f5a2b1c9d7e\n"

// load reads a txtar case: registration files, an optional appreg.yaml and
// a "want" file with one "file:line ID severity" per expected advice
// ("silenced" in place of the severity for silenced advice).
func load(t *testing.T, path string) (advice.Input, []string) {
	t.Helper()
	ar, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"appreg.yaml": {Data: []byte(defaultConfig)}}
	var want []string
	for _, f := range ar.Files {
		if f.Name == "want" {
			want = strings.Fields(strings.ReplaceAll(string(f.Data), " ", "_"))
			continue
		}
		fsys[f.Name] = &fstest.MapFile{Data: f.Data}
	}
	res, diags := spec.LoadFS(fsys, "appreg.yaml")
	if diags.HasErrors() {
		t.Fatalf("%s does not load: %v", path, diags)
	}
	return advice.Input{Settings: res.Settings, Desired: res.Desired}, want
}

// lines renders advice as the "want" files write it.
func lines(as []plan.Advice) []string {
	out := []string{}
	for _, a := range as {
		state := a.Severity.String()
		if a.Silenced {
			state = "silenced"
		}
		out = append(out, fmt.Sprintf("%s:%d_%s_%s", a.File, a.Line, a.ID, state))
	}
	return out
}

func runCases(t *testing.T, pattern string) {
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases match %s: %v", pattern, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			in, want := load(t, file)
			if diff := cmp.Diff(want, lines(advice.Check(in))); diff != "" {
				t.Errorf("advice (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEachAdvice runs one case per advice: a file that triggers it and one
// that does not.
func TestEachAdvice(t *testing.T) {
	t.Parallel()
	for _, id := range advice.IDs() {
		ar, err := txtar.ParseFile(filepath.Join("testdata", "cases", id+".txtar"))
		if err != nil {
			t.Errorf("advice %s has no case: %v", id, err)
			continue
		}
		triggers, quiet := false, false
		for _, f := range ar.Files {
			if f.Name == "want" {
				triggers = strings.Contains(string(f.Data), " "+id+" ")
			} else if strings.HasPrefix(f.Name, "registrations/") && strings.Contains(f.Name, "-good") {
				quiet = true
			}
		}
		if !triggers || !quiet {
			t.Errorf("case %s: triggers %v, has a quiet (-good) file %v; want both", id, triggers, quiet)
		}
	}
	runCases(t, filepath.Join("testdata", "cases", "*.txtar"))
}

// TestHeldOut checks files written apart from the checks: each gets the
// expected ids at the expected lines.
func TestHeldOut(t *testing.T) {
	t.Parallel()
	runCases(t, filepath.Join("testdata", "heldout", "*.txtar"))
}

// TestExamplesTriggerNone checks that the repository's own example
// registrations follow every piece of advice.
func TestExamplesTriggerNone(t *testing.T) {
	t.Parallel()
	res, diags := spec.Load(filepath.Join("..", "..", "appreg.yaml"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(res.Desired.Registrations) == 0 {
		t.Fatal("no example registrations loaded")
	}
	in := advice.Input{Settings: res.Settings, Desired: res.Desired}
	if got := lines(advice.Check(in)); len(got) > 0 {
		t.Errorf("the examples trigger advice: %v", got)
	}
}

// TestDocsHaveEveryAdvice checks that docs/advice.md has a section per id.
func TestDocsHaveEveryAdvice(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "advice.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range advice.IDs() {
		if !strings.Contains(string(doc), "\n## "+id+": "+advice.Title(id)+"\n") {
			t.Errorf("docs/advice.md has no section \"## %s: %s\"", id, advice.Title(id))
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestObservedFillsUnmanagedFields checks the advice that reads the
// tenant's state for what a file leaves unmanaged.
func TestObservedFillsUnmanagedFields(t *testing.T) {
	t.Parallel()
	src := appreg.Pos{File: "registrations/x.yaml", Line: 2, Column: 7}
	tests := []struct {
		name       string
		want, have *appreg.Registration
		ids        []string
	}{
		{
			name: "consent granted outside appreg",
			want: &appreg.Registration{Name: "x", Source: src, Permissions: []appreg.Permission{{API: "microsoft-graph", Application: []string{"User.Read.All"}}}},
			have: &appreg.Registration{Name: "x", Permissions: []appreg.Permission{{API: "microsoft-graph", ResourceAppID: appreg.MicrosoftGraphAppID, Application: []string{"User.Read.All"}, ConsentedApplication: []string{"User.Read.All"}}}},
		},
		{
			name: "consent missing in the tenant",
			want: &appreg.Registration{Name: "x", Source: src, Permissions: []appreg.Permission{{API: "microsoft-graph", Application: []string{"User.Read.All"}}}},
			have: &appreg.Registration{Name: "x", Permissions: []appreg.Permission{{API: "microsoft-graph", ResourceAppID: appreg.MicrosoftGraphAppID, Application: []string{"User.Read.All"}}}},
			ids:  []string{"AR002"},
		},
		{
			name: "adopted app keeps its redirect URIs",
			want: &appreg.Registration{Name: "x", Source: src, Adopt: &appreg.Adopt{AppID: "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20"},
				Permissions: []appreg.Permission{{API: "microsoft-graph", Delegated: []string{"User.Read"}}},
				Credentials: &appreg.Credentials{Federated: []appreg.FederatedCredential{{Name: "main"}}}},
			have: &appreg.Registration{Observed: &appreg.Observed{AppID: "6A7E1C3B-0D7F-4B8E-9A51-2F0C9E4D1A20"}, Web: &appreg.Web{RedirectURIs: []string{"https://x.contoso.com/cb"}}},
		},
		{
			name: "nobody assigned in the tenant",
			want: &appreg.Registration{Name: "x", Source: src, Web: &appreg.Web{RedirectURIs: []string{"https://x.contoso.com/cb"}}, ServicePrincipal: &appreg.ServicePrincipal{AssignmentRequired: ptr(true)}},
			have: &appreg.Registration{Name: "x", ServicePrincipal: &appreg.ServicePrincipal{Assignments: []appreg.Assignment{}}},
			ids:  []string{"AR005"},
		},
		{
			name: "someone assigned in the portal",
			want: &appreg.Registration{Name: "x", Source: src, Web: &appreg.Web{RedirectURIs: []string{"https://x.contoso.com/cb"}}, ServicePrincipal: &appreg.ServicePrincipal{AssignmentRequired: ptr(true)}},
			have: &appreg.Registration{Name: "x", ServicePrincipal: &appreg.ServicePrincipal{Assignments: []appreg.Assignment{{Kind: appreg.PrincipalGroup, Ref: "Staff"}}}},
		},
		{
			name: "identifier URI set in the tenant",
			want: &appreg.Registration{Name: "x", Source: src, API: &appreg.API{Scopes: []appreg.Scope{{Value: "access"}}}},
			have: &appreg.Registration{Name: "x", IdentifierURIs: []string{"api://x"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := advice.Check(advice.Input{Desired: &appreg.Set{Registrations: []*appreg.Registration{tt.want}}, Observed: &appreg.Set{Registrations: []*appreg.Registration{tt.have}}})
			var ids []string
			for _, a := range got {
				ids = append(ids, a.ID)
				if a.File != src.File || a.Line != src.Line {
					t.Errorf("%s at %s:%d, want the registration's position", a.ID, a.File, a.Line)
				}
			}
			if diff := cmp.Diff(tt.ids, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDiagnostics checks that silenced advice is left out, that advice
// appreg.yaml raises is an error, and that an id that names no advice is
// reported.
func TestDiagnostics(t *testing.T) {
	t.Parallel()
	in, _ := load(t, filepath.Join("testdata", "heldout", "silenced.txtar"))
	ds := advice.Diagnostics(in, advice.Check(in))
	var got []string
	for _, d := range ds {
		got = append(got, d.String())
	}
	want := []string{
		"appreg.yaml:3:1: warning: advice.ignore names AR099, which is no advice (the ids are " + strings.Join(advice.IDs(), ", ") + " (docs/advice.md))",
		"registrations/legacy-sync.yaml:11:7: error: AR006: secret legacy is only delivered to GitHub Actions: sign in from the workflow with a federated credential " +
			"(credentials.federated: - github: {repo: contoso/legacy, …}) and remove the secret (see docs/advice.md#ar006; silence it with advice: {ignore: [AR006]})",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	if !ds.HasErrors() {
		t.Error("advice raised to an error does not make the diagnostics fail")
	}
}
