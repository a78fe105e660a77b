// Package apply executes a plan through a narrow writer interface. Each
// registration's change runs in a fixed order (application,
// service principal, owners, federated credentials, consent); registrations
// run concurrently, after the registrations they reference. A failure stops
// only its own registration (and those that depend on it). Every step is
// idempotent, so re-running after any failure converges.
package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
)

// ApplicationWriter writes application objects and service principals.
type ApplicationWriter interface {
	UpsertApplication(ctx context.Context, want, have *appreg.Registration, access []appreg.ResourceAccess) (objectID, appID string, err error)
	DisableFirst(ctx context.Context, have *appreg.Registration, values []string) error
	UpsertServicePrincipal(ctx context.Context, appID string, want, have *appreg.ServicePrincipal) (string, error)
	DeleteApplication(ctx context.Context, objectID string) error
}

// DirectoryWriter writes owners and federated credentials.
type DirectoryWriter interface {
	AddOwner(ctx context.Context, objectID string, o appreg.Owner) error
	RemoveOwner(ctx context.Context, objectID string, o appreg.Owner) error
	UpsertFederatedCredential(ctx context.Context, objectID string, f appreg.FederatedCredential) error
	DeleteFederatedCredential(ctx context.Context, objectID, name string) error
}

// ConsentWriter grants and revokes tenant-wide consent.
type ConsentWriter interface {
	GrantAppRole(ctx context.Context, clientSPID, resourceAppID, appRoleID string) error
	RevokeAppRole(ctx context.Context, clientSPID, resourceAppID, appRoleID string) error
	SetDelegatedConsent(ctx context.Context, clientSPID, resourceAppID string, add, remove []string) error
}

// Writer is everything apply needs from Microsoft Graph.
type Writer interface {
	ApplicationWriter
	DirectoryWriter
	ConsentWriter
}

// Options tune a run.
type Options struct {
	// Concurrency bounds the registrations applied at once (default 8).
	Concurrency int
	Logger      *slog.Logger
}

// Run applies every change of p and reports each outcome in plan order.
func Run(ctx context.Context, w Writer, p *plan.Plan, o Options) *plan.Result {
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	r := &runner{w: w, log: o.Logger, appIDs: map[string]string{}, failed: map[string]bool{}}
	outcomes := make([]plan.Outcome, len(p.Changes))
	for _, level := range levels(p.Changes) {
		sem := make(chan struct{}, o.Concurrency)
		var wg sync.WaitGroup
		for _, i := range level {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				outcomes[i] = r.change(ctx, p.Changes[i])
			}()
		}
		wg.Wait()
	}
	return &plan.Result{Fingerprint: p.Fingerprint, Outcomes: outcomes, Refused: p.Refused}
}

// levels orders changes so that a registration comes after the ones its
// permissions, consent or authorized clients name; each level can run
// concurrently.
func levels(changes []plan.Change) [][]int {
	index := map[string]int{}
	for i, c := range changes {
		index[c.Key] = i
	}
	depth := make([]int, len(changes))
	var visit func(i int, seen map[int]bool) int
	visit = func(i int, seen map[int]bool) int {
		if depth[i] > 0 || seen[i] {
			return depth[i]
		}
		seen[i] = true
		d := 1
		for _, dep := range dependencies(changes[i]) {
			if j, ok := index[dep]; ok && j != i {
				d = max(d, visit(j, seen)+1)
			}
		}
		depth[i] = d
		return d
	}
	var out [][]int
	for i := range changes {
		d := visit(i, map[int]bool{})
		for len(out) < d {
			out = append(out, nil)
		}
		out[d-1] = append(out[d-1], i)
	}
	return out
}

// dependencies names the registrations of the same run a change needs to
// exist first.
func dependencies(c plan.Change) []string {
	var deps []string
	for _, a := range c.Access {
		if a.Registration != "" {
			deps = append(deps, a.Registration)
		}
	}
	for _, g := range append(c.Grants, c.Revokes...) {
		if g.Registration != "" {
			deps = append(deps, g.Registration)
		}
	}
	if c.After != nil && c.After.API != nil {
		for _, ac := range c.After.API.AuthorizedClients {
			if ac.AppID == "" {
				deps = append(deps, ac.Client)
			}
		}
	}
	return deps
}

type runner struct {
	w   Writer
	log *slog.Logger

	mu     sync.Mutex
	appIDs map[string]string // registration name -> appId, as applied in this run
	failed map[string]bool
}

func (r *runner) appID(name string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failed[name] {
		return "", &DependencyError{Registration: name, Why: "failed to apply"}
	}
	id := r.appIDs[name]
	if id == "" {
		return "", &DependencyError{Registration: name, Why: "does not exist in the tenant yet"}
	}
	return id, nil
}

// DependencyError is why a change was skipped: it references another
// registration (as the API whose permissions it requests) that failed or
// does not exist.
type DependencyError struct {
	Registration string
	Why          string
}

