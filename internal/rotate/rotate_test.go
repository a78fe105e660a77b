package rotate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
)

var (
	now    = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	day    = 24 * time.Hour
	secret = appreg.Secret{Name: "ci", Lifetime: 90 * day, RotateBefore: 30 * day, Overlap: 7 * day,
		Deliver: []appreg.Delivery{{Kind: appreg.DeliverRepo, Repo: "contoso/payments", Secret: "AZURE_CLIENT_SECRET"}}}
)

func cred(key string, start time.Time, lifetime time.Duration) appreg.PasswordCredential {
	return appreg.PasswordCredential{KeyID: key, DisplayName: DisplayName("ci", start), Start: start, End: start.Add(lifetime)}
}

func keys(cs []appreg.PasswordCredential) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.KeyID)
	}
	return out
}

func TestDecide(t *testing.T) {
	t.Parallel()
	unmanaged := appreg.PasswordCredential{KeyID: "hand", DisplayName: "made in the portal", Start: now.Add(-400 * day), End: now.Add(-1 * day)}
	tests := []struct {
		name       string
		observed   []appreg.PasswordCredential
		force      bool
		action     Action
		remove     []string
		pending    []string
		unmanaged  int
		reasonPart string
	}{
		{name: "none yet", action: Create, remove: []string{}, pending: []string{}, reasonPart: "no client secret exists yet"},
		{name: "fresh", observed: []appreg.PasswordCredential{cred("a", now.Add(-10*day), 90*day)}, action: Keep, remove: []string{}, pending: []string{}, reasonPart: "rotation due 2027-01-11"},
		{name: "due", observed: []appreg.PasswordCredential{cred("a", now.Add(-61*day), 90*day)}, action: Rotate, remove: []string{}, pending: []string{}, reasonPart: "within rotateBefore (30d)"},
		{name: "all expired", observed: []appreg.PasswordCredential{cred("a", now.Add(-100*day), 90*day)}, action: Create, remove: []string{"a"}, pending: []string{}, reasonPart: "expired"},
		{name: "previous inside overlap", observed: []appreg.PasswordCredential{cred("new", now.Add(-2*day), 90*day), cred("old", now.Add(-70*day), 90*day)},
			action: Keep, remove: []string{}, pending: []string{"old"}},
		{name: "previous past overlap", observed: []appreg.PasswordCredential{cred("new", now.Add(-8*day), 90*day), cred("old", now.Add(-70*day), 90*day)},
			action: Keep, remove: []string{"old"}, pending: []string{}},
		{name: "never touches unmanaged", observed: []appreg.PasswordCredential{unmanaged, cred("a", now.Add(-10*day), 90*day)}, action: Keep, remove: []string{}, pending: []string{}, unmanaged: 1},
		{name: "forced revokes all of ours", observed: []appreg.PasswordCredential{unmanaged, cred("new", now.Add(-2*day), 90*day), cred("old", now.Add(-70*day), 90*day)},
			force: true, action: Rotate, remove: []string{"new", "old"}, pending: []string{}, unmanaged: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Decide(now, "payments", secret, tt.observed, tt.force)
			if d.Action != tt.action {
				t.Errorf("action = %s, want %s (%s)", d.Action, tt.action, d.Reason)
			}
			if diff := cmp.Diff(tt.remove, keys(d.Remove)); diff != "" {
				t.Errorf("remove (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.pending, keys(d.Pending)); diff != "" {
				t.Errorf("pending (-want +got):\n%s", diff)
			}
			if d.Unmanaged != tt.unmanaged {
				t.Errorf("unmanaged = %d, want %d", d.Unmanaged, tt.unmanaged)
			}
			if !strings.Contains(d.Reason, tt.reasonPart) {
				t.Errorf("reason %q lacks %q", d.Reason, tt.reasonPart)
			}
		})
	}
}

// fakes record what the procedure did.
type fakeTenant struct {
	creds     []appreg.PasswordCredential
	values    map[string]string
	next      int
	addErr    error
	verifyErr error
	roles     []string
	calls     []string
}

