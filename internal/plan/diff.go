package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/catalog"
	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/rotate"
)

// Input is everything planning needs; all of it was read before planning.
type Input struct {
	Settings appreg.Settings
	// Desired is the loaded registration files, owners resolved to ids.
	Desired *appreg.Set
	// Observed holds the managed applications whose uniqueName has the
	// repository's prefix (Name is the uniqueName without it) and the
	// applications named by `adopt`. Only those whose Observed.Owned is
	// set are this repository's: the others are changed only by adopting
	// them (a claim), and never deleted.
	Observed *appreg.Set
	// Catalogs maps a resource API's appId to the permissions it offers in
	// the tenant. Registrations of the desired set need no entry.
	Catalogs map[string]*catalog.Catalog
	// Self is appreg's own service principal, kept as owner of every
	// application it manages. Empty ID means unknown.
	Self appreg.Owner
	// Now is the time secrets are judged at.
	Now time.Time
	// Base is the registration files and settings of the commit the
	// change is judged against (a pull request's base); nil when unknown.
	// New or changed secret delivery targets and a changed appreg.yaml
	// are planned against it.
	Base *Base
}

// Base is what the base commit declares.
type Base struct {
	Settings appreg.Settings
	Desired  *appreg.Set
}

// DefaultPrivileged is used when policy.privileged is not set.
var DefaultPrivileged = []string{
	"microsoft-graph:*.ReadWrite.All", "microsoft-graph:Directory.*", "microsoft-graph:RoleManagement.*",
	"microsoft-graph:AppRoleAssignment.ReadWrite.All", "microsoft-graph:Application.ReadWrite.*",
}

// Compute diffs desired against observed. It never fails: problems are
// returned as diagnostics in the plan, and registrations with errors are
// left out of Changes.
func Compute(in Input) *Plan {
	p := &planner{in: in, plan: &Plan{Changes: []Change{}, Unchanged: []string{}, Refused: []Refusal{}, Secrets: []rotate.Decision{}}}
	p.index()
	for _, want := range in.Desired.Registrations {
		p.registration(want)
	}
	p.deletions()
	p.secretChanges()
	p.settingsChange()
	sort.Slice(p.plan.Changes, func(i, j int) bool { return p.plan.Changes[i].Key < p.plan.Changes[j].Key })
	sort.Strings(p.plan.Unchanged)
	p.plan.Diagnostics.Sort()
	p.plan.Fingerprint = fingerprint(p.plan)
	return p.plan
}

type planner struct {
	in       Input
	plan     *Plan
	byName   map[string]*appreg.Registration // observed by name
	byAppID  map[string]*appreg.Registration // observed by appId
	matched  map[*appreg.Registration]bool   // observed registrations a desired one claims
	desired  map[string]*appreg.Registration // desired by name
	apiNames map[string]string               // appId -> display name of a resource API
}

func (p *planner) index() {
	p.byName = map[string]*appreg.Registration{}
	p.byAppID = map[string]*appreg.Registration{}
	p.matched = map[*appreg.Registration]bool{}
	p.desired = map[string]*appreg.Registration{}
	p.apiNames = map[string]string{}
	for _, r := range p.in.Observed.Registrations {
		if r.Name != "" {
			p.byName[r.Name] = r
		}
		if r.Observed != nil {
			p.byAppID[strings.ToLower(r.Observed.AppID)] = r
			if r.Name != "" {
				p.apiNames[strings.ToLower(r.Observed.AppID)] = r.Name
			}
		}
	}
	for _, r := range p.in.Desired.Registrations {
		p.desired[r.Name] = r
	}
}

func (p *planner) errorf(pos appreg.Pos, summary, detail string, args ...any) {
	p.plan.Diagnostics = append(p.plan.Diagnostics, diag.Diagnostic{
		Severity: diag.Error, Summary: fmt.Sprintf(summary, args...), Detail: detail,
		File: pos.File, Line: pos.Line, Column: pos.Column,
	})
}

