package rotate

import (
	"testing"
	"time"

	"github.com/appreg/appreg/internal/appreg"
)

func TestRemovable(t *testing.T) {
	t.Parallel()
	old := cred("old", now.Add(-61*day), 90*day)
	newer := cred("newer", now.Add(-2*day), 90*day)
	expired := cred("expired", now.Add(-100*day), 90*day)
	mine := []appreg.PasswordCredential{old, newer, expired}
	repo := secret.Deliver[0]
	env := appreg.Delivery{Kind: appreg.DeliverEnvironment, Repo: "contoso/payments", Environment: "prod", Secret: "S"}
	tests := []struct {
		name    string
		c       appreg.PasswordCredential
		targets []appreg.Delivery
		written Written
		want    bool
	}{
		{"every target written after the newer one", old, []appreg.Delivery{repo, env}, Written{repo.String(): newer.Start.Add(time.Hour), env.String(): newer.Start.Add(time.Hour)}, true},
		{"one target still written before it", old, []appreg.Delivery{repo, env}, Written{repo.String(): newer.Start.Add(time.Hour), env.String(): old.Start.Add(time.Hour)}, false},
		{"a target never written", old, []appreg.Delivery{repo}, Written{}, false},
		{"the newest itself", newer, []appreg.Delivery{repo}, Written{repo.String(): now}, false},
		{"expired: nobody can use it", expired, []appreg.Delivery{repo}, Written{}, true},
		{"no targets: nobody relies on it", old, nil, Written{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, why := Removable(now, tt.c, tt.targets, Holding(mine, tt.targets, tt.written))
			if got != tt.want {
				t.Errorf("Removable = %v (%s), want %v", got, why, tt.want)
			}
		})
	}
}

func TestContender(t *testing.T) {
	t.Parallel()
	current := cred("current", now.Add(-61*day), 90*day)
	ours := cred("ours", now.Add(2*time.Second), 90*day)
	earlier := cred("theirs", now.Add(time.Second), 90*day)
	later := cred("later", now.Add(3*time.Second), 90*day)
	other := appreg.PasswordCredential{KeyID: "hand", DisplayName: "made in the portal", Start: now}
	if c := Contender(ours, []appreg.PasswordCredential{current, ours, later, other}, []appreg.PasswordCredential{current}, "ci"); c != nil {
		t.Errorf("a later run's credential made ours stand back: %+v", c)
	}
	if c := Contender(ours, []appreg.PasswordCredential{current, earlier, ours}, []appreg.PasswordCredential{current}, "ci"); c == nil || c.KeyID != "theirs" {
		t.Errorf("an earlier concurrent credential was not found: %+v", c)
	}
}