func (f *fakeTenant) AddPassword(_ context.Context, _, name string, end time.Time) (appreg.PasswordCredential, appreg.SecretValue, error) {
	if f.addErr != nil {
		return appreg.PasswordCredential{}, appreg.SecretValue{}, f.addErr
	}
	f.next++
	key := fmt.Sprintf("k%d", f.next)
	value := fmt.Sprintf("v%d~secret-value-%d", f.next, f.next)
	c := appreg.PasswordCredential{KeyID: key, DisplayName: name, Hint: value[:3], Start: now, End: end}
	f.creds = append(f.creds, c)
	f.values[key] = value
	f.calls = append(f.calls, "add "+key)
	return c, appreg.NewSecretValue(value), nil
}

func (f *fakeTenant) RemovePassword(_ context.Context, _, key string) error {
	f.creds = slices.DeleteFunc(f.creds, func(c appreg.PasswordCredential) bool { return c.KeyID == key })
	f.calls = append(f.calls, "remove "+key)
	return nil
}

func (f *fakeTenant) ListPasswords(context.Context, string) ([]appreg.PasswordCredential, error) {
	return slices.Clone(f.creds), nil
}

func (f *fakeTenant) Verify(_ context.Context, _ string, s appreg.SecretValue) ([]string, error) {
	f.calls = append(f.calls, "verify")
	return f.roles, f.verifyErr
}

type fakeGitHub struct {
	written map[string]string
	at      map[string]time.Time
	fail    string
	calls   *[]string
}

func (g *fakeGitHub) Deliver(_ context.Context, t appreg.Delivery, s appreg.SecretValue) error {
	*g.calls = append(*g.calls, "deliver "+t.Secret)
	if t.Secret == g.fail {
		return errors.New("403 Resource not accessible by integration")
	}
	g.written[t.String()] = s.Reveal()
	g.at[t.String()] = now
	return nil
}

func (g *fakeGitHub) DeliveredAt(_ context.Context, t appreg.Delivery) (time.Time, error) {
	return g.at[t.String()], nil
}

func setup(existing ...appreg.PasswordCredential) (*fakeTenant, *fakeGitHub, *Rotator) {
	tenant := &fakeTenant{creds: existing, values: map[string]string{}, roles: []string{"User.Read.All"}}
	gh := &fakeGitHub{written: map[string]string{}, at: map[string]time.Time{}, calls: &tenant.calls}
	return tenant, gh, &Rotator{Passwords: tenant, Verifier: tenant, Deliverer: gh, Now: func() time.Time { return now }}
}

func job(s appreg.Secret, creds []appreg.PasswordCredential, force bool) Job {
	return Job{Registration: "payments", ObjectID: "obj", AppID: "app", TenantID: "tenant", Secret: s,
		Decision: Decide(now, "payments", s, creds, force), Consented: []string{"User.Read.All"}}
}

