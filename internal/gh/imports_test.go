package gh_test

import (
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports holds the line of the package table (README, "How it is built"): gh imports no other appreg
// package, and ghtest's non-test files import neither appreg nor go-github.
func TestImports(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dir       string
		forbidden []string
	}{
		{".", []string{"github.com/appreg/appreg/"}},
		{"ghtest", []string{"github.com/appreg/appreg/", "github.com/google/go-github/"}},
	}
	for _, tt := range tests {
		files, err := filepath.Glob(filepath.Join(tt.dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(gotoken.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				for _, bad := range tt.forbidden {
					if strings.HasPrefix(p, bad) {
						t.Errorf("%s imports %s", f, p)
					}
				}
			}
		}
	}
}
