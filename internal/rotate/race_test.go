package rotate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appreg/appreg/internal/appreg"
)

// sharedTenant is one application's credentials and its delivery targets,
// shared by runs that go on at the same time. Every target remembers the
// value last written to it.
type sharedTenant struct {
	mu      sync.Mutex
	changed *sync.Cond
	creds   []appreg.PasswordCredential
	values  map[string]string // key -> value
	n       int
	// held is the value each target holds; at when it was written.
	held map[string]string
	at   map[string]time.Time
	fail map[string]bool // targets whose writes fail
	// both is closed once two credentials were added: the runs add theirs
	// before either goes on (the interleaving that loses a credential).
	both       chan struct{}
	delivered  map[string]bool // keys delivered
	interleave bool
}

func newSharedTenant(existing ...appreg.PasswordCredential) *sharedTenant {
	t := &sharedTenant{creds: existing, values: map[string]string{}, held: map[string]string{}, at: map[string]time.Time{},
		fail: map[string]bool{}, both: make(chan struct{}), delivered: map[string]bool{}}
	t.changed = sync.NewCond(&t.mu)
	for _, c := range existing {
		t.values[c.KeyID] = "value-of-" + c.KeyID
	}
	return t
}

func (t *sharedTenant) AddPassword(_ context.Context, _, name string, end time.Time) (appreg.PasswordCredential, appreg.SecretValue, error) {
	t.mu.Lock()
	t.n++
	key, value := fmt.Sprintf("k%d", t.n), fmt.Sprintf("v%d~value-%d", t.n, t.n)
	c := appreg.PasswordCredential{KeyID: key, DisplayName: name, Hint: value[:3], Start: now.Add(time.Duration(t.n) * time.Second), End: end}
	t.creds = append(t.creds, c)
	t.values[key] = value
	if t.interleave && t.n == 2 {
		close(t.both)
	}
	t.mu.Unlock()
	if t.interleave {
		<-t.both
	}
	return c, appreg.NewSecretValue(value), nil
}

func (t *sharedTenant) ListPasswords(context.Context, string) ([]appreg.PasswordCredential, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.creds), nil
}

func (t *sharedTenant) RemovePassword(_ context.Context, _, key string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.creds = slices.DeleteFunc(t.creds, func(c appreg.PasswordCredential) bool { return c.KeyID == key })
	t.changed.Broadcast()
	return nil
}

func (t *sharedTenant) Verify(context.Context, string, appreg.SecretValue) ([]string, error) {
	return nil, nil
}

func (t *sharedTenant) keyOf(value string) string {
	for k, v := range t.values {
		if v == value {
			return k
		}
	}
	return ""
}

func (t *sharedTenant) exists(key string) bool {
	return slices.ContainsFunc(t.creds, func(c appreg.PasswordCredential) bool { return c.KeyID == key })
}

// Deliver writes a value. With interleave, the older of two new
// credentials is written last: it waits until the newer one was delivered
// or removed.
func (t *sharedTenant) Deliver(_ context.Context, d appreg.Delivery, s appreg.SecretValue) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fail[d.String()] {
		return errors.New("403 Resource not accessible by integration")
	}
	key := t.keyOf(s.Reveal())
	if t.interleave && key == "k1" {
		for !t.delivered["k2"] && t.exists("k2") {
			t.changed.Wait()
		}
	}
	t.held[d.String()] = s.Reveal()
	t.at[d.String()] = now.Add(10 * time.Second) // after both credentials were created
	t.delivered[key] = true
	t.changed.Broadcast()
	return nil
}

func (t *sharedTenant) DeliveredAt(_ context.Context, d appreg.Delivery) (time.Time, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.at[d.String()], nil
}

// heldExist checks that the credential every target holds still exists.
func (t *sharedTenant) heldExist(tb testing.TB) {
	tb.Helper()
	t.mu.Lock()
	defer t.mu.Unlock()
	for target, v := range t.held {
		if key := t.keyOf(v); !t.exists(key) {
			tb.Errorf("%s holds credential %s, which was removed: the application using it is locked out", target, key)
		}
	}
}

func (t *sharedTenant) rotator() *Rotator {
	return &Rotator{Passwords: t, Verifier: t, Deliverer: t, Now: func() time.Time { return now }}
}

// TestConcurrentRotationsNeverRemoveTheDeliveredCredential: two runs
// rotate one secret at once (serve applying while the rotate workflow
// runs) and the older new credential is the one written last. The next run
// must not remove what GitHub holds.
func TestConcurrentRotationsNeverRemoveTheDeliveredCredential(t *testing.T) {
	t.Parallel()
	s := secret
	s.Overlap = 0
	old := cred("old", now.Add(-61*day), 90*day)
	tenant := newSharedTenant(old)
	tenant.interleave = true
	tenant.held[s.Deliver[0].String()] = tenant.values["old"]
	tenant.at[s.Deliver[0].String()] = old.Start.Add(time.Minute)

	d := Decide(now, "payments", s, tenant.creds, false)
	var wg sync.WaitGroup
	outs := make([]Outcome, 2)
	for i := range 2 {
		wg.Go(func() {
			outs[i] = tenant.rotator().Run(t.Context(), Job{Registration: "payments", ObjectID: "obj", AppID: "app", Secret: s, Decision: d})
		})
	}
	wg.Wait()
	tenant.heldExist(t)

	// The next scheduled run, an hour later.
	tenant.interleave = false
	creds, _ := tenant.ListPasswords(t.Context(), "obj")
	next := Decide(now.Add(time.Hour), "payments", s, creds, false)
	r := tenant.rotator()
	r.Now = func() time.Time { return now.Add(time.Hour) }
	out := r.Run(t.Context(), Job{Registration: "payments", ObjectID: "obj", AppID: "app", Secret: s, Decision: next})
	if out.Error != "" {
		t.Fatal(out.Error)
	}
	tenant.heldExist(t)
	failed := 0
	for _, o := range outs {
		if o.Error != "" {
			failed++
			if !strings.Contains(o.Error, "another run is rotating") {
				t.Errorf("the run that stood back says %q", o.Error)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d of two concurrent runs stood back, want exactly one: %+v", failed, outs)
	}
}

// TestPartialDeliveryKeepsWhatATargetHolds: the newest credential reached
// one target and not the other (whose write fails). The next run must not
// remove it while the first target holds it.
func TestPartialDeliveryKeepsWhatATargetHolds(t *testing.T) {
	t.Parallel()
	s := secret
	broken := appreg.Delivery{Kind: appreg.DeliverEnvironment, Repo: "contoso/payments", Environment: "prod", Secret: "AZURE_CLIENT_SECRET"}
	ok := s.Deliver[0]
	s.Deliver = []appreg.Delivery{broken, ok}
	old := cred("old", now.Add(-61*day), 90*day)
	newer := cred("newer", now.Add(-time.Hour), 90*day)
	tenant := newSharedTenant(old, newer)
	tenant.held[broken.String()], tenant.at[broken.String()] = tenant.values["old"], old.Start.Add(time.Minute)
	tenant.held[ok.String()], tenant.at[ok.String()] = tenant.values["newer"], newer.Start.Add(time.Minute)
	tenant.fail[broken.String()] = true

	out := tenant.rotator().Run(t.Context(), Job{Registration: "payments", ObjectID: "obj", AppID: "app", Secret: s,
		Decision: Decide(now, "payments", s, tenant.creds, false)})
	if out.Error == "" {
		t.Error("the failing target went unreported")
	}
	tenant.heldExist(t)
}
