package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
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
		d.add("disable first", "enabled: "+v, "disabled: "+v+" (Graph requires it before a change or removal)")
	}
	appFields := len(d.fields)
	p.permissions(&c, d, after, have)
	// requiredResourceAccess is part of the application; consent is not
	// (granting or revoking it alone needs no application PATCH).
	accessChanged := slices.ContainsFunc(d.fields[appFields:], func(f FieldDiff) bool {
		return strings.HasSuffix(f.Path, "].delegated") || strings.HasSuffix(f.Path, "].application")
	})
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
		c.Reason = "not in the tenant yet"
		c.UpdateApplication = true
		c.Categories = append(c.Categories, appreg.CategoryNewRegistration)
	case action == Adopt:
		c.Reason = adoptReason(before, want.UniqueName)
	case len(c.Fields) == 0:
		p.plan.Unchanged = append(p.plan.Unchanged, want.Name)
		return
	default:
		c.Reason = "the tenant differs from " + want.Source.File
	}
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
	c.Categories = uniqueCategories(c.Categories)
	c.Risk = risk(c)
	p.plan.Changes = append(p.plan.Changes, c)
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

// apiName is how a resource API is shown: its alias, its registration name,
// its first-party display name, or its appId.
func (p *planner) apiName(appID, written string) string {
	if a := appreg.AliasFor(appID); a != "" {
		return a
	}
	if n := p.apiNames[strings.ToLower(appID)]; n != "" {
		return n
	}
	if written != "" {
		return written
	}
	if n := catalog.FirstPartyName(appID); n != "" {
		return n
	}
	return appID
}

// resource returns the permission catalog of the API a permission names: a
// registration of the desired set offers its declared scopes and roles (with
// the ids the planner assigned), anything else what the tenant says.
func (p *planner) resource(perm appreg.Permission) (*catalog.Catalog, string) {
	if r := p.desired[perm.API]; r != nil {
		var scopes, roles []catalog.Permission
		have := p.byName[r.Name]
		if have == nil {
			have = &appreg.Registration{}
		}
		resolved := p.assignIDs(r, have)
		if resolved.API != nil {
			for _, s := range resolved.API.Scopes {
				scopes = append(scopes, catalog.Permission{ID: s.ID, Value: s.Value, Enabled: true})
			}
		}
		for _, role := range resolved.AppRoles {
			if slices.Contains(role.AllowedMemberTypes, appreg.MemberApplication) {
				roles = append(roles, catalog.Permission{ID: role.ID, Value: role.Value, Enabled: true})
			}
		}
		return catalog.New(scopes, roles), r.Name
	}
	return p.in.Catalogs[strings.ToLower(perm.ResourceAppID)], ""
}