// match finds the observed registration a desired one corresponds to.
func (p *planner) match(want *appreg.Registration) (have *appreg.Registration, action Action, ok bool) {
	if have = p.byName[want.Name]; have != nil {
		if !have.Observed.Managed {
			p.plan.Refused = append(p.plan.Refused, Refusal{
				Key: want.Name, AppID: have.Observed.AppID, Action: Update,
				Reason: fmt.Sprintf("an application with uniqueName %q exists but does not carry the %s tag", want.UniqueName, appreg.MarkerTag),
				Hint:   fmt.Sprintf("to manage it, add `adopt: {appId: %s}` to %s", have.Observed.AppID, want.Source.File),
			})
			p.matched[have] = true
			return nil, "", false
		}
		if !have.Observed.Owned {
			return have, Adopt, true // a claim: see claimReason
		}
		return have, Update, true
	}
	if want.Adopt == nil {
		return nil, Create, true
	}
	have = p.byAppID[strings.ToLower(want.Adopt.AppID)]
	if have == nil {
		p.errorf(want.Source, "adopt.appId %s: no such application in the tenant", "check the appId in the portal or with `appreg import`, or remove `adopt` to create a new application", want.Adopt.AppID)
		return nil, "", false
	}
	p.matched[have] = true
	if u := have.UniqueName; u != "" && u != want.UniqueName {
		p.plan.Refused = append(p.plan.Refused, Refusal{
			Key: want.Name, AppID: have.Observed.AppID, Action: Adopt,
			Reason: fmt.Sprintf("application %s already has uniqueName %q, which Graph does not allow to change", have.Observed.AppID, u),
			Hint:   fmt.Sprintf("rename the registration so that namePrefix+name is %q", u),
		})
		return nil, "", false
	}
	if have.Observed.Managed && have.Observed.Owned {
		return have, Update, true
	}
	return have, Adopt, true
}

// adoptReason says what adopting have takes over: an unmanaged
// application, one managed for another repository, or one managed before
// appreg recorded owners (which the first apply by a repository whose
// files declare it claims).
func adoptReason(have *appreg.Registration, uniqueName string) string {
	o := have.Observed
	switch {
	case !o.Managed:
		return fmt.Sprintf("adopting existing application %s: sets uniqueName %q and the %s tag", o.AppID, uniqueName, appreg.MarkerTag)
	case o.Repository != "":
		return fmt.Sprintf("claiming application %s (%q) from repository %s, which manages it: it becomes this repository's", o.AppID, uniqueName, o.Repository)
	default:
		return fmt.Sprintf("claiming application %s (%q), managed by appreg before owners were recorded: it is tagged as this repository's", o.AppID, uniqueName)
	}
}

func (p *planner) registration(want *appreg.Registration) {
	have, action, ok := p.match(want)
	if !ok {
		return
	}
	before := have
	if have == nil {
		have = &appreg.Registration{} // every field absent: creates show all managed fields
	} else {
		p.matched[have] = true
	}
	errs := len(p.plan.Diagnostics)
	c := Change{Key: want.Name, UniqueName: want.UniqueName, Action: action, Before: before}
	if before != nil {
		c.AppID = before.Observed.AppID
	}
	after := p.assignIDs(want, have)
	c.After = after

	d := &differ{creating: action == Create}
	d.application(after, have)
	c.DisableFirst = disableFirst(after, have)
	for _, v := range c.DisableFirst {
		d.in(SectionOrdering, v, "").note("disable first", "enabled: "+v, "disabled: "+v+" (Graph requires it before a change or removal)")
	}
	appFields := len(d.fields)
	p.permissions(&c, d, after, have)
	// requiredResourceAccess is part of the application; consent is not
	// (granting or revoking it alone needs no application PATCH).
	accessChanged := slices.ContainsFunc(d.fields[appFields:], func(f FieldDiff) bool { return f.Section == SectionAccess })
	c.UpdateApplication = appFields > 0 || accessChanged || action == Adopt
	p.owners(&c, d, after, have)
	p.servicePrincipal(&c, d, after, have, before == nil)
	p.federated(&c, d, after, have)
	if len(p.plan.Diagnostics) > errs && p.plan.Diagnostics[errs:].HasErrors() {
		return
	}
	p.secrets(want, before)
	c.Fields = d.fields
	switch {
	case action == Create:
		c.Reason, c.Why = "not in the tenant yet", ReasonAbsent
		c.UpdateApplication = true
		c.Categories = append(c.Categories, appreg.CategoryNewRegistration)
	case action == Adopt:
		c.Reason = adoptReason(before, want.UniqueName)
		c.Why = ReasonAdopt
		c.Categories = append(c.Categories, appreg.CategoryAdoption)
	case len(c.Fields) == 0:
		p.plan.Unchanged = append(p.plan.Unchanged, want.Name)
		return
	default:
		c.Reason, c.Why = "the tenant differs from "+want.Source.File, ReasonDrift
	}
	p.categorize(&c, after, have)
	c.Categories = uniqueCategories(c.Categories)
	c.Risk = risk(c)
	p.plan.Changes = append(p.plan.Changes, c)
}

