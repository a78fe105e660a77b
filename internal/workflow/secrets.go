package workflow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/rotate"
	"github.com/appreg/appreg/internal/spec"
)

// ErrNoDelivery is returned for secrets when no GitHub token for secret
// delivery is configured; each shell says how to configure one.
var ErrNoDelivery = errors.New("client secrets need a GitHub token that can write Actions secrets")

// ids are the object id and appId of an application.
type ids struct{ objectID, appID string }

// createSecrets creates and delivers the secrets the plan says apply
// creates, for the registrations that now exist.
func createSecrets(ctx context.Context, p *plan.Plan, res *plan.Result, loaded *spec.Result, observed *appreg.Set, r *rotate.Rotator) []rotate.Outcome {
	apps := map[string]ids{}
	failed := map[string]bool{}
	for _, o := range observed.Registrations {
		if o.Name != "" {
			apps[o.Name] = ids{o.Observed.ObjectID, o.Observed.AppID}
		}
	}
	for _, want := range loaded.Desired.Registrations {
		if want.Adopt == nil {
			continue
		}
		for _, o := range observed.Registrations {
			if strings.EqualFold(o.Observed.AppID, want.Adopt.AppID) {
				apps[want.Name] = ids{o.Observed.ObjectID, o.Observed.AppID}
			}
		}
	}
	for _, o := range res.Outcomes {
		if o.Status != plan.Applied {
			failed[o.Key] = true
		} else if o.ObjectID != "" && o.AppID != "" {
			apps[o.Key] = ids{o.ObjectID, o.AppID}
		}
	}
	var outs []rotate.Outcome
	for _, d := range p.SecretsToCreate() {
		reg := loaded.Desired.Get(d.Registration)
		out := rotate.Outcome{Registration: d.Registration, Secret: d.Secret, Action: d.Action, Reason: d.Reason, Delivered: []string{}, Removed: []string{}}
		id, ok := apps[d.Registration]
		switch {
		case failed[d.Registration]:
			out.Error = "not created: the registration failed to apply"
		case !ok:
			out.Error = "not created: the application does not exist"
		case r == nil:
			out.Error = ErrNoDelivery.Error()
		}
		if out.Error != "" || reg == nil {
			outs = append(outs, out)
			continue
		}
		outs = append(outs, r.Run(ctx, rotate.Job{
			Registration: d.Registration, ObjectID: id.objectID, AppID: id.appID, TenantID: loaded.Settings.TenantID,
			Secret: secretOf(reg, d.Secret), Decision: d, Consented: consentedGraphRoles(reg),
		}))
	}
	return outs
}

func secretOf(r *appreg.Registration, name string) appreg.Secret {
	for _, s := range r.Credentials.Secrets {
		if s.Name == name {
			return s
		}
	}
	return appreg.Secret{Name: name}
}

// consentedGraphRoles are the Microsoft Graph application permissions a
// registration has admin consent for: what a Graph token's roles claim
// should list.
func consentedGraphRoles(r *appreg.Registration) []string {
	var out []string
	for _, p := range r.Permissions {
		if p.AdminConsent != nil && *p.AdminConsent && strings.EqualFold(p.ResourceAppID, appreg.MicrosoftGraphAppID) {
			out = append(out, p.Application...)
		}
	}
	return out
}

// RotateOptions configure Rotate.
type RotateOptions struct {
	// Rotator does the work; nil means secrets cannot be delivered.
	Rotator *rotate.Rotator
	// Now names one secret, "registration/secret", to rotate at once and
	// revoke its older credentials (a leaked secret).
	Now string
	// DryRun decides without changing anything.
	DryRun bool
	// Clock is the time decisions are made at (default time.Now).
	Clock func() time.Time
}

// Rotation is what Rotate decided and did.
type Rotation struct {
	Decisions []rotate.Decision
	Outcomes  []rotate.Outcome
}

// Failed reports whether any rotation failed.
func (r *Rotation) Failed() bool {
	for _, o := range r.Outcomes {
		if o.Error != "" {
			return true
		}
	}
	return false
}

// Rotate reads the tenant and rotates every declared secret that is due
// (or the one named by Now), repairs interrupted rotations and removes
// credentials past their overlap.
func Rotate(ctx context.Context, g Reader, loaded *spec.Result, o RotateOptions) (*Rotation, error) {
	clock := o.Clock
	if clock == nil {
		clock = time.Now
	}
	if o.Now != "" {
		reg, secret, _ := strings.Cut(o.Now, "/")
		r := loaded.Desired.Get(reg)
		if r == nil || r.Credentials == nil || !containsSecret(r.Credentials.Secrets, secret) {
			return nil, fmt.Errorf("--now %q: no such secret; name it as registration/secret, e.g. payments-api/ci", o.Now)
		}
	}
	if o.Rotator == nil && !o.DryRun {
		return nil, ErrNoDelivery
	}
	var adopt []string
	for _, r := range loaded.Desired.Registrations {
		if r.Adopt != nil {
			adopt = append(adopt, r.Adopt.AppID)
		}
	}
	observed, err := g.ReadManaged(ctx, loaded.Settings.NamePrefix, adopt, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the tenant: %w", err)
	}
	now := clock()
	rot := &Rotation{Decisions: []rotate.Decision{}, Outcomes: []rotate.Outcome{}}
	for _, want := range loaded.Desired.Registrations {
		if want.Credentials == nil || len(want.Credentials.Secrets) == 0 {
			continue
		}
		have := observed.Get(want.Name)
		if have == nil && want.Adopt != nil {
			for _, r := range observed.Registrations {
				if strings.EqualFold(r.Observed.AppID, want.Adopt.AppID) {
					have = r
				}
			}
		}
		for _, s := range want.Credentials.Secrets {
			force := o.Now == want.Name+"/"+s.Name
			if have == nil {
				rot.Outcomes = append(rot.Outcomes, rotate.Outcome{Registration: want.Name, Secret: s.Name, Action: rotate.Create,
					Reason: "the application does not exist yet", Delivered: []string{}, Removed: []string{},
					Error: "run appreg apply first: it creates the application and its secrets"})
				continue
			}
			if why := rotate.NotOwned(have.Observed); why != "" {
				rot.Outcomes = append(rot.Outcomes, rotate.Outcome{Registration: want.Name, Secret: s.Name, Action: rotate.Keep,
					Reason: why, Delivered: []string{}, Removed: []string{},
					Error: "nothing was rotated: appreg apply adopts the application first (an adoption needs approval)"})
				continue
			}
			d := rotate.Decide(now, want.Name, s, have.Observed.Passwords, force)
			rot.Decisions = append(rot.Decisions, d)
			if o.DryRun {
				continue
			}
			rot.Outcomes = append(rot.Outcomes, o.Rotator.Run(ctx, rotate.Job{
				Registration: want.Name, ObjectID: have.Observed.ObjectID, AppID: have.Observed.AppID, TenantID: loaded.Settings.TenantID,
				Secret: s, Decision: d, Consented: consentedGraphRoles(want),
			}))
		}
	}
	return rot, nil
}

func containsSecret(ss []appreg.Secret, name string) bool {
	for _, s := range ss {
		if s.Name == name {
			return true
		}
	}
	return false
}
