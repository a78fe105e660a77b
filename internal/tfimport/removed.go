package tfimport

import (
	"cmp"
	"slices"
	"strings"
)

// Removed returns the `removed` blocks (Terraform 1.7 and later) that make
// Terraform forget every resource whose instances all belong to imported
// applications, without destroying anything, in a stable order. A removed
// block names a resource, never one instance of it, so a resource with any
// unowned instance is left out; Kept lists those.
func (r *Result) Removed() string {
	var b strings.Builder
	for i, res := range r.removable() {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("removed {\n  from = " + res + "\n\n  lifecycle {\n    destroy = false\n  }\n}\n")
	}
	return b.String()
}

// Kept lists the resources left in Terraform because some instance of
// theirs belongs to no imported application.
func (r *Result) Kept() []string {
	var out []string
	for _, in := range r.Unowned {
		if !slices.Contains(out, in.Resource) {
			out = append(out, in.Resource)
		}
	}
	slices.Sort(out)
	return out
}

// removable lists the resources to remove, ordered by type (applications
// first) and address.
func (r *Result) removable() []string {
	kept := r.Kept()
	typeOf := map[string]string{}
	for _, in := range r.Instances {
		if !slices.Contains(kept, in.Resource) {
			typeOf[in.Resource] = in.Type
		}
	}
	out := make([]string, 0, len(typeOf))
	for res := range typeOf {
		out = append(out, res)
	}
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Or(cmp.Compare(slices.Index(Types, typeOf[a]), slices.Index(Types, typeOf[b])), cmp.Compare(a, b))
	})
	return out
}
