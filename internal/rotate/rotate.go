package rotate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/appreg/appreg/internal/appreg"
)

// Passwords adds, lists and removes an application's password
// credentials.
type Passwords interface {
	// AddPassword creates a credential; the value is returned only here.
	AddPassword(ctx context.Context, objectID, displayName string, end time.Time) (appreg.PasswordCredential, appreg.SecretValue, error)
	// ListPasswords reads the application's credentials (metadata only).
	ListPasswords(ctx context.Context, objectID string) ([]appreg.PasswordCredential, error)
	RemovePassword(ctx context.Context, objectID, keyID string) error
}

// Verifier proves a new secret works by obtaining a token with it from the
// tenant's authority, and returns the token's roles claim.
type Verifier interface {
	Verify(ctx context.Context, appID string, secret appreg.SecretValue) (roles []string, err error)
}

// Deliverer writes secret values to GitHub Actions secrets and tells when a
// target was last written.
type Deliverer interface {
	Deliver(ctx context.Context, target appreg.Delivery, secret appreg.SecretValue) error
	DeliveredAt(ctx context.Context, target appreg.Delivery) (time.Time, error)
}

// Job is one declared secret of one existing application.
type Job struct {
	Registration string
	ObjectID     string
	AppID        string
	TenantID     string
	Secret       appreg.Secret
	Decision     Decision
	// Consented are the application permissions that should appear in the
	// token's roles claim (those with adminConsent: true).
	Consented []string
}

// Outcome is what happened to one secret. It never holds a value.
type Outcome struct {
	Registration string   `json:"registration"`
	Secret       string   `json:"secret"`
	Action       Action   `json:"action"`
	Reason       string   `json:"reason"`
	NewKeyID     string   `json:"newKeyId,omitempty"`
	ValidUntil   string   `json:"validUntil,omitempty"`
	Verified     bool     `json:"verified"`
	Delivered    []string `json:"delivered"`
	Removed      []string `json:"removed"` // key ids
	Notes        []string `json:"notes,omitempty"`
	Error        string   `json:"error,omitempty"`
}

// Rotator carries out rotations.
type Rotator struct {
	Passwords Passwords
	Verifier  Verifier
	Deliverer Deliverer
	Now       func() time.Time
}

// deliverySkew tolerates clock differences between Entra and GitHub when
// deciding whether a target was written after a credential was created.
const deliverySkew = time.Minute

// Run executes one job: for a due secret, add → verify → deliver; for a
// kept one, check that the current credential reached every target (a run
// interrupted between create and deliver leaves one that did not) and
// replace it if not. Then it removes the credentials past their overlap,
// but only those that every delivery target is known to have moved past
// (Removable): a credential a target may still hold is never removed,
// whatever a partial delivery or a concurrent run left behind.
func (r *Rotator) Run(ctx context.Context, j Job) Outcome {
	d := j.Decision
	out := Outcome{Registration: j.Registration, Secret: j.Secret.Name, Action: d.Action, Reason: d.Reason, Delivered: []string{}, Removed: []string{}}
	fail := func(err error) Outcome {
		out.Error = err.Error()
		return out
	}
	mine := d.known()
	targets := j.Secret.Deliver
	written, err := r.written(ctx, targets)
	if err != nil {
		return fail(err)
	}
	held := Holding(mine, targets, written)
	var orphan *appreg.PasswordCredential
	if d.Action == Keep && d.Current != nil {
		if missing := notHolding(*d.Current, targets, held); len(missing) > 0 {
			orphan = d.Current
			out.Action = Rotate
			out.Reason = fmt.Sprintf("the newest secret (key %s) never reached %s (an earlier run was interrupted or a delivery failed); replacing it", orphan.KeyID, strings.Join(missing, ", "))
		}
	}
	if out.Action != Keep {
		// An orphan no target holds goes first, so the app never holds
		// more credentials than an ordinary rotation needs. One that some
		// target holds (a partial delivery) stays until all have a newer.
		if orphan != nil && len(d.Pending) > 0 && len(notHolding(*orphan, targets, held)) == len(targets) {
			if err := r.Passwords.RemovePassword(ctx, j.ObjectID, orphan.KeyID); err != nil {
				return fail(fmt.Errorf("removing undelivered secret %s of %s: %w", orphan.KeyID, j.Registration, err))
			}
			out.Removed = append(out.Removed, orphan.KeyID)
			orphan = nil
		}
		cred, err := r.replace(ctx, j, &out, mine)
		if err != nil {
			return fail(err)
		}
		for _, t := range targets {
			held[t.String()] = &cred // every target holds the new one now
		}
	}
	remove := slices.Clone(d.Remove)
	if orphan != nil {
		remove = append(remove, *orphan)
	}
	now := r.Now()
	for _, c := range remove {
		if slices.Contains(out.Removed, c.KeyID) {
			continue
		}
		if ok, why := Removable(now, c, targets, held); !ok {
			out.Notes = append(out.Notes, why)
			continue
		}
		if err := r.Passwords.RemovePassword(ctx, j.ObjectID, c.KeyID); err != nil {
			return fail(fmt.Errorf("removing old secret %s of %s: %w", c.KeyID, j.Registration, err))
		}
		out.Removed = append(out.Removed, c.KeyID)
	}
	return out
}

