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
// A new application's audience is called out only when it is not the
// single-tenant default.
func notices(c plan.Change) []notice {
	var out []notice
	if c.Action == plan.Delete {
		out = append(out, notice{Key: c.Key, Label: "deletes application", Values: nonEmpty(c.AppID), Hint: "soft delete, restorable for 30 days"})
	}
	if len(c.Privileged) > 0 {
		out = append(out, notice{Key: c.Key, Label: "requests privileged permissions", Values: c.Privileged})
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
		shown := masked(f)
		switch {
		case f.Category == appreg.CategoryAudienceChange:
			if c.Action == plan.Create && f.New == appreg.AudienceMyOrg {
				continue
			}
			out = append(out, change(c.Key, "audience", shown))
		case f.Category == appreg.CategoryOwnerChange:
			out = append(out, change(c.Key, "owners", shown))
		case f.Category == appreg.CategoryCredentialChange && strings.HasPrefix(f.Path, "credentials.secrets["):
			out = append(out, notice{Key: c.Key, Label: "client secret " + f.Item + ": " + shown.After})
		case f.Category == appreg.CategoryPolicyChange:
			out = append(out, notice{Key: c.Key, Label: "changes " + f.Path + " (judged by the base commit's policy)"})
		case addsApplication && f.Section == plan.SectionAccess && f.Category == appreg.CategoryApplicationPermission && !absent(f.New):
			n := change(c.Key, "application permissions on "+f.Item, shown)
			n.Label = "requests " + strings.TrimPrefix(strings.TrimPrefix(n.Label, "sets "), "changes ")
			out = append(out, n)
		}
	}
	return out
}

// absent reports whether a typed field value is absent or an empty set.
func absent(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case []string:
		return len(v) == 0
	case string:
		return v == ""
	}
	return false
}

// change is the notice for one field diff: "sets" a value that was empty,
// otherwise "changes" it from one value to another.
func change(key, what string, f plan.FieldDiff) notice {
	if absent(f.Old) {
		return notice{Key: key, Label: "sets " + what, Values: []string{f.After}}
	}
	return notice{Key: key, Label: "changes " + what, From: f.Before, To: orNone(f.After)}
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
