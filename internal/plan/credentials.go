package plan

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/rotate"
)

// secretChanges gives every client secret that apply creates, and every
// new or changed delivery target (against the base commit), a field of its
// registration's change with the category credential-change: a secret and
// where it goes are privileged whatever appreg.yaml says. A registration
// with no other change gets one, so that reviewers see it and the apply
// gate asks about it.
func (p *planner) secretChanges() {
	for _, want := range p.in.Desired.Registrations {
		if want.Credentials == nil {
			continue
		}
		for _, s := range want.Credentials.Secrets {
			targets := deliveryTargets(s)
			if p.creates(want.Name, s.Name) {
				p.credentialField(want, FieldDiff{
					Path: "credentials.secrets[" + s.Name + "]", Section: SectionFederated, Item: s.Name, Kind: KindNote,
					Category: appreg.CategoryCredentialChange, New: targets,
					After: createdText(targets),
				})
				continue
			}
			if base := p.baseTargets(want.Name, s.Name); base != nil && !slices.Equal(base, targets) {
				p.credentialField(want, FieldDiff{
					Path: "credentials.secrets[" + s.Name + "].deliver", Section: SectionFederated, Item: s.Name, Kind: KindSet,
					Category: appreg.CategoryCredentialChange, Old: base, New: targets, Before: list(base), After: list(targets),
				})
			}
		}
	}
}

// creates reports whether apply creates secret name of registration key.
func (p *planner) creates(key, name string) bool {
	return slices.ContainsFunc(p.plan.Secrets, func(d rotate.Decision) bool {
		return d.Registration == key && d.Secret == name && d.Action == rotate.Create
	})
}

// baseTargets are the delivery targets the base commit declares for a
// secret: nil when the base is unknown, [] when it does not declare it.
func (p *planner) baseTargets(key, name string) []string {
	if p.in.Base == nil || p.in.Base.Desired == nil {
		return nil
	}
	r := p.in.Base.Desired.Get(key)
	if r == nil || r.Credentials == nil {
		return []string{}
	}
	for _, s := range r.Credentials.Secrets {
		if s.Name == name {
			return deliveryTargets(s)
		}
	}
	return []string{}
}

// deliveryTargets names a secret's delivery targets, sorted.
func deliveryTargets(s appreg.Secret) []string {
	out := []string{}
	for _, d := range s.Deliver {
		out = append(out, d.String())
	}
	return sorted(out)
}

// credentialField adds f to the change of registration want, making one
// when it has none.
func (p *planner) credentialField(want *appreg.Registration, f FieldDiff) {
	i := slices.IndexFunc(p.plan.Changes, func(c Change) bool { return c.Key == want.Name })
	if i < 0 {
		if slices.ContainsFunc(p.plan.Refused, func(r Refusal) bool { return r.Key == want.Name }) || !slices.Contains(p.plan.Unchanged, want.Name) {
			return // refused or with errors: not applied at all
		}
		p.plan.Unchanged = slices.DeleteFunc(p.plan.Unchanged, func(n string) bool { return n == want.Name })
		have := p.byName[want.Name]
		c := Change{Key: want.Name, UniqueName: want.UniqueName, Action: Update, Why: ReasonDrift,
			Reason: "a client secret to create or deliver elsewhere", Before: have, After: want}
		if have != nil && have.Observed != nil {
			c.AppID = have.Observed.AppID
		}
		p.plan.Changes = append(p.plan.Changes, c)
		i = len(p.plan.Changes) - 1
	}
	c := &p.plan.Changes[i]
	c.Fields = append(c.Fields, f)
	c.Categories = uniqueCategories(append(slices.DeleteFunc(c.Categories, func(x appreg.Category) bool { return x == appreg.CategoryRegistrationChange }), appreg.CategoryCredentialChange))
	c.Risk = risk(*c)
}

// SettingsKey is the key of the change a plan has when appreg.yaml itself
// changes: it is no registration, and apply writes nothing for it.
const SettingsKey = "appreg.yaml"

// settingsChange plans a change of appreg.yaml against the base commit's:
// reviewers judge it (policy-change), and nothing is written to the tenant.
func (p *planner) settingsChange() {
	if p.in.Base == nil {
		return
	}
	base, head := p.in.Base.Settings, p.in.Settings
	base.Source, head.Source = appreg.Pos{}, appreg.Pos{}
	if reflect.DeepEqual(base, head) {
		return
	}
	var fields []FieldDiff
	for _, f := range []struct {
		path     string
		old, new any
	}{
		{"namePrefix", base.NamePrefix, head.NamePrefix},
		{"registrations", base.Registrations, head.Registrations},
		{"tenantId", base.TenantID, head.TenantID},
		{"defaults", base.Defaults, head.Defaults},
		{"deletion", base.Deletion, head.Deletion},
		{"policy", base.Policy, head.Policy},
	} {
		if !reflect.DeepEqual(f.old, f.new) {
			fields = append(fields, FieldDiff{Path: f.path, Section: SectionSettings, Kind: KindObject, Category: appreg.CategoryPolicyChange,
				Old: f.old, New: f.new, Before: fmt.Sprintf("%+v", f.old), After: fmt.Sprintf("%+v", f.new)})
		}
	}
	c := Change{Key: SettingsKey, Action: Update, Why: ReasonDrift, Settings: true,
		Reason: "appreg.yaml differs from the base commit's: the policy that judges this change is the base commit's",
		Fields: fields, Categories: []appreg.Category{appreg.CategoryPolicyChange}}
	c.Risk = RiskHigh
	p.plan.Changes = append(p.plan.Changes, c)
}

func createdText(targets []string) string {
	if len(targets) == 0 {
		return "created on apply, delivered nowhere"
	}
	return "created on apply, delivered to " + list(targets)
}
