package cli

import (
	"strings"
	"testing"
)

func TestCheckRepo(t *testing.T) {
	t.Parallel()
	tests := []struct{ repo, want string }{
		{"contoso/apps", ""},
		{"", "needs the repository these files belong to"},
		{"contoso", `--repo "contoso" is not a GitHub repository`},
		{"contoso/apps/extra", "is not a GitHub repository"},
		{"/apps", "is not a GitHub repository"},
		{"contoso/ap ps", "is not a GitHub repository"},
	}
	for _, tt := range tests {
		err := (&globals{repo: tt.repo}).checkRepo("plan")
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v", tt.repo, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q: %v, want %q", tt.repo, err, tt.want)
		}
	}
}
