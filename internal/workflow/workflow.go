// Package workflow holds the use-cases every shell runs — plan and apply,
// and later rotate and approve — so that the CLI, the GitHub Action and the
// webhook server behave identically. It reads through narrow interfaces that
// the Graph adapter satisfies; tests use small fakes or the emulator.
package workflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/appreg/appreg/internal/apply"
	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/catalog"
	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/rotate"
	"github.com/appreg/appreg/internal/spec"
)

// Reader reads the observed tenant.
type Reader interface {
	ReadManaged(ctx context.Context, prefix string, adopt []string, consent map[string]bool) (*appreg.Set, error)
	Catalogs(ctx context.Context, appIDs []string) (map[string]*catalog.Catalog, error)
	ResolveOwners(ctx context.Context, owners []appreg.Owner) ([]appreg.Owner, error)
	Self(ctx context.Context) (appreg.Owner, error)
}

// Graph reads and writes the tenant.
type Graph interface {
	Reader
	apply.Writer
}

// Plan reads the tenant and diffs it against the loaded files. Problems
// found while planning (unknown owners, permissions the tenant does not
// offer) are diagnostics in the plan; the error is for failures to read.
func Plan(ctx context.Context, g Reader, loaded *spec.Result) (*plan.Plan, error) {
	return PlanAt(ctx, g, loaded, nil)
}

// PlanAt is Plan with a clock (nil: time.Now): secrets due for rotation
// are decided at its time.
func PlanAt(ctx context.Context, g Reader, loaded *spec.Result, now func() time.Time) (*plan.Plan, error) {
	p, _, err := planObserved(ctx, g, loaded, now, nil)
	return p, err
}

// PlanAgainst is PlanAt judged against base, the files of the commit a
// pull request is made against: new or changed delivery targets and a
// changed appreg.yaml are planned against it.
func PlanAgainst(ctx context.Context, g Reader, loaded *spec.Result, now func() time.Time, base *plan.Base) (*plan.Plan, error) {
	p, _, err := planObserved(ctx, g, loaded, now, base)
	return p, err
}

// planObserved is PlanAgainst that also returns the observed tenant.
func planObserved(ctx context.Context, g Reader, loaded *spec.Result, now func() time.Time, base *plan.Base) (*plan.Plan, *appreg.Set, error) {
	if now == nil {
		now = time.Now
	}
	desired := loaded.Desired
	var adopt []string
	consent := map[string]bool{} // registrations whose consent is managed
	for _, r := range desired.Registrations {
		if r.Adopt != nil {
			adopt = append(adopt, r.Adopt.AppID)
		}
		for _, p := range r.Permissions {
			if p.AdminConsent != nil {
				consent[r.Name] = true
				if r.Adopt != nil {
					consent[strings.ToLower(r.Adopt.AppID)] = true
				}
			}
		}
	}
	observed, err := g.ReadManaged(ctx, loaded.Settings.NamePrefix, adopt, consent)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the tenant: %w", err)
	}
	desired, ownerDiags, err := resolveOwners(ctx, g, desired)
	if err != nil {
		return nil, nil, err
	}
	var resources []string
	for _, set := range []*appreg.Set{desired, observed} {
		for _, r := range set.Registrations {
			for _, p := range r.Permissions {
				if p.ResourceAppID != "" {
					resources = append(resources, p.ResourceAppID)
				}
			}
		}
	}
	catalogs, err := g.Catalogs(ctx, resources)
	if err != nil {
		return nil, nil, fmt.Errorf("reading permission catalogs: %w", err)
	}
	self, err := g.Self(ctx)
	if err != nil {
		return nil, nil, err
	}
	p := plan.Compute(plan.Input{Settings: loaded.Settings, Desired: desired, Observed: observed, Catalogs: catalogs, Self: self, Now: now(), Base: base})
	attachAdvice(p, loaded.Settings, desired, observed)
	if len(ownerDiags) > 0 {
		// Registrations with unknown owners cannot be planned correctly.
		bad := map[string]bool{}
		for _, d := range ownerDiags {
			bad[d.File] = true
		}
		p.Changes = filter(p.Changes, func(c plan.Change) bool { return c.After == nil || !bad[c.After.Source.File] })
		p.Diagnostics = append(p.Diagnostics, ownerDiags...)
		p.Diagnostics.Sort()
	}
	return p, observed, nil
}

