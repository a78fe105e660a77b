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
	type field struct {
		Path     string
		Category appreg.Category
		Old, New any
	}
	type change struct {
		Key, UniqueName, AppID string
		Action                 Action
		Categories             []appreg.Category
		Privileged             []string
		Fields                 []field
		Grants, Revokes        []Grant
	}
	type refusal struct {
		Key, AppID string
		Action     Action
	}
	var in struct {
		Changes []change
		Refused []refusal
	}
	for _, c := range p.Changes {
		fc := change{Key: c.Key, UniqueName: c.UniqueName, AppID: c.AppID, Action: c.Action, Categories: c.Categories,
			Privileged: c.Privileged, Grants: c.Grants, Revokes: c.Revokes}
		for _, f := range c.Fields {
			fc.Fields = append(fc.Fields, field{Path: f.Path, Category: f.Category, Old: f.Old, New: f.New})
		}
		in.Changes = append(in.Changes, fc)
	}
	for _, r := range p.Refused {
		in.Refused = append(in.Refused, refusal{Key: r.Key, AppID: r.AppID, Action: r.Action})
	}
	b, err := json.Marshal(in)
	if err != nil {
		panic("plan: fingerprint: " + err.Error()) // only plain data is marshalled
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
