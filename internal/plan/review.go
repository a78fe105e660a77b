package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"

	"github.com/appreg/appreg/internal/appreg"
)

// What a reviewer is shown of a change besides its fields: its categories,
// its risk, and the plan's fingerprint.

// categories are the change categories of the fields. Application
// permissions and consent are categorised from the grants and the
// permissions added (removing one needs no approval), not per field.
func categories(fields []FieldDiff) []appreg.Category {
	var out []appreg.Category
	for _, f := range fields {
		switch f.Category {
		case appreg.CategoryAudienceChange, appreg.CategoryOwnerChange, appreg.CategoryCredentialChange, appreg.CategoryRedirectURIChange:
			out = append(out, f.Category)
		}
	}
	return out
}

func uniqueCategories(cs []appreg.Category) []appreg.Category {
	out := []appreg.Category{}
	for _, c := range appreg.Categories {
		if slices.Contains(cs, c) {
			out = append(out, c)
		}
	}
	return out
}

func risk(c Change) Risk {
	high := []appreg.Category{appreg.CategoryPrivilegedPermission, appreg.CategoryAdminConsent, appreg.CategoryDeletion, appreg.CategoryAudienceChange}
	medium := []appreg.Category{appreg.CategoryApplicationPermission, appreg.CategoryOwnerChange, appreg.CategoryCredentialChange, appreg.CategoryRedirectURIChange}
	for _, cat := range c.Categories {
		if slices.Contains(high, cat) {
			return RiskHigh
		}
	}
	for _, cat := range c.Categories {
		if slices.Contains(medium, cat) {
			return RiskMedium
		}
	}
	if c.Action == Adopt {
		return RiskMedium
	}
	return RiskLow
}

// fingerprint hashes what a reviewer is shown of the plan, from typed
// values: per change the registration, action and categories, each field's
// path and typed before and after, the consent granted and revoked, and the
// refusals. An apply compares it with the fingerprint of the plan the
// reviewers saw.
func fingerprint(p *Plan) string {
	type refusal struct {
		Key, AppID string
		Action     Action
	}
	var in struct {
		Changes []shown
		Refused []refusal
	}
	for _, c := range p.Changes {
		in.Changes = append(in.Changes, shownChange(c))
	}
	for _, r := range p.Refused {
		in.Refused = append(in.Refused, refusal{Key: r.Key, AppID: r.AppID, Action: r.Action})
	}
	return hash(in)
}

// shown is what a reviewer is shown of one change.
type shown struct {
	Key, UniqueName, AppID string
	Action                 Action
	Categories             []appreg.Category
	Privileged             []string
	Fields                 []shownField
	Grants, Revokes        []Grant
}

type shownField struct {
	Path     string
	Category appreg.Category
	Old, New any
}

func shownChange(c Change) shown {
	s := shown{Key: c.Key, UniqueName: c.UniqueName, AppID: c.AppID, Action: c.Action, Categories: c.Categories,
		Privileged: c.Privileged, Grants: c.Grants, Revokes: c.Revokes}
	for _, f := range c.Fields {
		s.Fields = append(s.Fields, shownField{Path: f.Path, Category: f.Category, Old: f.Old, New: f.New})
	}
	return s
}

// ChangeFingerprint identifies one change as a reviewer is shown it
// (registration, action, categories, typed before and after of each field,
// consent): an approval is for this change, and apply makes a change that
// needs approval only if an approved pull request showed the same
// fingerprint.
func ChangeFingerprint(c Change) string { return hash(shownChange(c)) }

func hash(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("plan: fingerprint: " + err.Error()) // only plain data is marshalled
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// FieldFingerprints identify each field of a change that has a category
// by what applying it leads to (path, category, typed after value), for
// the remainder of an approved change: a re-run after a partial failure
// has fewer such fields, each with the value reviewers approved.
func FieldFingerprints(c Change) []string {
	out := []string{}
	for _, f := range c.Fields {
		if f.Category == "" {
			continue
		}
		out = append(out, hash(struct {
			Key, Path string
			Category  appreg.Category
			New       any
		}{c.Key, f.Path, f.Category, f.New})[:16])
	}
	return out
}
