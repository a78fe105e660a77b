package render

import (
	"slices"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
)

// notice is one privileged change a reviewer must not miss: a privileged or
// new application permission, admin consent, an audience or owner change, a
// deletion. Values are shown as code; From and To, when set, as a change.
type notice struct {
	Key    string
	Label  string
	Values []string
	From   string
	To     string
	Hint   string
}

// notices lists the privileged parts of one change, most severe first.
func notices(c plan.Change) []notice {
	var out []notice
	if c.Action == plan.Delete {
		out = append(out, notice{Key: c.Key, Label: "deletes application", Values: nonEmpty(c.AppID), Hint: "soft delete, restorable for 30 days"})
	}
	if len(c.Privileged) > 0 {
		out = append(out, notice{Key: c.Key, Label: "privileged permissions", Values: c.Privileged})
	}
	if len(c.Grants) > 0 {
		vals := make([]string, len(c.Grants))
		for i, g := range c.Grants {
			vals[i] = g.String()
		}
		out = append(out, notice{Key: c.Key, Label: "grants admin consent", Values: vals})
	}
	addsApplication := slices.Contains(c.Categories, appreg.CategoryApplicationPermission)
	for _, f := range c.Fields {
		f = masked(f)
		switch {
		case f.Path == "audience":
			out = append(out, notice{Key: c.Key, Label: "audience", From: orNone(f.Before), To: orNone(f.After)})
		case f.Path == "owners":
			out = append(out, notice{Key: c.Key, Label: "owners", From: orNone(f.Before), To: orNone(f.After)})
		case addsApplication && strings.HasPrefix(f.Path, "permissions[") && strings.HasSuffix(f.Path, "].application") && f.After != "" && f.After != "[]":
			n := notice{Key: c.Key, Label: "application permissions on " + strings.TrimSuffix(strings.TrimPrefix(f.Path, "permissions["), "].application")}
			if f.Before == "" || f.Before == "[]" {
				n.Values = []string{f.After}
			} else {
				n.From, n.To = f.Before, f.After
			}
			out = append(out, n)
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