// resolveOwners returns a copy of desired whose owners carry directory
// object ids, and a diagnostic for every owner the tenant does not have.
func resolveOwners(ctx context.Context, g Reader, desired *appreg.Set) (*appreg.Set, diag.Diagnostics, error) {
	var all []appreg.Owner
	seen := map[string]bool{}
	for _, r := range desired.Registrations {
		for _, o := range r.Owners {
			if k := strings.ToLower(o.Ref); !seen[k] {
				seen[k] = true
				all = append(all, o)
			}
		}
	}
	if len(all) == 0 {
		return desired, nil, nil
	}
	resolved, err := g.ResolveOwners(ctx, all)
	var missing interface{ MissingRefs() []string }
	var missingRefs map[string]bool
	if errors.As(err, &missing) {
		missingRefs = map[string]bool{}
		for _, ref := range missing.MissingRefs() {
			missingRefs[strings.ToLower(ref)] = true
		}
	} else if err != nil {
		return nil, nil, fmt.Errorf("resolving owners: %w", err)
	}
	ids := map[string]string{}
	for _, o := range resolved {
		ids[strings.ToLower(o.Ref)] = o.ID
	}
	out := &appreg.Set{}
	var diags diag.Diagnostics
	for _, r := range desired.Registrations {
		cp := *r
		if r.Owners != nil {
			cp.Owners = make([]appreg.Owner, len(r.Owners))
			for i, o := range r.Owners {
				o.ID = ids[strings.ToLower(o.Ref)]
				cp.Owners[i] = o
				if missingRefs[strings.ToLower(o.Ref)] {
					pos := o.Source
					if pos.File == "" {
						pos = r.Source
					}
					diags = append(diags, diag.Diagnostic{
						Severity: diag.Error, Summary: fmt.Sprintf("owner %q does not exist in the tenant", o.Ref),
						Detail: "owners are users (user principal name or object id) or service principals (sp:<appId>); check the spelling",
						File:   pos.File, Line: pos.Line, Column: pos.Column,
					})
				}
			}
		}
		out.Registrations = append(out.Registrations, &cp)
	}
	return out, diags, nil
}

// ApplyOptions configure Apply.
type ApplyOptions struct {
	// Expected is the fingerprint of the plan a reviewer saw; the result
	// says when the plan applied differs.
	Expected string
	Logger   *slog.Logger
	// Rotator creates and delivers the client secrets the plan creates;
	// nil means they cannot be delivered (each is reported as failed).
	Rotator *rotate.Rotator
	// Gate, when set, is asked about every change of the new plan before
	// anything is applied; the changes it refuses (and the client secrets
	// of their registrations) are left out and reported in Result.Refused.
	// The Action gates on approval (ApprovalGate); the CLI does not.
	Gate Gate
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Base is what the commit before the change declares (nil: unknown).
	Base *plan.Base
}

// Apply re-reads the tenant, re-plans and applies the plan, then creates
// and delivers the client secrets that do not exist yet. Registrations with
// diagnostics are left out of the plan and so are not applied.
func Apply(ctx context.Context, g Graph, loaded *spec.Result, o ApplyOptions) (*plan.Plan, *plan.Result, error) {
	p, observed, err := planObserved(ctx, g, loaded, o.Now, o.Base)
	if err != nil {
		return nil, nil, err
	}
	run, refused := gate(ctx, p, o.Gate)
	res := apply.Run(ctx, g, run, apply.Options{Logger: o.Logger})
	res.Expected = o.Expected
	res.Refused = append(res.Refused, refused...)
	res.Secrets = createSecrets(ctx, run, res, loaded, observed, o.Rotator)
	return p, res, nil
}

// gate returns the plan to run: p without the changes g refuses, and
// without the client secrets of their registrations. p is not modified.
func gate(ctx context.Context, p *plan.Plan, g Gate) (*plan.Plan, []plan.Refusal) {
	if g == nil {
		return p, nil
	}
	var refused []plan.Refusal
	out := *p
	out.Changes = nil
	keys := map[string]bool{}
	for _, c := range p.Changes {
		if ok, reason, hint := g(ctx, c); !ok {
			refused = append(refused, plan.Refusal{Key: c.Key, AppID: c.AppID, Action: c.Action, Reason: reason, Hint: hint})
			keys[c.Key] = true
			continue
		}
		out.Changes = append(out.Changes, c)
	}
	if len(refused) == 0 {
		return p, nil
	}
	out.Secrets = filter(p.Secrets, func(d rotate.Decision) bool { return !keys[d.Registration] })
	return &out, refused
}

func filter[T any](xs []T, keep func(T) bool) []T {
	out := xs[:0:0]
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}
