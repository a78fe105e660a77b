// Package internal_test enforces the import directions of the package table (README, "How it is built"):
// pure stages in the middle, I/O adapters at the edges, and the heavy SDKs
// (msgraph-sdk-go, go-github) each confined to one adapter so that every
// other package builds and tests in seconds.
package internal_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/appreg/appreg/internal/"

// allowed lists, per package, the appreg packages its non-test files may
// import. A package missing from the table fails the test: add it
// deliberately.
var allowed = map[string][]string{
	// The package table of the README's architecture. Where the code needs more than the
	// design lists, the extra imports follow "+" and the comment says why.
	"appreg":           {},
	"diag":             {},
	"catalog":          {},                                              // + the permission catalog (embedded data), a leaf like appreg
	"spec":             {"appreg", "diag" /* + */, "catalog"},           // + validate offline names permissions
	"graph":            {"appreg" /* + */, "catalog"},                   // + reads resource catalogs
	"emulator":         {"appreg", "catalog"},                           // the design says none; its own constants are another issue's
	"plan":             {"appreg", "diag" /* + */, "catalog", "rotate"}, // + resolves permissions; plans secret rotation decisions
	"render":           {"plan", "appreg" /* + */, "diag", "rotate"},    // + renders messages with diagnostics and rotation results
	"apply":            {"plan", "appreg"},
	"rotate":           {"appreg"},
	"policy":           {"plan", "appreg"},
	"advice":           {"appreg", "diag", "plan"},
	"tfimport":         {},
	"gh":               {},
	"gh/ghtest":        {},
	"emulator/sdktest": {},
	"workflow":         {"spec", "plan", "render", "apply", "rotate", "policy" /* + */, "appreg", "diag", "catalog", "advice"},
	// The shells. The Action prints diagnostics as annotations (diag) and
	// writes the JSON documents render owns; the webhook server only calls
	// workflow. Neither knows the other.
	"action":  {"workflow" /* + */, "render", "diag"},
	"webhook": {"workflow", "store"},
	"arm":     {"appreg"},
	"store":   {},
	// redistest runs a redis-server for the tests of store and cmd/appreg.
	"store/redistest": {},
	"cli":             nil, // the composition root may import everything
	// Test helpers: the recording fakes of workflow's ports.
	"workflow/workflowtest": {"workflow", "policy", "spec", "diag"},
	"apply/applytest":       {"appreg", "catalog"},
}

// confined maps heavy external modules to the only packages whose files
// (tests included) may import them.
var confined = map[string][]string{
	"github.com/microsoftgraph/":                             {"graph", "emulator/sdktest"},
	"github.com/google/go-github/":                           {"gh"},
	"github.com/bradleyfalzon/ghinstallation":                {"gh"},
	"github.com/redis/go-redis/":                             {"store"},
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/": {"arm"},
}

func TestImportDirections(t *testing.T) {
	t.Parallel()
	pkgs := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || filepath.Dir(path) == "." {
			return nil
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		pkgs[pkg] = true
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		isTest := strings.HasSuffix(path, "_test.go")
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for prefix, only := range confined {
				if strings.HasPrefix(p, prefix) && !slices.Contains(only, pkg) {
					t.Errorf("%s imports %s: only %v may (it is slow to build or owned by one adapter)", path, p, only)
				}
			}
			if isTest || !strings.HasPrefix(p, module) {
				continue
			}
			target := strings.TrimPrefix(p, module)
			rules, known := allowed[pkg]
			switch {
			case !known:
				t.Errorf("package %s is not in the import table of internal/imports_test.go", pkg)
			case rules != nil && !slices.Contains(rules, target):
				t.Errorf("%s imports internal/%s: %s may import only %v (README, How it is built)", path, target, pkg, rules)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg := range pkgs {
		if _, ok := allowed[pkg]; !ok && !strings.Contains(pkg, "/testdata") {
			t.Errorf("package %s is not in the import table of internal/imports_test.go", pkg)
		}
	}
}
