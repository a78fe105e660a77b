package spec

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestTooManyValues checks that the error for a file with too many values
// says what is too big: an alias bomb is told about its aliases, a large
// file without aliases about its size.
func TestTooManyValues(t *testing.T) {
	t.Parallel()
	const settings = "apiVersion: appreg/v1\ntenantId: 8d3d5a53-6c2c-4a6c-9b0e-4f5a2b1c9d7e\n"
	head := "apiVersion: appreg/v1\nname: big\ndisplayName: Big\n"

	var plain strings.Builder
	plain.WriteString(head + "tags:\n")
	for range maxVisits + 10 {
		plain.WriteString("  - t\n")
	}
	bomb := head + "tags: [&a t" + strings.Repeat(", *a", maxVisits+10) + "]\n"
	for _, tc := range []struct {
		name, file, want, notWant string
	}{
		{"no aliases", plain.String(), "the file has more than 100000 values", "aliases"},
		{"alias bomb", bomb, "YAML aliases here expand to more than 100000 values", "the file has more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{
				"appreg.yaml":            {Data: []byte(settings)},
				"registrations/big.yaml": {Data: []byte(tc.file)},
			}
			_, diags := LoadFS(fsys, "appreg.yaml")
			got := diags.Err()
			if got == nil || !strings.Contains(got.Error(), tc.want) || strings.Contains(got.Error(), tc.notWant) {
				t.Errorf("diagnostics = %v\nwant one containing %q and none containing %q", got, tc.want, tc.notWant)
			}
		})
	}
}
