package diag

import (
	"errors"
	"testing"
)

func TestDiagnosticString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{Summary: "bad", File: "a.yaml", Line: 3, Column: 7}, "a.yaml:3:7: error: bad"},
		{Diagnostic{Severity: Warning, Summary: "meh", Detail: "fix it", File: "a.yaml"}, "a.yaml: warning: meh (fix it)"},
		{Diagnostic{Summary: "no file"}, "error: no file"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestErrOnlyWithErrors(t *testing.T) {
	t.Parallel()
	ds := Diagnostics{{Severity: Warning, Summary: "w"}}
	if ds.Err() != nil {
		t.Fatal("warnings alone must not be an error")
	}
	ds = append(ds, Diagnostic{Summary: "e", File: "f", Line: 1})
	var le *ListError
	if !errors.As(ds.Err(), &le) || len(le.Diagnostics) != 2 {
		t.Fatalf("Err() = %v, want a *ListError with both diagnostics", ds.Err())
	}
	if got, want := ds.Err().Error(), "f:1: error: e"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