func TestRotateDeliversTheIssuedValue(t *testing.T) {
	t.Parallel()
	old := cred("old", now.Add(-61*day), 90*day)
	tenant, gh, r := setup(old)
	out := r.Run(t.Context(), job(secret, tenant.creds, false))
	if out.Error != "" {
		t.Fatal(out.Error)
	}
	if diff := cmp.Diff([]string{"add k1", "verify", "deliver AZURE_CLIENT_SECRET"}, tenant.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if got := gh.written["contoso/payments secret AZURE_CLIENT_SECRET"]; got != tenant.values["k1"] {
		t.Errorf("delivered %q, want the issued value", got)
	}
	if !slices.ContainsFunc(tenant.creds, func(c appreg.PasswordCredential) bool { return c.KeyID == "old" }) {
		t.Error("the old secret must live on during the overlap")
	}
	if !out.Verified || out.NewKeyID != "k1" || len(out.Removed) != 0 {
		t.Errorf("outcome %+v", out)
	}
}

func TestNothingDueChangesNothing(t *testing.T) {
	t.Parallel()
	c := cred("a", now.Add(-10*day), 90*day)
	tenant, gh, r := setup(c)
	gh.at["contoso/payments secret AZURE_CLIENT_SECRET"] = c.Start.Add(time.Second)
	out := r.Run(t.Context(), job(secret, tenant.creds, false))
	if out.Error != "" || out.Action != Keep || len(tenant.calls) != 0 {
		t.Errorf("outcome %+v calls %v", out, tenant.calls)
	}
}

func TestDeliveryFailureKeepsTheOldSecretAndNamesTheTarget(t *testing.T) {
	t.Parallel()
	old := cred("old", now.Add(-61*day), 90*day)
	tenant, gh, r := setup(old)
	gh.fail = "AZURE_CLIENT_SECRET"
	out := r.Run(t.Context(), job(secret, tenant.creds, true)) // even forced: nothing is revoked
	if !strings.Contains(out.Error, "contoso/payments secret AZURE_CLIENT_SECRET") || !strings.Contains(out.Error, "403") {
		t.Errorf("error %q must name the target and the cause", out.Error)
	}
	if !slices.ContainsFunc(tenant.creds, func(c appreg.PasswordCredential) bool { return c.KeyID == "old" }) {
		t.Error("the old secret was removed although delivery failed")
	}
}

func TestCrashBetweenCreateAndDeliverIsRepaired(t *testing.T) {
	t.Parallel()
	// The previous run created k-orphan and died before delivering it: the
	// GitHub secret still holds the old credential's value.
	old := cred("old", now.Add(-61*day), 90*day)
	orphan := cred("orphan", now.Add(-1*time.Hour), 90*day)
	tenant, gh, r := setup(old, orphan)
	gh.at["contoso/payments secret AZURE_CLIENT_SECRET"] = old.Start.Add(time.Minute)
	out := r.Run(t.Context(), job(secret, tenant.creds, false))
	if out.Error != "" {
		t.Fatal(out.Error)
	}
	if diff := cmp.Diff([]string{"remove orphan", "add k1", "verify", "deliver AZURE_CLIENT_SECRET"}, tenant.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if n := len(tenant.creds); n != 2 {
		t.Errorf("the app holds %d credentials, want 2 (old + delivered new): never a third", n)
	}
	if !strings.Contains(out.Reason, "never reached contoso/payments secret AZURE_CLIENT_SECRET") {
		t.Errorf("reason %q", out.Reason)
	}
}

func TestForcedRotationRevokesImmediately(t *testing.T) {
	t.Parallel()
	c := cred("leaked", now.Add(-2*day), 90*day)
	tenant, _, r := setup(c)
	out := r.Run(t.Context(), job(secret, tenant.creds, true))
	if out.Error != "" {
		t.Fatal(out.Error)
	}
	if diff := cmp.Diff([]string{"add k1", "verify", "deliver AZURE_CLIENT_SECRET", "remove leaked"}, tenant.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestVerificationFailureRemovesTheNewSecret(t *testing.T) {
	t.Parallel()
	tenant, gh, r := setup()
	tenant.verifyErr = errors.New("AADSTS7000215: Invalid client secret provided")
	out := r.Run(t.Context(), job(secret, nil, false))
	if !strings.Contains(out.Error, "verifying the new secret") || len(gh.written) != 0 || len(tenant.creds) != 0 {
		t.Errorf("outcome %+v creds %v written %v", out, tenant.creds, gh.written)
	}
}

func TestMissingConsentIsReportedWithTheConsentURL(t *testing.T) {
	t.Parallel()
	tenant, _, r := setup()
	tenant.roles = nil
	out := r.Run(t.Context(), job(secret, nil, false))
	if len(out.Notes) != 1 || !strings.Contains(out.Notes[0], "User.Read.All") || !strings.Contains(out.Notes[0], "adminconsent?client_id=app") {
		t.Errorf("notes %v", out.Notes)
	}
}

func TestGuardRefusesKeyIDsAndHintMismatch(t *testing.T) {
	t.Parallel()
	c := appreg.PasswordCredential{KeyID: "k", Hint: "abc"}
	for _, v := range []string{"", "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20", "xyz~value"} {
		if err := guard(c, appreg.NewSecretValue(v)); err == nil {
			t.Errorf("guard accepted %q", v)
		} else if v != "" && strings.Contains(err.Error(), v) {
			t.Errorf("guard error repeats the value: %v", err)
		}
	}
	if err := guard(c, appreg.NewSecretValue("abc~real-secret-value")); err != nil {
		t.Error(err)
	}
}
