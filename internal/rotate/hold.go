package rotate

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/appreg/appreg/internal/appreg"
)

// Written is when each delivery target (by Delivery.String) was last
// written, as GitHub reports it (a secret's updated_at); the zero time
// means never.
type Written map[string]time.Time

// HeldBy returns the credential a target last written at holds: the newest
// of creds created before that write. appreg delivers a credential only
// after it is created and verified, and two runs never rotate one secret
// at once (the Action's concurrency group, serve's per-repository queue,
// and the check in Rotator.Run), so the write at that time delivered the
// newest credential that existed then. deliverySkew allows for the clocks
// of Entra and GitHub. Nil means the target holds none of creds (never
// written, or written before all of them).
func HeldBy(creds []appreg.PasswordCredential, at time.Time) *appreg.PasswordCredential {
	if at.IsZero() {
		return nil
	}
	var held *appreg.PasswordCredential
	for i := range creds {
		c := &creds[i]
		if !c.Start.After(at.Add(deliverySkew)) && (held == nil || c.Start.After(held.Start)) {
			held = c
		}
	}
	return held
}

// Holdings is the credential each delivery target (by Delivery.String)
// holds, nil when it holds none of the secret's or it cannot be told.
type Holdings map[string]*appreg.PasswordCredential

// Holding infers Holdings from when each target was last written (HeldBy).
func Holding(mine []appreg.PasswordCredential, targets []appreg.Delivery, written Written) Holdings {
	h := Holdings{}
	for _, t := range targets {
		h[t.String()] = HeldBy(mine, written[t.String()])
	}
	return h
}

// Removable reports whether credential c of a secret may be removed, and
// if not, why: every delivery target must be known to hold another
// credential of the secret, newer than c. An expired credential is always
// removable: nobody can use it any more. A secret with no targets has
// nobody relying on it.
func Removable(now time.Time, c appreg.PasswordCredential, targets []appreg.Delivery, held Holdings) (bool, string) {
	if !c.End.After(now) {
		return true, ""
	}
	var holding []string
	for _, t := range targets {
		h := held[t.String()]
		if h == nil || h.KeyID == c.KeyID || h.Start.Before(c.Start) {
			holding = append(holding, t.String())
		}
	}
	if len(holding) > 0 {
		sort.Strings(holding)
		return false, fmt.Sprintf("secret %s stays: %s may still hold it (GitHub's updated_at shows no newer delivery)", c.KeyID, strings.Join(holding, ", "))
	}
	return true, ""
}

// Contender returns the credential that makes a run stand back after it
// added ours: another credential of the same secret that the run did not
// know of when it decided (known), created before ours (by start, then key
// id). Two runs that rotate one secret at once each see the other's
// credential once their own exists, and exactly one, the later, finds a
// contender: so only one of them delivers. Nil means ours goes ahead.
func Contender(ours appreg.PasswordCredential, now []appreg.PasswordCredential, known []appreg.PasswordCredential, secret string) *appreg.PasswordCredential {
	isKnown := map[string]bool{ours.KeyID: true}
	for _, k := range known {
		isKnown[k.KeyID] = true
	}
	for i := range now {
		c := &now[i]
		if isKnown[c.KeyID] || !strings.HasPrefix(c.DisplayName, DisplayNamePrefix(secret)) {
			continue
		}
		if c.Start.Before(ours.Start) || c.Start.Equal(ours.Start) && c.KeyID < ours.KeyID {
			return c
		}
	}
	return nil
}