func (p *planner) permissions(c *Change, d *differ, want, have *appreg.Registration) {
	if want.Permissions == nil {
		return
	}
	type key = string
	observed := map[key]appreg.Permission{}
	for _, o := range have.Permissions {
		observed[strings.ToLower(o.ResourceAppID)] = o
	}
	seen := map[key]bool{}
	for _, perm := range want.Permissions {
		k := strings.ToLower(perm.ResourceAppID)
		if k == "" {
			k = "registration:" + perm.API
		}
		seen[k] = true
		o := observed[k]
		name := p.apiName(perm.ResourceAppID, perm.API)
		cat, registration := p.resource(perm)
		if cat == nil {
			p.errorf(perm.Source, "api %q: the tenant has no service principal for appId %s", "the resource API must exist in the tenant before its permissions can be requested; check the appId", perm.API, perm.ResourceAppID)
			continue
		}
		access := appreg.ResourceAccess{ResourceAppID: perm.ResourceAppID}
		if perm.ResourceAppID == "" {
			access.Registration = registration
		}
		for _, kind := range []catalog.Kind{catalog.Delegated, catalog.Application} {
			names := perm.Delegated
			typ := "Scope"
			if kind == catalog.Application {
				names, typ = perm.Application, "Role"
			}
			for _, v := range names {
				entry, ok := cat.Lookup(kind, v)
				if !ok {
					detail := "check the name against the API's published permissions"
					if s := cat.Suggest(kind, v); s != "" {
						detail = fmt.Sprintf("did you mean %q?", s)
					}
					p.errorf(perm.Source, "%s permission %q is not offered by %s in this tenant", detail, kind, v, name)
					continue
				}
				access.Items = append(access.Items, appreg.AccessItem{ID: entry.ID, Type: typ, Value: v})
			}
		}
		c.Access = append(c.Access, access)
		d.set("permissions["+name+"].delegated", perm.Delegated, o.Delegated)
		d.set("permissions["+name+"].application", perm.Application, o.Application)
		if perm.AdminConsent == nil {
			continue
		}
		var wantApp, wantDel []string
		if *perm.AdminConsent {
			wantApp, wantDel = perm.Application, perm.Delegated
		}
		before := consentString(o.ConsentedApplication, o.ConsentedDelegated)
		after := consentString(wantApp, wantDel)
		if before != after {
			d.add("permissions["+name+"].adminConsent", before, after)
		}
		grant := func(kind, v string) Grant {
			g := Grant{ResourceAppID: perm.ResourceAppID, API: name, Kind: kind, Value: v}
			if perm.ResourceAppID == "" {
				g.Registration = registration
			}
			if kind == "application" {
				if e, ok := cat.Lookup(catalog.Application, v); ok {
					g.ID = e.ID
				}
			}
			return g
		}
		for _, v := range minus(wantApp, o.ConsentedApplication) {
			c.Grants = append(c.Grants, grant("application", v))
		}
		for _, v := range minus(wantDel, o.ConsentedDelegated) {
			c.Grants = append(c.Grants, grant("delegated", v))
		}
		for _, v := range minus(o.ConsentedApplication, wantApp) {
			c.Revokes = append(c.Revokes, grant("application", v))
		}
		for _, v := range minus(o.ConsentedDelegated, wantDel) {
			c.Revokes = append(c.Revokes, grant("delegated", v))
		}
	}
	// Permissions on APIs the file no longer lists are removed, and so is
	// their consent.
	for k, o := range observed {
		if seen[k] {
			continue
		}
		name := p.apiName(o.ResourceAppID, "")
		d.set("permissions["+name+"].delegated", []string{}, o.Delegated)
		d.set("permissions["+name+"].application", []string{}, o.Application)
		cat := p.in.Catalogs[k]
		for _, v := range o.ConsentedApplication {
			g := Grant{ResourceAppID: o.ResourceAppID, API: name, Kind: "application", Value: v}
			if e, ok := cat.Lookup(catalog.Application, v); ok {
				g.ID = e.ID
			} else if appreg.IsGUID(v) {
				g.ID = v
			}
			c.Revokes = append(c.Revokes, g)
		}
		for _, v := range o.ConsentedDelegated {
			c.Revokes = append(c.Revokes, Grant{ResourceAppID: o.ResourceAppID, API: name, Kind: "delegated", Value: v})
		}
	}
	if len(c.Revokes) > 0 {
		names := make([]string, len(c.Revokes))
		for i, g := range c.Revokes {
			names[i] = g.String()
		}
		d.add("consent revoked", strings.Join(names, ", "), "")
	}
}

func consentString(app, del []string) string {
	var parts []string
	if len(app) > 0 {
		parts = append(parts, "application: "+strings.Join(sorted(app), ", "))
	}
	if len(del) > 0 {
		parts = append(parts, "delegated: "+strings.Join(sorted(del), ", "))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
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
	d.set("owners", refs(want.Owners), refs(have.Owners))
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
			d.add("servicePrincipal", "", "created")
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
	d.boolean("servicePrincipal.assignmentRequired", sp.AssignmentRequired, h.AssignmentRequired)
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
			d.add("credentials.federated["+f.Name+"]", before, after)
		}
	}
	for _, o := range observed {
		if !slices.ContainsFunc(want.Credentials.Federated, func(f appreg.FederatedCredential) bool { return f.Name == o.Name }) {
			c.RemoveFederated = append(c.RemoveFederated, o.Name)
			d.add("credentials.federated["+o.Name+"]", ficString(o), "")
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

// deletions plans the removal of managed applications no file declares,
// within the deletion rails of appreg.yaml. Only applications the
// repository owns are candidates: another repository's, or one managed
// before owners were recorded, is never deleted however its name matches
// the prefix.
func (p *planner) deletions() {
	var gone []*appreg.Registration
	for _, r := range p.in.Observed.Registrations {
		if p.matched[r] || r.Observed == nil || !r.Observed.Managed || !r.Observed.Owned || r.Name == "" || p.desired[r.Name] != nil {
			continue
		}
		gone = append(gone, r)
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].Name < gone[j].Name })
	del := p.in.Settings.Deletion
	for i, r := range gone {
		refusal := Refusal{Key: r.Name, AppID: r.Observed.AppID, Action: Delete}
		switch {
		case !del.Allow:
			refusal.Reason = "its registration file was removed, but appreg.yaml does not allow deletion (deletion.allow is false); nothing is deleted"
			refusal.Hint = "set `deletion: {allow: true}` in appreg.yaml to delete it, or restore the file to keep managing it"
		case i >= del.MaxPerRun:
			refusal.Reason = fmt.Sprintf("deleting it would exceed deletion.maxPerRun (%d) for this run", del.MaxPerRun)
			refusal.Hint = "it is deleted by a later run, or raise deletion.maxPerRun in appreg.yaml"
		default:
			p.plan.Changes = append(p.plan.Changes, Change{
				Key: r.Name, UniqueName: r.UniqueName, AppID: r.Observed.AppID, Action: Delete,
				Reason:     "its registration file was removed and deletion.allow is true; soft delete, restorable for 30 days",
				Hint:       fmt.Sprintf("restore with: az rest --method POST --url https://graph.microsoft.com/v1.0/directory/deletedItems/%s/restore", r.Observed.ObjectID),
				Fields:     []FieldDiff{{Path: "application", Before: r.DisplayName + " (" + r.Observed.AppID + ")", After: ""}},
				Risk:       RiskHigh,
				Categories: []appreg.Category{appreg.CategoryDeletion},
				Before:     r,
			})
			continue
		}
		p.plan.Refused = append(p.plan.Refused, refusal)
	}
}