// categorize adds the change categories of c (after is the desired
// registration, have the observed one): the fields', consent, application
// and privileged permissions; registration-change when none applies.
func (p *planner) categorize(c *Change, after, have *appreg.Registration) {
	action := c.Action
	for _, cat := range categories(c.Fields) {
		// A new single-tenant app changes no audience anyone relied on.
		if cat == appreg.CategoryAudienceChange && action == Create && deref(after.Audience) == appreg.AudienceMyOrg {
			continue
		}
		c.Categories = append(c.Categories, cat)
	}
	if len(c.Grants) > 0 {
		c.Categories = append(c.Categories, appreg.CategoryAdminConsent)
	}
	c.Privileged = p.privileged(c.Grants, after, have)
	for _, g := range c.Grants {
		if g.Kind == "application" {
			c.Categories = append(c.Categories, appreg.CategoryApplicationPermission)
			break
		}
	}
	if addedApplication(after, have) {
		c.Categories = append(c.Categories, appreg.CategoryApplicationPermission)
	}
	if len(c.Privileged) > 0 {
		c.Categories = append(c.Categories, appreg.CategoryPrivilegedPermission)
	}
	if len(c.Categories) == 0 {
		c.Categories = append(c.Categories, appreg.CategoryRegistrationChange)
	}
}

// assignIDs copies want and gives every scope and app role an id: the
// observed one for the same value, else a deterministic one derived from the
// uniqueName and value, so that a re-run after a crash writes the same ids.
func (p *planner) assignIDs(want, have *appreg.Registration) *appreg.Registration {
	after := *want
	if want.API != nil {
		api := *want.API
		api.Scopes = slices.Clone(want.API.Scopes)
		var observed []appreg.Scope
		if have.API != nil {
			observed = have.API.Scopes
		}
		for i := range api.Scopes {
			s := &api.Scopes[i]
			if s.ID == "" {
				s.ID = stableID(want.UniqueName, "scope", s.Value)
				for _, o := range observed {
					if o.Value == s.Value {
						s.ID = o.ID
					}
				}
			}
		}
		api.AuthorizedClients = slices.Clone(want.API.AuthorizedClients)
		for i := range api.AuthorizedClients {
			ac := &api.AuthorizedClients[i]
			if ac.AppID == "" {
				if r := p.byName[ac.Client]; r != nil && r.Observed != nil {
					ac.AppID = r.Observed.AppID
				}
			}
		}
		after.API = &api
	}
	if want.AppRoles != nil {
		after.AppRoles = slices.Clone(want.AppRoles)
		for i := range after.AppRoles {
			r := &after.AppRoles[i]
			if r.ID == "" {
				r.ID = stableID(want.UniqueName, "role", r.Value)
				for _, o := range have.AppRoles {
					if o.Value == r.Value {
						r.ID = o.ID
					}
				}
			}
		}
	}
	if want.Permissions != nil {
		after.Permissions = slices.Clone(want.Permissions)
		for i := range after.Permissions {
			perm := &after.Permissions[i]
			if perm.ResourceAppID == "" {
				if r := p.byName[perm.API]; r != nil && r.Observed != nil {
					perm.ResourceAppID = r.Observed.AppID
				}
			}
		}
	}
	return &after
}

// disableFirst lists the enabled scopes and roles that the desired state
// changes or removes.
func disableFirst(want, have *appreg.Registration) []string {
	var out []string
	if want.API != nil && want.API.Scopes != nil && have.API != nil {
		for _, o := range have.API.Scopes {
			if o.Enabled != nil && !*o.Enabled {
				continue
			}
			i := slices.IndexFunc(want.API.Scopes, func(s appreg.Scope) bool { return s.Value == o.Value })
			if i < 0 || scopeString(want.API.Scopes[i]) != scopeString(o) {
				out = append(out, "scope "+o.Value)
			}
		}
	}
	if want.AppRoles != nil {
		for _, o := range have.AppRoles {
			if o.Enabled != nil && !*o.Enabled {
				continue
			}
			i := slices.IndexFunc(want.AppRoles, func(r appreg.AppRole) bool { return r.Value == o.Value })
			if i < 0 || roleString(want.AppRoles[i]) != roleString(o) {
				out = append(out, "appRole "+o.Value)
			}
		}
	}
	return out
}

