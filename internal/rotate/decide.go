// Package rotate decides when client secrets are created, rotated and
// removed, and carries out a rotation: add a new password credential, prove
// it works by obtaining a token with it, deliver it to every GitHub target,
// and only then remove appreg's older credentials of that name once their
// overlap has passed. The decision is pure (now, observed credentials and
// the secret's policy in, a Decision out); the procedure works through
// narrow interfaces so it is tested with small fakes.
//
// Credentials appreg creates are named "appreg:<secret>:<start time>"; it
// never removes a credential it did not create, and never the only valid
// one.
package rotate

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/appreg/appreg/internal/appreg"
)

// Action is what happens to one declared secret.
type Action string

const (
	// Keep: a valid credential exists and is not due.
	Keep Action = "keep"
	// Create: no valid credential of this name exists.
	Create Action = "create"
	// Rotate: the newest credential is within rotateBefore of its end (or
	// a rotation was forced).
	Rotate Action = "rotate"
)

// DisplayNamePrefix is how appreg's credentials of a secret are named.
func DisplayNamePrefix(secret string) string { return "appreg:" + secret + ":" }

// DisplayName names a credential created at start.
func DisplayName(secret string, start time.Time) string {
	return DisplayNamePrefix(secret) + start.UTC().Format(time.RFC3339)
}

// Decision is what to do with one declared secret of one registration, and
// why. It holds metadata only.
type Decision struct {
	Registration string                      `json:"registration"`
	Secret       string                      `json:"secret"`
	Action       Action                      `json:"action"`
	Reason       string                      `json:"reason"`
	Current      *appreg.PasswordCredential  `json:"current,omitempty"` // newest valid credential of this name
	RotateOn     time.Time                   `json:"rotateOn,omitzero"` // when Current becomes due
	Remove       []appreg.PasswordCredential `json:"remove,omitempty"`  // older credentials whose overlap has passed
	Pending      []appreg.PasswordCredential `json:"pending,omitempty"` // older credentials still inside their overlap
	Unmanaged    int                         `json:"unmanaged"`         // credentials appreg did not create
	Targets      []appreg.Delivery           `json:"targets"`
}

// Due reports whether the decision creates or rotates a credential.
func (d Decision) Due() bool { return d.Action == Create || d.Action == Rotate }

// Decide decides what to do with secret s of a registration whose
// credentials are observed (nil when the app does not exist yet). force
// rotates now and treats every older credential of this name as revoked
// (the compromised-secret case).
func Decide(now time.Time, name string, s appreg.Secret, observed []appreg.PasswordCredential, force bool) Decision {
	d := Decision{Registration: name, Secret: s.Name, Targets: s.Deliver}
	var mine []appreg.PasswordCredential
	for _, c := range observed {
		if strings.HasPrefix(c.DisplayName, DisplayNamePrefix(s.Name)) {
			mine = append(mine, c)
		} else if !strings.HasPrefix(c.DisplayName, "appreg:") {
			d.Unmanaged++
		}
	}
	// Newest first.
	sort.Slice(mine, func(i, j int) bool { return mine[i].Start.After(mine[j].Start) })
	var newest *appreg.PasswordCredential
	for i := range mine {
		if mine[i].End.After(now) {
			newest = &mine[i]
			break
		}
	}
	switch {
	case force:
		d.Action, d.Reason = Rotate, "rotation forced with --now: every older credential is revoked once the new one is delivered"
	case newest == nil && len(mine) == 0:
		d.Action, d.Reason = Create, "no client secret exists yet"
	case newest == nil:
		d.Action, d.Reason = Create, "every client secret of this name has expired"
	default:
		d.RotateOn = newest.End.Add(-s.RotateBefore)
		if !now.Before(d.RotateOn) {
			d.Action = Rotate
			d.Reason = fmt.Sprintf("expires %s, within rotateBefore (%s)", newest.End.UTC().Format(time.DateOnly), days(s.RotateBefore))
		} else {
			d.Action = Keep
			d.Reason = fmt.Sprintf("valid until %s; rotation due %s", newest.End.UTC().Format(time.DateOnly), d.RotateOn.UTC().Format(time.DateOnly))
		}
	}
	if newest != nil {
		cur := *newest
		d.Current = &cur
	}
	// Older credentials go once their successor has been live for the
	// overlap; expired ones go at once. The newest valid one always stays.
	for i, c := range mine {
		if newest != nil && c.KeyID == newest.KeyID && !force {
			continue
		}
		successor := mine[max(i-1, 0)]
		switch {
		case force:
			d.Remove = append(d.Remove, c)
		case !c.End.After(now):
			d.Remove = append(d.Remove, c)
		case i > 0 && !now.Before(successor.Start.Add(s.Overlap)):
			d.Remove = append(d.Remove, c)
		default:
			d.Pending = append(d.Pending, c)
		}
	}
	return d
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// NotOwned says why rotation must not touch an application, or "" when it
// may: appreg adds and removes credentials only on applications that carry
// its marker and the ownership tag of the repository the run acts for.
// An application named by `adopt` whose adoption was refused, or one that
// another repository owns, is left alone.
func NotOwned(o *appreg.Observed) string {
	switch {
	case o == nil:
		return "the application does not exist yet"
	case !o.Managed:
		return fmt.Sprintf("application %s is not managed by appreg (no %s tag): it has not been adopted", o.AppID, appreg.MarkerTag)
	case !o.Owned && o.Repository != "":
		return fmt.Sprintf("application %s is managed for repository %s, not this one", o.AppID, o.Repository)
	case !o.Owned:
		return fmt.Sprintf("application %s records no owning repository yet: the next apply claims it", o.AppID)
	}
	return ""
}