// privileged lists the "api:Permission" names, requested anew or newly
// consented, that match policy.privileged.
func (p *planner) privileged(grants []Grant, want, have *appreg.Registration) []string {
	patterns := p.in.Settings.Policy.Privileged
	if patterns == nil {
		patterns = DefaultPrivileged
	}
	var out []string
	check := func(api, resourceAppID, value string) {
		for _, pat := range patterns {
			pa, pv, _ := strings.Cut(pat, ":")
			if !strings.EqualFold(pa, api) && !strings.EqualFold(pa, resourceAppID) {
				continue
			}
			if ok, _ := path.Match(pv, value); ok {
				out = append(out, api+":"+value)
				return
			}
		}
	}
	for _, perm := range want.Permissions {
		var o appreg.Permission
		for _, h := range have.Permissions {
			if strings.EqualFold(h.ResourceAppID, perm.ResourceAppID) {
				o = h
			}
		}
		api := p.apiName(perm.ResourceAppID, perm.API)
		for _, v := range minus(perm.Application, o.Application) {
			check(api, perm.ResourceAppID, v)
		}
		for _, v := range minus(perm.Delegated, o.Delegated) {
			check(api, perm.ResourceAppID, v)
		}
	}
	for _, g := range grants {
		check(g.API, g.ResourceAppID, g.Value)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func addedApplication(want, have *appreg.Registration) bool {
	for _, perm := range want.Permissions {
		var o appreg.Permission
		for _, h := range have.Permissions {
			if perm.ResourceAppID != "" && strings.EqualFold(h.ResourceAppID, perm.ResourceAppID) {
				o = h
			}
		}
		if len(minus(perm.Application, o.Application)) > 0 {
			return true
		}
	}
	return false
}

// categories derives the change categories visible in field paths.
func categories(fields []FieldDiff) []appreg.Category {
	var out []appreg.Category
	for _, f := range fields {
		switch {
		case f.Path == "audience":
			out = append(out, appreg.CategoryAudienceChange)
		case f.Path == "owners":
			out = append(out, appreg.CategoryOwnerChange)
		case strings.HasPrefix(f.Path, "credentials."):
			out = append(out, appreg.CategoryCredentialChange)
		case strings.HasSuffix(f.Path, ".redirectUris"):
			out = append(out, appreg.CategoryRedirectURIChange)
		}
	}
	return out
}

func uniqueCategories(cs []appreg.Category) []appreg.Category {
	out := []appreg.Category{}
	for _, c := range appreg.Categories {
		if slices.Contains(cs, c) {
			out = append(out, c)
		}
	}
	return out
}

func risk(c Change) Risk {
	high := []appreg.Category{appreg.CategoryPrivilegedPermission, appreg.CategoryAdminConsent, appreg.CategoryDeletion, appreg.CategoryAudienceChange}
	medium := []appreg.Category{appreg.CategoryApplicationPermission, appreg.CategoryOwnerChange, appreg.CategoryCredentialChange, appreg.CategoryRedirectURIChange}
	for _, cat := range c.Categories {
		if slices.Contains(high, cat) {
			return RiskHigh
		}
	}
	for _, cat := range c.Categories {
		if slices.Contains(medium, cat) {
			return RiskMedium
		}
	}
	if c.Action == Adopt {
		return RiskMedium
	}
	return RiskLow
}

// fingerprint hashes what the plan would do, as shown to people, so that an
// apply can tell whether it is about to do what a reviewer approved.
func fingerprint(p *Plan) string {
	b, err := json.Marshal(struct {
		Changes []Change
		Refused []Refusal
	}{p.Changes, p.Refused})
	if err != nil {
		panic("plan: fingerprint: " + err.Error()) // only plain data is marshalled
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
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