func (p *planner) owners(c *Change, d *differ, want, have *appreg.Registration) {
	same := func(a, b appreg.Owner) bool {
		return (a.ID != "" && strings.EqualFold(a.ID, b.ID)) || strings.EqualFold(a.Ref, b.Ref)
	}
	has := func(list []appreg.Owner, o appreg.Owner) bool {
		return slices.ContainsFunc(list, func(x appreg.Owner) bool { return same(x, o) })
	}
	self := p.in.Self
	if self.ID != "" && !has(have.Owners, self) {
		c.AddOwners = append(c.AddOwners, self)
	}
	if want.Owners == nil {
		return
	}
	for _, o := range want.Owners {
		if !has(have.Owners, o) {
			c.AddOwners = append(c.AddOwners, o)
		}
	}
	for _, o := range have.Owners {
		if !has(want.Owners, o) && !(self.ID != "" && same(o, self)) {
			c.RemoveOwners = append(c.RemoveOwners, o)
		}
	}
	refs := func(list []appreg.Owner) []string {
		out := []string{}
		for _, o := range list {
			if self.ID == "" || !same(o, self) {
				out = append(out, o.Ref)
			}
		}
		return out
	}
	d.in(SectionOwners, "", appreg.CategoryOwnerChange).set("owners", refs(want.Owners), refs(have.Owners))
}

func (p *planner) servicePrincipal(c *Change, d *differ, want, have *appreg.Registration, creating bool) {
	sp := want.ServicePrincipal
	if sp != nil && sp.Create != nil && !*sp.Create {
		return
	}
	exists := have.Observed != nil && have.Observed.ServicePrincipalID != ""
	if !exists {
		c.UpdateServicePrincipal = true
		if !creating {
			d.in(SectionServicePrincipal, "", "").note("servicePrincipal", "", "created")
		}
	}
	if sp == nil {
		return
	}
	h := have.ServicePrincipal
	if h == nil {
		h = &appreg.ServicePrincipal{}
	}
	n := len(d.fields)
	d.in(SectionServicePrincipal, "", "").boolean("servicePrincipal.assignmentRequired", sp.AssignmentRequired, h.AssignmentRequired)
	d.set("servicePrincipal.tags", sp.Tags, h.Tags)
	d.set("servicePrincipal.notificationEmails", sp.NotificationEmails, h.NotificationEmails)
	if len(d.fields) > n {
		c.UpdateServicePrincipal = true
	}
}

func (p *planner) federated(c *Change, d *differ, want, have *appreg.Registration) {
	if want.Credentials == nil || want.Credentials.Federated == nil {
		return
	}
	var observed []appreg.FederatedCredential
	if have.Credentials != nil {
		observed = have.Credentials.Federated
	}
	for _, f := range want.Credentials.Federated {
		i := slices.IndexFunc(observed, func(o appreg.FederatedCredential) bool { return o.Name == f.Name })
		before := ""
		if i >= 0 {
			before = ficString(observed[i])
		}
		if after := ficString(f); before != after {
			c.UpsertFederated = append(c.UpsertFederated, f)
			d.in(SectionFederated, f.Name, appreg.CategoryCredentialChange).add("credentials.federated["+f.Name+"]", KindObject, orNil(before), after, before, after)
		}
	}
	for _, o := range observed {
		if !slices.ContainsFunc(want.Credentials.Federated, func(f appreg.FederatedCredential) bool { return f.Name == o.Name }) {
			c.RemoveFederated = append(c.RemoveFederated, o.Name)
			d.in(SectionFederated, o.Name, appreg.CategoryCredentialChange).add("credentials.federated["+o.Name+"]", KindObject, ficString(o), nil, ficString(o), "")
		}
	}
}

func ficString(f appreg.FederatedCredential) string {
	s := f.Issuer + " " + f.Subject
	if len(f.Audiences) != 1 || f.Audiences[0] != appreg.TokenExchangeAudience {
		s += " audiences=" + strings.Join(f.Audiences, ",")
	}
	if f.Description != nil && *f.Description != "" {
		s += fmt.Sprintf(" description=%q", *f.Description)
	}
	return s
}

// secrets decides, for every declared client secret, whether apply creates
// it or rotate rotates it (metadata only; the decision is rotate's).
func (p *planner) secrets(want, have *appreg.Registration) {
	if want.Credentials == nil {
		return
	}
	var observed []appreg.PasswordCredential
	if have != nil && have.Observed != nil {
		observed = have.Observed.Passwords
	}
	for _, s := range want.Credentials.Secrets {
		p.plan.Secrets = append(p.plan.Secrets, rotate.Decide(p.in.Now, want.Name, s, observed, false))
	}
}
