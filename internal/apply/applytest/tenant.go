// Package applytest provides Tenant, the one recording fake of the tenant
// that apply writes (apply.Writer) and the use-cases read (workflow.Graph),
// for tests of orchestration: it remembers every call and fails the ones a
// test names. Adapters are tested against the Entra emulator instead.
package applytest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/catalog"
)

// ErrInjected is the error of a call a test asked to fail.
var ErrInjected = errors.New("injected failure")

// Tenant is a tenant holding Observed (nil: no applications), with the
// users Users maps (user principal name, lower case, to object id), and
// Microsoft Graph's permission catalog. Writes are recorded, not applied.
type Tenant struct {
	Observed *appreg.Set
	Users    map[string]string
	// Fail names calls to fail, by prefix of their record ("upsert
	// contoso-a", "grant ", …).
	Fail map[string]bool

	mu    sync.Mutex
	calls []string
	// Adopt and Consent are what the last ReadManaged was asked for.
	adopt   []string
	consent map[string]bool
}

func (t *Tenant) record(call string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = append(t.calls, call)
	for prefix := range t.Fail {
		if strings.HasPrefix(call, prefix) {
			return ErrInjected
		}
	}
	return nil
}

// Calls returns the recorded calls in order.
func (t *Tenant) Calls() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.calls)
}

// Index is the position of the first call starting with prefix, or -1.
func (t *Tenant) Index(prefix string) int {
	return slices.IndexFunc(t.Calls(), func(c string) bool { return strings.HasPrefix(c, prefix) })
}

// Written lists the registrations whose application was upserted.
func (t *Tenant) Written() []string {
	var out []string
	for _, c := range t.Calls() {
		if rest, ok := strings.CutPrefix(c, "upsert "); ok {
			out = append(out, strings.Fields(rest)[0])
		}
	}
	return out
}

// ReadArgs returns what the last ReadManaged was asked to adopt and to read
// consent for.
func (t *Tenant) ReadArgs() (adopt []string, consent map[string]bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.adopt, t.consent
}

// ReadManaged returns Observed.
func (t *Tenant) ReadManaged(_ context.Context, prefix string, adopt []string, consent map[string]bool) (*appreg.Set, error) {
	t.mu.Lock()
	t.adopt, t.consent = adopt, consent
	t.mu.Unlock()
	if err := t.record("read " + prefix); err != nil {
		return nil, err
	}
	if t.Observed == nil {
		return &appreg.Set{}, nil
	}
	return t.Observed, nil
}

// Catalogs knows Microsoft Graph's permissions only.
func (t *Tenant) Catalogs(_ context.Context, ids []string) (map[string]*catalog.Catalog, error) {
	out := map[string]*catalog.Catalog{}
	for _, id := range ids {
		if strings.EqualFold(id, appreg.MicrosoftGraphAppID) {
			out[strings.ToLower(id)] = catalog.Graph()
		}
	}
	return out, nil
}

// MissingOwners is ResolveOwners' error for owners the tenant does not
// have (the graph adapter's error has the same method).
type MissingOwners []string

func (m MissingOwners) Error() string         { return "missing owners: " + strings.Join(m, ", ") }
func (m MissingOwners) MissingRefs() []string { return m }

// ResolveOwners gives users of Users their id; service principals
// (sp:<appId>) resolve to "sp-<appId>"; others are missing. A nil Users
// resolves every owner to its reference.
func (t *Tenant) ResolveOwners(_ context.Context, owners []appreg.Owner) ([]appreg.Owner, error) {
	var miss MissingOwners
	out := slices.Clone(owners)
	for i := range out {
		ref := strings.ToLower(out[i].Ref)
		switch id, ok := t.Users[ref]; {
		case t.Users == nil:
			out[i].ID = out[i].Ref
		case ok:
			out[i].ID = id
		case strings.HasPrefix(ref, "sp:"):
			out[i].ID = "sp-" + strings.TrimPrefix(ref, "sp:")
		default:
			miss = append(miss, out[i].Ref)
		}
	}
	if len(miss) > 0 {
		return out, miss
	}
	return out, nil
}

// Self is appreg's own service principal.
func (t *Tenant) Self(context.Context) (appreg.Owner, error) {
	return appreg.Owner{Ref: "sp:appreg", Kind: appreg.OwnerServicePrincipal, ID: "self"}, nil
}

// UpsertApplication records "upsert <uniqueName> access=[resource app ids]"
// and returns "obj-<name>" and "app-<name>".
func (t *Tenant) UpsertApplication(_ context.Context, want, _ *appreg.Registration, access []appreg.ResourceAccess) (string, string, error) {
	var res []string
	for _, a := range access {
		res = append(res, a.ResourceAppID)
	}
	err := t.record(fmt.Sprintf("upsert %s access=%v", want.UniqueName, res))
	return "obj-" + want.Name, "app-" + want.Name, err
}

// DisableFirst records "disable <uniqueName> <values>".
func (t *Tenant) DisableFirst(_ context.Context, have *appreg.Registration, values []string) error {
	return t.record("disable " + have.UniqueName + " " + strings.Join(values, ","))
}

// UpsertServicePrincipal records "sp <appId>" and returns "sp-<appId>".
func (t *Tenant) UpsertServicePrincipal(_ context.Context, appID string, _, _ *appreg.ServicePrincipal) (string, error) {
	return "sp-" + appID, t.record("sp " + appID)
}

// DeleteApplication records "delete <objectId>".
func (t *Tenant) DeleteApplication(_ context.Context, objectID string) error {
	return t.record("delete " + objectID)
}

// AddOwner records "owner+ <objectId> <ownerId>".
func (t *Tenant) AddOwner(_ context.Context, objectID string, o appreg.Owner) error {
	return t.record("owner+ " + objectID + " " + o.ID)
}

// RemoveOwner records "owner- <objectId> <ownerId>".
func (t *Tenant) RemoveOwner(_ context.Context, objectID string, o appreg.Owner) error {
	return t.record("owner- " + objectID + " " + o.ID)
}

// UpsertFederatedCredential records "fic <objectId> <name>".
func (t *Tenant) UpsertFederatedCredential(_ context.Context, objectID string, fc appreg.FederatedCredential) error {
	return t.record("fic " + objectID + " " + fc.Name)
}

// DeleteFederatedCredential records "fic- <objectId> <name>".
func (t *Tenant) DeleteFederatedCredential(_ context.Context, objectID, name string) error {
	return t.record("fic- " + objectID + " " + name)
}

// GrantAppRole records "grant <sp> <resource> <role>".
func (t *Tenant) GrantAppRole(_ context.Context, sp, res, role string) error {
	return t.record("grant " + sp + " " + res + " " + role)
}

// RevokeAppRole records "revoke <sp> <resource> <role>".
func (t *Tenant) RevokeAppRole(_ context.Context, sp, res, role string) error {
	return t.record("revoke " + sp + " " + res + " " + role)
}

// SetDelegatedConsent records "delegated <sp> <resource> +[add] -[remove]".
func (t *Tenant) SetDelegatedConsent(_ context.Context, sp, res string, add, remove []string) error {
	return t.record(fmt.Sprintf("delegated %s %s +%v -%v", sp, res, add, remove))
}