func (e *DependencyError) Error() string {
	return fmt.Sprintf("it needs registration %q, which %s", e.Registration, e.Why)
}

// change applies one registration's change. It stops at the first failing
// step and reports the steps done before it.
func (r *runner) change(ctx context.Context, c plan.Change) plan.Outcome {
	out := plan.Outcome{Key: c.Key, UniqueName: c.UniqueName, Action: c.Action, AppID: c.AppID, Steps: []string{}}
	if c.Before != nil && c.Before.Observed != nil {
		out.ObjectID = c.Before.Observed.ObjectID
	}
	log := r.log.With("registration", c.Key, "action", string(c.Action))
	if c.Settings {
		out.Status, out.Steps = plan.Applied, []string{"appreg.yaml changed: nothing to write to the tenant"}
		return out
	}
	err := r.steps(ctx, c, &out)
	r.mu.Lock()
	if err != nil {
		r.failed[c.Key] = true
	} else if out.AppID != "" {
		r.appIDs[c.Key] = out.AppID
	}
	r.mu.Unlock()
	if err != nil {
		out.Status, out.Error = plan.Failed, err.Error()
		if _, ok := errors.AsType[*DependencyError](err); ok {
			out.Status = plan.Skipped
		}
		log.ErrorContext(ctx, "apply failed", "error", err)
		return out
	}
	out.Status = plan.Applied
	log.InfoContext(ctx, "applied", "appId", out.AppID, "steps", len(out.Steps))
	return out
}

func (r *runner) steps(ctx context.Context, c plan.Change, out *plan.Outcome) error {
	step := func(format string, args ...any) { out.Steps = append(out.Steps, fmt.Sprintf(format, args...)) }
	if c.Action == plan.Delete {
		// A rail under the plan's own rule: only an application this
		// repository owns is ever deleted.
		if c.Before == nil || c.Before.Observed == nil || !c.Before.Observed.Managed || !c.Before.Observed.Owned {
			return fmt.Errorf("refusing to delete application %s: it is not managed by this repository (no %s tag of it)", c.AppID, appreg.RepoTagPrefix+"<this repository>")
		}
		if err := r.w.DeleteApplication(ctx, out.ObjectID); err != nil {
			return err
		}
		step("deleted application %s (soft delete, restorable for 30 days)", c.AppID)
		return nil
	}
	access, after, err := r.resolve(c)
	if err != nil {
		return err
	}
	if len(c.DisableFirst) > 0 {
		if err := r.w.DisableFirst(ctx, c.Before, c.DisableFirst); err != nil {
			return err
		}
		step("disabled %s before changing them", strings.Join(c.DisableFirst, ", "))
	}
	if c.UpdateApplication {
		objectID, appID, err := r.w.UpsertApplication(ctx, after, c.Before, access)
		if err != nil {
			return err
		}
		out.ObjectID, out.AppID = objectID, appID
		switch c.Action {
		case plan.Create:
			step("created application %s (appId %s)", c.UniqueName, appID)
		case plan.Adopt:
			step("adopted application %s as %s", appID, c.UniqueName)
		default:
			step("updated application %s", c.UniqueName)
		}
	}
	// The app is known now: later registrations may reference it.
	r.mu.Lock()
	r.appIDs[c.Key] = out.AppID
	r.mu.Unlock()

	spID := ""
	var haveSP *appreg.ServicePrincipal
	if c.Before != nil {
		spID, haveSP = c.Before.Observed.ServicePrincipalID, c.Before.ServicePrincipal
	}
	if c.UpdateServicePrincipal {
		created := spID == ""
		if spID, err = r.w.UpsertServicePrincipal(ctx, out.AppID, after.ServicePrincipal, haveSP); err != nil {
			return err
		}
		if created {
			step("created service principal %s", spID)
		} else {
			step("updated service principal %s", spID)
		}
	}
	for _, o := range c.AddOwners {
		if err := r.w.AddOwner(ctx, out.ObjectID, o); err != nil {
			return err
		}
		step("added owner %s", o.Ref)
	}
	for _, o := range c.RemoveOwners {
		if err := r.w.RemoveOwner(ctx, out.ObjectID, o); err != nil {
			return err
		}
		step("removed owner %s", o.Ref)
	}
	if err := r.federated(ctx, c, out.ObjectID, step); err != nil {
		return err
	}
	return r.consent(ctx, c, spID, step)
}

// maxFederated is Graph's limit of federated credentials per application.
const maxFederated = 20

