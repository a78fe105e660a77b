// Package plan compares the desired registrations with the observed tenant
// and describes, as a value, what applying would change: per registration an
// action, a reason, field-level differences, the risk and the change
// categories policy gates on, and the structured steps apply executes.
// Planning is pure: it performs no I/O and never mutates its inputs.
package plan

import (
	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/rotate"
)

// Action is what applying does to one registration.
type Action string

const (
	// Create makes a new application (and service principal). Before is
	// nil; After is the desired registration.
	Create Action = "create"
	// Update changes an existing managed application in place.
	Update Action = "update"
	// Adopt takes over an existing application the repository does not
	// own: an unmanaged one named by `adopt: {appId}`, or a managed one
	// that another repository owns or that no repository owns yet (a
	// claim by uniqueName or appId); then it updates it like Update.
	Adopt Action = "adopt"
	// Delete soft-deletes a managed application whose file was removed.
	// After is nil.
	Delete Action = "delete"
)

// Symbol is the one-character marker renderers show for an action.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Update:
		return "~"
	case Adopt:
		return "!"
	case Delete:
		return "-"
	}
	return " "
}

// Risk ranks how much review a change deserves.
type Risk int

const (
	RiskLow Risk = iota
	RiskMedium
	RiskHigh
)

func (r Risk) String() string {
	switch r {
	case RiskHigh:
		return "high"
	case RiskMedium:
		return "medium"
	}
	return "low"
}

// MarshalText encodes the risk as "low", "medium" or "high".
func (r Risk) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Plan is the full set of changes for one run. It is display-ready: every
// value in it is safe to print (secret values never enter a plan).
type Plan struct {
	// Changes has one entry per registration that differs, sorted by Key.
	Changes []Change `json:"changes"`
	// Unchanged lists the registrations already in the desired state.
	Unchanged []string `json:"unchanged"`
	// Refused lists changes appreg will not make (deletion rails, apps it
	// does not own) and why; they are reported, never applied.
	Refused []Refusal `json:"refused"`
	// Secrets is the state of every declared client secret and what apply
	// (create) or rotate (rotate, remove) will do with it: metadata only.
	Secrets []rotate.Decision `json:"secrets"`
	// Diagnostics are problems found while planning (e.g. a permission the
	// tenant's resource API does not offer).
	Diagnostics diag.Diagnostics `json:"diagnostics"`
	// Fingerprint identifies the changes; apply compares it with the
	// fingerprint a reviewer saw.
	Fingerprint string `json:"fingerprint"`
}

// HasChanges reports whether applying the plan would change anything:
// a registration, or a client secret to create.
func (p *Plan) HasChanges() bool { return len(p.Changes) > 0 || len(p.SecretsToCreate()) > 0 }

// SecretsToCreate are the secrets apply creates: those with no valid
// credential. Due rotations are rotate's job.
func (p *Plan) SecretsToCreate() []rotate.Decision {
	var out []rotate.Decision
	for _, d := range p.Secrets {
		if d.Action == rotate.Create {
			out = append(out, d)
		}
	}
	return out
}

// Change is what applying does to one registration.
//
// Before is the observed registration (nil for Create); After is the desired
// registration with ids assigned (nil for Delete). Fields and Categories are
// for people and policy; the step fields below them are what apply executes,
// and each is idempotent.
type Change struct {
	Key        string               `json:"key"`
	UniqueName string               `json:"uniqueName"`
	AppID      string               `json:"appId,omitempty"`
	Action     Action               `json:"action"`
	Reason     string               `json:"reason"`
	Fields     []FieldDiff          `json:"fields"`
	Risk       Risk                 `json:"risk"`
	Categories []appreg.Category    `json:"categories"`
	Privileged []string             `json:"privileged,omitempty"` // "api:Permission" names matched by policy.privileged
	Hint       string               `json:"hint,omitempty"`       // e.g. how to restore a deleted application
	Before     *appreg.Registration `json:"-"`
	After      *appreg.Registration `json:"-"`

	// UpdateApplication is set when the application object itself needs a
	// PATCH (upsert).
	UpdateApplication bool `json:"-"`
	// DisableFirst names enabled scopes and app roles (by value) that must be
	// disabled in a PATCH of their own before they can be changed or removed.
	DisableFirst []string `json:"-"`
	// UpdateServicePrincipal is set when the service principal must be
	// created or changed.
	UpdateServicePrincipal bool                         `json:"-"`
	AddOwners              []appreg.Owner               `json:"-"`
	RemoveOwners           []appreg.Owner               `json:"-"`
	UpsertFederated        []appreg.FederatedCredential `json:"-"`
	RemoveFederated        []string                     `json:"-"` // names
	// Access is the requiredResourceAccess to write, resolved to ids.
	Access  []appreg.ResourceAccess `json:"-"`
	Grants  []Grant                 `json:"-"` // consent to add
	Revokes []Grant                 `json:"-"` // consent to remove
}

// FieldDiff is one changed field. Path is dotted ("web.redirectUris");
// Before and After are display strings ("" when absent).
type FieldDiff struct {
	Path   string `json:"path"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Grant is tenant-wide consent to one permission on one resource API.
type Grant struct {
	ResourceAppID string `json:"resourceAppId"`
	API           string `json:"api"`  // display name of the resource (alias or registration name)
	Registration  string `json:"-"`    // set when ResourceAppID is not known yet (see ResourceAccess)
	Kind          string `json:"kind"` // "application" or "delegated"
	Value         string `json:"value"`
	ID            string `json:"-"` // app role id for application permissions
}

// String renders "microsoft-graph User.Read.All (application)".
func (g Grant) String() string { return g.API + " " + g.Value + " (" + g.Kind + ")" }

// Refusal is a change appreg will not make, and why.
type Refusal struct {
	Key    string `json:"key"`
	AppID  string `json:"appId,omitempty"`
	Action Action `json:"action"`
	Reason string `json:"reason"`
	// Hint says what the user can do (e.g. the setting to change, or the
	// command restoring a deleted application).
	Hint string `json:"hint,omitempty"`
}
