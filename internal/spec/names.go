package spec

import (
	"strings"
	"unicode"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/catalog"
)

// suggest returns the candidate nearest to value, or "" when none is
// reasonably close.
func suggest(value string, candidates []string) string { return catalog.Nearest(value, candidates) }

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isLower(c) || isUpper(c) || isDigit(c) }

// only reports whether every byte of s satisfies ok.
func only(s string, ok func(c byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// validName reports whether s is a registration name: [a-z0-9-], 3–64.
func validName(s string) bool { return appreg.ValidName(s) }

// validPrefix reports whether s may prefix registration names in a
// uniqueName, which Graph addresses as uniqueName='…' ([A-Za-z0-9._-]).
func validPrefix(s string) bool {
	return len(s) <= 64 && only(s, func(c byte) bool { return isAlnum(c) || c == '.' || c == '_' || c == '-' })
}

// validOwner reports whether s is a GitHub user or organisation login:
// alphanumerics and single hyphens, not at either end, at most 39.
func validOwner(s string) bool {
	if s == "" || len(s) > 39 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	return only(s, func(c byte) bool { return isAlnum(c) || c == '-' })
}

// validRepoName reports whether s is a GitHub repository name.
func validRepoName(s string) bool {
	return s != "" && s != "." && s != ".." && len(s) <= 100 &&
		only(s, func(c byte) bool { return isAlnum(c) || c == '.' || c == '_' || c == '-' })
}

// validRepo reports whether s is "owner/name".
func validRepo(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	return ok && validOwner(owner) && validRepoName(name)
}

// secretNameProblem explains why s is not a valid GitHub Actions secret
// name (reference/apis.md §15), or returns "".
func secretNameProblem(s string) string {
	switch {
	case s == "":
		return "it is empty"
	case !only(s, func(c byte) bool { return isAlnum(c) || c == '_' }):
		return "it may contain only letters, digits and _"
	case isDigit(s[0]):
		return "it must not start with a digit"
	case strings.HasPrefix(strings.ToUpper(s), "GITHUB_"):
		return "the GITHUB_ prefix is reserved by GitHub"
	}
	return ""
}

// hasSpace reports whether s contains any whitespace.
func hasSpace(s string) bool { return strings.IndexFunc(s, unicode.IsSpace) >= 0 }

// validFederatedName reports whether s is a valid federated credential
// name: 3–120 letters, digits, - and _, starting with a letter or digit.
func validFederatedName(s string) bool {
	return len(s) >= 3 && len(s) <= 120 && isAlnum(s[0]) &&
		only(s, func(c byte) bool { return isAlnum(c) || c == '-' || c == '_' })
}

// validSecretName reports whether s can name a client secret; it becomes
// part of the password credential's displayName "appreg:<name>:<date>".
func validSecretName(s string) bool {
	return s != "" && len(s) <= 64 && only(s, func(c byte) bool { return isAlnum(c) || c == '-' || c == '_' })
}

// permissionValueProblem explains why s cannot be the value of a scope or
// app role, or returns "". Graph allows printable ASCII except space, " and
// \, not starting with a dot.
func permissionValueProblem(s string) string {
	switch {
	case s == "":
		return "it is empty"
	case len(s) > 120:
		return "it is longer than 120 characters"
	case s[0] == '.':
		return "it must not start with a dot"
	case !only(s, func(c byte) bool { return c > ' ' && c < 0x7f && c != '"' && c != '\\' }):
		return "it may contain only letters, digits and punctuation, without spaces, quotes or backslashes"
	}
	return ""
}