// federated writes and deletes federated credentials. Graph keeps issuer and
// subject unique per application and at most 20 credentials, so a credential
// being removed goes first when a written one keeps its issuer and subject
// (a rename) or when writing first would pass the cap; otherwise writes go
// first, so the application is never without a credential it had. When a
// write after such a delete fails, the deleted credential is written back.
func (r *runner) federated(ctx context.Context, c plan.Change, objectID string, step func(string, ...any)) error {
	var observed []appreg.FederatedCredential
	if c.Before != nil && c.Before.Credentials != nil {
		observed = c.Before.Credentials.Federated
	}
	byName := map[string]appreg.FederatedCredential{}
	for _, f := range observed {
		byName[f.Name] = f
	}
	creates := 0
	for _, f := range c.UpsertFederated {
		if _, ok := byName[f.Name]; !ok {
			creates++
		}
	}
	atCap := len(observed)+creates > maxFederated
	first := map[string]appreg.FederatedCredential{} // removed before the writes, by name
	for _, name := range c.RemoveFederated {
		old, ok := byName[name]
		if !ok {
			continue
		}
		clash := slices.ContainsFunc(c.UpsertFederated, func(f appreg.FederatedCredential) bool {
			return f.Issuer == old.Issuer && f.Subject == old.Subject
		})
		if clash || atCap {
			first[name] = old
		}
	}
	remove := func(name string) error {
		if err := r.w.DeleteFederatedCredential(ctx, objectID, name); err != nil {
			return err
		}
		step("deleted federated credential %s", name)
		return nil
	}
	for _, name := range c.RemoveFederated {
		if _, ok := first[name]; ok {
			if err := remove(name); err != nil {
				return err
			}
		}
	}
	for _, f := range c.UpsertFederated {
		if err := r.w.UpsertFederatedCredential(ctx, objectID, f); err != nil {
			for _, old := range first {
				if rerr := r.w.UpsertFederatedCredential(ctx, objectID, old); rerr != nil {
					return fmt.Errorf("%w; restoring federated credential %s deleted before it also failed: %v", err, old.Name, rerr)
				}
				step("restored federated credential %s after the failure", old.Name)
			}
			return err
		}
		step("wrote federated credential %s (%s)", f.Name, f.Subject)
	}
	for _, name := range c.RemoveFederated {
		if _, ok := first[name]; !ok {
			if err := remove(name); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolve fills in the appIds of registrations created earlier in this run.
func (r *runner) resolve(c plan.Change) ([]appreg.ResourceAccess, *appreg.Registration, error) {
	access := make([]appreg.ResourceAccess, len(c.Access))
	for i, a := range c.Access {
		if a.ResourceAppID == "" {
			id, err := r.appID(a.Registration)
			if err != nil {
				return nil, nil, err
			}
			a.ResourceAppID = id
		}
		access[i] = a
	}
	after := c.After
	if after != nil && after.API != nil {
		cp := *after
		api := *after.API
		api.AuthorizedClients = append([]appreg.AuthorizedClient(nil), after.API.AuthorizedClients...)
		for i, ac := range api.AuthorizedClients {
			if ac.AppID == "" {
				id, err := r.appID(ac.Client)
				if err != nil {
					return nil, nil, err
				}
				api.AuthorizedClients[i].AppID = id
			}
		}
		cp.API = &api
		after = &cp
	}
	return access, after, nil
}

func (r *runner) consent(ctx context.Context, c plan.Change, spID string, step func(string, ...any)) error {
	if len(c.Grants)+len(c.Revokes) == 0 {
		return nil
	}
	if spID == "" {
		return fmt.Errorf("granting consent to %s: it has no service principal (servicePrincipal.create is false)", c.UniqueName)
	}
	type delegated struct{ add, remove []string }
	byResource := map[string]*delegated{}
	resourceOf := func(g plan.Grant) (string, error) {
		if g.ResourceAppID != "" {
			return g.ResourceAppID, nil
		}
		return r.appID(g.Registration)
	}
	for _, g := range c.Grants {
		res, err := resourceOf(g)
		if err != nil {
			return err
		}
		if g.Kind == "application" {
			if err := r.w.GrantAppRole(ctx, spID, res, g.ID); err != nil {
				return err
			}
			step("granted %s", g)
			continue
		}
		if byResource[res] == nil {
			byResource[res] = &delegated{}
		}
		byResource[res].add = append(byResource[res].add, g.Value)
	}
	for _, g := range c.Revokes {
		res, err := resourceOf(g)
		if err != nil {
			return err
		}
		if g.Kind == "application" {
			if err := r.w.RevokeAppRole(ctx, spID, res, g.ID); err != nil {
				return err
			}
			step("revoked %s", g)
			continue
		}
		if byResource[res] == nil {
			byResource[res] = &delegated{}
		}
		byResource[res].remove = append(byResource[res].remove, g.Value)
	}
	resources := make([]string, 0, len(byResource))
	for res := range byResource {
		resources = append(resources, res)
	}
	sort.Strings(resources)
	for _, res := range resources {
		d := byResource[res]
		if err := r.w.SetDelegatedConsent(ctx, spID, res, d.add, d.remove); err != nil {
			return err
		}
		if len(d.add) > 0 {
			step("granted delegated %s on %s", strings.Join(d.add, " "), res)
		}
		if len(d.remove) > 0 {
			step("revoked delegated %s on %s", strings.Join(d.remove, " "), res)
		}
	}
	return nil
}
