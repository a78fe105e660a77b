package render

import (
	"encoding/json"
	"io"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/rotate"
)

// planDocument is the JSON form of a plan. Field order is key order, so the
// output is stable; empty lists are written as [] rather than null.
type planDocument struct {
	FormatVersion string            `json:"format_version"`
	Changes       []jsonChange      `json:"changes"`
	Unchanged     []string          `json:"unchanged"`
	Refused       []plan.Refusal    `json:"refused"`
	Secrets       []rotate.Decision `json:"secrets"`
	Diagnostics   diag.Diagnostics  `json:"diagnostics"`
	Advice        []plan.Advice     `json:"advice"`
	Fingerprint   string            `json:"fingerprint"`
	Summary       planCounts        `json:"summary"`
}

// jsonChange is the JSON form of a plan.Change: what it does and why, its
// fields, and the consent grants and revocations, which policy tooling
// reading the JSON needs.
type jsonChange struct {
	Key        string            `json:"key"`
	UniqueName string            `json:"uniqueName"`
	AppID      string            `json:"appId,omitempty"`
	Action     plan.Action       `json:"action"`
	Reason     string            `json:"reason"`
	Why        plan.Reason       `json:"why,omitempty"`
	Fields     []jsonField       `json:"fields"`
	Risk       plan.Risk         `json:"risk"`
	Categories []appreg.Category `json:"categories"`
	Privileged []string          `json:"privileged,omitempty"`
	Hint       string            `json:"hint,omitempty"`
	Grants     []plan.Grant      `json:"grants,omitempty"`
	Revokes    []plan.Grant      `json:"revokes,omitempty"`
}

// jsonField is the JSON form of a plan.FieldDiff: the display values,
// masked when sensitive, and what the field is.
type jsonField struct {
	Path     string          `json:"path"`
	Section  plan.Section    `json:"section,omitempty"`
	Item     string          `json:"item,omitempty"`
	Kind     plan.FieldKind  `json:"kind,omitempty"`
	Category appreg.Category `json:"category,omitempty"`
	Before   string          `json:"before"`
	After    string          `json:"after"`
}

type planCounts struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Adopt     int `json:"adopt"`
	Delete    int `json:"delete"`
	Refused   int `json:"refused"`
	Unchanged int `json:"unchanged"`
	Errors    int `json:"errors"`
}

// PlanJSON writes a plan as a versioned JSON document for machines:
// {"format_version": "1.0", "changes", "unchanged", "refused", "secrets",
// "diagnostics", "fingerprint", "summary"}. Keys come from the plan's json
// tags, in a stable order; sensitive field values are masked.
func PlanJSON(w io.Writer, p *plan.Plan) error {
	c := countPlan(p)
	doc := planDocument{
		FormatVersion: FormatVersion,
		Changes:       make([]jsonChange, len(p.Changes)),
		Unchanged:     orEmpty(p.Unchanged),
		Refused:       orEmpty(p.Refused),
		Secrets:       orEmpty(p.Secrets),
		Diagnostics:   orEmpty(p.Diagnostics),
		Advice:        orEmpty(p.Advice),
		Fingerprint:   p.Fingerprint,
		Summary:       planCounts(c),
	}
	for i, ch := range p.Changes {
		fields := make([]jsonField, len(ch.Fields))
		for j, f := range ch.Fields {
			f = masked(f)
			fields[j] = jsonField{Path: f.Path, Section: f.Section, Item: f.Item, Kind: f.Kind, Category: f.Category, Before: f.Before, After: f.After}
		}
		doc.Changes[i] = jsonChange{
			Key: ch.Key, UniqueName: ch.UniqueName, AppID: ch.AppID, Action: ch.Action, Reason: ch.Reason, Why: ch.Why,
			Fields: fields, Risk: ch.Risk, Categories: orEmpty(ch.Categories), Privileged: ch.Privileged, Hint: ch.Hint,
			Grants: ch.Grants, Revokes: ch.Revokes,
		}
	}
	return encode(w, doc)
}

// resultDocument is the JSON form of an apply result.
type resultDocument struct {
	FormatVersion string           `json:"format_version"`
	Fingerprint   string           `json:"fingerprint"`
	Expected      string           `json:"expectedFingerprint,omitempty"`
	Mismatch      bool             `json:"fingerprintMismatch"`
	Outcomes      []plan.Outcome   `json:"outcomes"`
	Refused       []plan.Refusal   `json:"refused"`
	Secrets       []rotate.Outcome `json:"secrets"`
	Summary       resultCounts     `json:"summary"`
}

// ResultJSON writes the result of an apply as a versioned JSON document:
// {"format_version": "1.0", "fingerprint", "expectedFingerprint",
// "fingerprintMismatch", "outcomes", "refused", "secrets", "summary"}.
func ResultJSON(w io.Writer, r *plan.Result) error {
	doc := resultDocument{
		FormatVersion: FormatVersion,
		Fingerprint:   r.Fingerprint,
		Expected:      r.Expected,
		Mismatch:      fingerprintMismatch(r),
		Outcomes:      make([]plan.Outcome, len(r.Outcomes)),
		Refused:       orEmpty(r.Refused),
		Secrets:       orEmpty(r.Secrets),
		Summary:       countResult(r),
	}
	for i, o := range r.Outcomes {
		o.Steps = orEmpty(o.Steps)
		doc.Outcomes[i] = o
	}
	return encode(w, doc)
}

func encode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func orEmpty[S ~[]E, E any](s S) S {
	if s == nil {
		return S{}
	}
	return s
}
