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

// Reason says why a change is planned.
type Reason string

// Reasons of a change.
const (
	// ReasonAbsent: the registration is not in the tenant yet.
	ReasonAbsent Reason = "absent"
	// ReasonAdopt: the file adopts an existing, unmanaged application.
	ReasonAdopt Reason = "adopt"
	// ReasonDrift: the tenant differs from the file.
	ReasonDrift Reason = "drift"
	// ReasonFileRemoved: a managed application has no file any more.
	ReasonFileRemoved Reason = "file-removed"
)

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
// value in it is safe to print (secret values never enter a plan). Its
// JSON form is package render's (PlanJSON), not this type's.
type Plan struct {
	// Changes has one entry per registration that differs, sorted by Key.
	Changes []Change
	// Unchanged lists the registrations already in the desired state.
	Unchanged []string
	// Refused lists changes appreg will not make (deletion rails, apps it
	// does not own) and why; they are reported, never applied.
	Refused []Refusal
	// Secrets is the state of every declared client secret and what apply
	// (create) or rotate (rotate, remove) will do with it: metadata only.
	Secrets []rotate.Decision
	// Diagnostics are problems found while planning (e.g. a permission the
	// tenant's resource API does not offer).
	Diagnostics diag.Diagnostics
	// Advice is what the advice package found about the desired
	// registrations, silenced advice included. It is attached after
	// planning and is not part of the fingerprint.
	Advice []Advice
	// Fingerprint identifies the changes; apply compares it with the
	// fingerprint a reviewer saw.
	Fingerprint string
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
	Key        string
	UniqueName string
	AppID      string
	Action     Action
	Reason     string
	// Why is the reason as a code, for tooling; Reason words it.
	Why        Reason
	Fields     []FieldDiff
	Risk       Risk
	Categories []appreg.Category
	Privileged []string // "api:Permission" names matched by policy.privileged
	Hint       string   // e.g. how to restore a deleted application
	Before     *appreg.Registration
	After      *appreg.Registration
	// Settings marks the change of appreg.yaml itself (Key SettingsKey):
	// reviewers judge it, apply writes nothing for it.
	Settings bool

	// UpdateApplication is set when the application object itself needs a
	// PATCH (upsert).
	UpdateApplication bool
	// DisableFirst names enabled scopes and app roles (by value) that must be
	// disabled in a PATCH of their own before they can be changed or removed.
	DisableFirst []string
	// UpdateServicePrincipal is set when the service principal must be
	// created or changed.
	UpdateServicePrincipal bool
	AddOwners              []appreg.Owner
	RemoveOwners           []appreg.Owner
	UpsertFederated        []appreg.FederatedCredential
	RemoveFederated        []string // names
	// Access is the requiredResourceAccess to write, resolved to ids.
	Access  []appreg.ResourceAccess
	Grants  []Grant // consent to add
	Revokes []Grant // consent to remove
}

// FieldDiff is one changed field.
//
// Path names it for people ("web.redirectUris",
// "permissions[microsoft-graph].application"); code never parses it.
// Section, Item, Kind and Category say what the field is: the part of the
// registration it belongs to, the keyed element it is about (an API's name,
// a federated credential's name, a scope's value), how its values compare,
// and the change category policy gates it on ("" when none). Old and New
// are the typed values: nil when absent, else a string, bool, int,
// []string (sorted; a set), or for a keyed object the canonical text of the
// element. Before and After are their display strings ("" when absent);
// only renderers read them.
type FieldDiff struct {
	Path     string
	Section  Section
	Item     string
	Kind     FieldKind
	Category appreg.Category
	Old, New any
	Before   string
	After    string
}

// Section is the part of a registration a field belongs to; it decides
// which write applies it.
type Section string

// Sections of a registration.
const (
	// SectionApplication fields are written by the application PATCH.
	SectionApplication Section = "application"
	// SectionAccess is requiredResourceAccess: permissions requested,
	// also written by the application PATCH.
	SectionAccess Section = "access"
	// SectionConsent is tenant-wide consent (grants and revocations).
	SectionConsent Section = "consent"
	// SectionOwners are the application's owners.
	SectionOwners Section = "owners"
	// SectionServicePrincipal is the enterprise application.
	SectionServicePrincipal Section = "servicePrincipal"
	// SectionFederated are federated identity credentials.
	SectionFederated Section = "federated"
	// SectionSettings is appreg.yaml itself.
	SectionSettings Section = "settings"
	// SectionOrdering is a write Graph requires before others (disabling
	// a scope or app role before it changes).
	SectionOrdering Section = "ordering"
)

// FieldKind is how a field's values compare.
type FieldKind string

// Kinds of field.
const (
	// KindScalar is a string, bool or int.
	KindScalar FieldKind = "scalar"
	// KindSet is an unordered list of strings.
	KindSet FieldKind = "set"
	// KindObject is one element of a keyed list (Item is its key).
	KindObject FieldKind = "object"
	// KindNote is a step that is not a field of its own (a service
	// principal created, scopes disabled first, consent revoked).
	KindNote FieldKind = "note"
)

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
