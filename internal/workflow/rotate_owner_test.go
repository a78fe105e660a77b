package workflow

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/appreg/appreg/internal/apply/applytest"
	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/rotate"
	"github.com/appreg/appreg/internal/spec"
)

// writes records every credential written to the tenant or to GitHub.
type writes struct {
	mu    sync.Mutex
	calls []string
}

func (w *writes) add(s string) { w.mu.Lock(); w.calls = append(w.calls, s); w.mu.Unlock() }

func (w *writes) AddPassword(_ context.Context, objectID, name string, end time.Time) (appreg.PasswordCredential, appreg.SecretValue, error) {
	w.add("addPassword " + objectID)
	return appreg.PasswordCredential{KeyID: "k", DisplayName: name, Start: time.Now(), End: end}, appreg.NewSecretValue("s3cr3t-value"), nil
}

func (w *writes) RemovePassword(_ context.Context, objectID, keyID string) error {
	w.add("removePassword " + objectID + " " + keyID)
	return nil
}

func (w *writes) ListPasswords(context.Context, string) ([]appreg.PasswordCredential, error) {
	return nil, nil
}

func (w *writes) Verify(context.Context, string, appreg.SecretValue) ([]string, error) {
	return nil, nil
}

func (w *writes) Deliver(_ context.Context, t appreg.Delivery, _ appreg.SecretValue) error {
	w.add("deliver " + t.String())
	return nil
}

func (w *writes) DeliveredAt(context.Context, appreg.Delivery) (time.Time, error) {
	return time.Time{}, nil
}

// TestRotateTouchesOnlyOwnedApplications: rotation adds and removes
// credentials only on applications that carry appreg's marker and this
// repository's ownership tag. A file that adopts an application whose
// adoption the apply gate refused (still untagged), or one another
// repository owns, gets no addPassword.
func TestRotateTouchesOnlyOwnedApplications(t *testing.T) {
	t.Parallel()
	secret := appreg.Secret{Name: "ci", Lifetime: 90 * 24 * time.Hour, RotateBefore: 30 * 24 * time.Hour, Overlap: 24 * time.Hour,
		Deliver: []appreg.Delivery{{Kind: appreg.DeliverRepo, Repo: "mallory/loot", Secret: "PAYROLL"}}}
	for _, tt := range []struct {
		name     string
		observed appreg.Observed
	}{
		{"unmanaged app named by adopt", appreg.Observed{ObjectID: "obj-payroll", AppID: "0f1b2c3d-0000-4000-8000-000000000001"}},
		{"another repository's app", appreg.Observed{ObjectID: "obj-payroll", AppID: "0f1b2c3d-0000-4000-8000-000000000001", Managed: true, Repository: "contoso/payroll"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			obs := tt.observed
			have := &appreg.Registration{Name: "payroll", UniqueName: "contoso-payroll", Observed: &obs}
			if !obs.Managed {
				have.Name, have.UniqueName = "", ""
			}
			want := &appreg.Registration{Name: "payroll", UniqueName: "contoso-payroll", Adopt: &appreg.Adopt{AppID: obs.AppID},
				Credentials: &appreg.Credentials{Secrets: []appreg.Secret{secret}}}
			loaded := &spec.Result{Settings: appreg.Settings{NamePrefix: "contoso-"}, Desired: &appreg.Set{Registrations: []*appreg.Registration{want}}}
			w := &writes{}
			rot, err := Rotate(t.Context(), &applytest.Tenant{Observed: &appreg.Set{Registrations: []*appreg.Registration{have}}}, loaded,
				RotateOptions{Rotator: &rotate.Rotator{Passwords: w, Verifier: w, Deliverer: w, Now: time.Now}})
			if err != nil {
				t.Fatal(err)
			}
			if len(w.calls) != 0 {
				t.Errorf("rotation wrote %v to an application this repository does not own", w.calls)
			}
			if len(rot.Outcomes) != 1 || rot.Outcomes[0].Error == "" {
				t.Errorf("outcomes %+v, want one saying why nothing was rotated", rot.Outcomes)
			}
		})
	}
}