// known is every credential of the secret the decision saw.
func (d Decision) known() []appreg.PasswordCredential {
	var out []appreg.PasswordCredential
	if d.Current != nil {
		out = append(out, *d.Current)
	}
	out = append(out, d.Pending...)
	return append(out, d.Remove...)
}

// written asks GitHub when each target was last written.
func (r *Rotator) written(ctx context.Context, targets []appreg.Delivery) (Written, error) {
	w := Written{}
	for _, t := range targets {
		at, err := r.Deliverer.DeliveredAt(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("checking %s: %w", t, err)
		}
		w[t.String()] = at
	}
	return w, nil
}

// notHolding lists the targets that hold a credential older than c, or
// none of the secret's.
func notHolding(c appreg.PasswordCredential, targets []appreg.Delivery, held Holdings) []string {
	var out []string
	for _, t := range targets {
		if h := held[t.String()]; h == nil || h.Start.Before(c.Start) {
			out = append(out, t.String())
		}
	}
	return out
}

// replace adds a new credential, makes sure no concurrent run is rotating
// the same secret, verifies it, and delivers it everywhere. A credential
// that does not work, or that lost to a concurrent run's, is removed
// again; one that failed to deliver stays (the next run sees it
// undelivered and replaces it) and the old credentials stay in place.
func (r *Rotator) replace(ctx context.Context, j Job, out *Outcome, known []appreg.PasswordCredential) (appreg.PasswordCredential, error) {
	now := r.Now()
	cred, value, err := r.Passwords.AddPassword(ctx, j.ObjectID, DisplayName(j.Secret.Name, now), now.Add(j.Secret.Lifetime))
	if err != nil {
		return cred, fmt.Errorf("adding a client secret to %s: %w", j.Registration, err)
	}
	out.NewKeyID = cred.KeyID
	out.ValidUntil = cred.End.UTC().Format(time.DateOnly)
	discard := func(err error) (appreg.PasswordCredential, error) {
		if rmErr := r.Passwords.RemovePassword(ctx, j.ObjectID, cred.KeyID); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("removing the new secret %s again: %w", cred.KeyID, rmErr))
		}
		return cred, err
	}
	if err := guard(cred, value); err != nil {
		return cred, fmt.Errorf("secret %s of %s: %w", cred.KeyID, j.Registration, err)
	}
	now2, err := r.Passwords.ListPasswords(ctx, j.ObjectID)
	if err != nil {
		return discard(fmt.Errorf("reading the secrets of %s: %w", j.Registration, err))
	}
	if c := Contender(cred, now2, known, j.Secret.Name); c != nil {
		return discard(fmt.Errorf("another run is rotating secret %s of %s at the same time (its credential %s was created first): this run delivers nothing and leaves the rotation to it; "+
			"run apply and rotate of a repository in one concurrency group", j.Secret.Name, j.Registration, c.KeyID))
	}
	roles, err := r.Verifier.Verify(ctx, j.AppID, value)
	if err != nil {
		return discard(fmt.Errorf("verifying the new secret of %s: %w", j.Registration, err))
	}
	out.Verified = true
	if missing := minus(j.Consented, roles); len(missing) > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("the token lacks consented roles %s: grant admin consent at %s",
			strings.Join(missing, ", "), AdminConsentURL(j.TenantID, j.AppID)))
	}
	for _, t := range j.Secret.Deliver {
		if err := r.Deliverer.Deliver(ctx, t, value); err != nil {
			return cred, fmt.Errorf("delivering the new secret of %s to %s (the previous secret stays valid): %w", j.Registration, t, err)
		}
		out.Delivered = append(out.Delivered, t.String())
	}
	return cred, nil
}

// guard refuses values that cannot be a client secret's value: a key id
// (the AADSTS7000215 mistake) or one whose first characters differ from
// Graph's hint.
func guard(cred appreg.PasswordCredential, value appreg.SecretValue) error {
	v := value.Reveal()
	switch {
	case v == "":
		return errors.New("graph returned no secret value")
	case appreg.IsGUID(v):
		return errors.New("the value looks like a key id, not a secret value; refusing to deliver it")
	case cred.Hint != "" && !strings.HasPrefix(v, cred.Hint):
		return errors.New("the value does not start with Graph's hint for it; refusing to deliver it")
	}
	return nil
}

// AdminConsentURL is where an administrator grants tenant-wide consent to
// an application's requested permissions.
func AdminConsentURL(tenantID, appID string) string {
	return fmt.Sprintf("https://login.microsoftonline.com/%s/v2.0/adminconsent?client_id=%s&scope=https://graph.microsoft.com/.default", tenantID, appID)
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}
