package plan

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/catalog"
)

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

// permissions compares the permissions requested on each resource API and
// the consent granted to them, collecting the access to write and the
// grants and revocations to make.
func (p *planner) permissions(c *Change, d *differ, want, have *appreg.Registration) {
	if want.Permissions == nil {
		return
	}
	observed := map[string]appreg.Permission{}
	for _, o := range have.Permissions {
		observed[strings.ToLower(o.ResourceAppID)] = o
	}
	seen := map[string]bool{}
	for _, perm := range want.Permissions {
		k := strings.ToLower(perm.ResourceAppID)
		if k == "" {
			k = "registration:" + perm.API
		}
		seen[k] = true
		p.permission(c, d, perm, observed[k])
	}
	// Permissions on APIs the file no longer lists are removed, and so is
	// their consent.
	for k, o := range observed {
		if !seen[k] {
			p.removedAPI(c, d, k, o)
		}
	}
	if len(c.Revokes) > 0 {
		names := make([]string, len(c.Revokes))
		for i, g := range c.Revokes {
			names[i] = g.String()
		}
		d.in(SectionConsent, "", "").note("consent revoked", strings.Join(names, ", "), "")
	}
}

// permission compares the permissions requested on one API (o is what the
// tenant has) and its consent.
func (p *planner) permission(c *Change, d *differ, perm, o appreg.Permission) {
	name := p.apiName(perm.ResourceAppID, perm.API)
	cat, registration := p.resource(perm)
	if cat == nil {
		p.errorf(perm.Source, "api %q: the tenant has no service principal for appId %s", "the resource API must exist in the tenant before its permissions can be requested; check the appId", perm.API, perm.ResourceAppID)
		return
	}
	access := appreg.ResourceAccess{ResourceAppID: perm.ResourceAppID, Items: p.accessItems(perm, cat, name)}
	if perm.ResourceAppID == "" {
		access.Registration = registration
	}
	c.Access = append(c.Access, access)
	d.in(SectionAccess, name, "").set("permissions["+name+"].delegated", perm.Delegated, o.Delegated)
	d.in(SectionAccess, name, appreg.CategoryApplicationPermission).set("permissions["+name+"].application", perm.Application, o.Application)
	if perm.AdminConsent == nil {
		return
	}
	var wantApp, wantDel []string
	if *perm.AdminConsent {
		wantApp, wantDel = perm.Application, perm.Delegated
	}
	before := consentString(o.ConsentedApplication, o.ConsentedDelegated)
	after := consentString(wantApp, wantDel)
	if before != after {
		d.in(SectionConsent, name, appreg.CategoryAdminConsent).add("permissions["+name+"].adminConsent", KindObject,
			consentValue(o.ConsentedApplication, o.ConsentedDelegated), consentValue(wantApp, wantDel), before, after)
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

// accessItems resolves the permissions perm requests to the ids cat
// offers; a name it does not offer is a diagnostic.
func (p *planner) accessItems(perm appreg.Permission, cat *catalog.Catalog, name string) []appreg.AccessItem {
	var items []appreg.AccessItem
	for _, kind := range []catalog.Kind{catalog.Delegated, catalog.Application} {
		names, typ := perm.Delegated, "Scope"
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
			items = append(items, appreg.AccessItem{ID: entry.ID, Type: typ, Value: v})
		}
	}
	return items
}

// removedAPI removes the permissions on an API the file no longer lists
// (k is its key), and their consent.
func (p *planner) removedAPI(c *Change, d *differ, k string, o appreg.Permission) {
	name := p.apiName(o.ResourceAppID, "")
	d.in(SectionAccess, name, "").set("permissions["+name+"].delegated", []string{}, o.Delegated)
	d.in(SectionAccess, name, appreg.CategoryApplicationPermission).set("permissions["+name+"].application", []string{}, o.Application)
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

// consentValue is the typed form of consent: sorted application and
// delegated permissions.
func consentValue(app, del []string) map[string][]string {
	return map[string][]string{"application": sorted(app), "delegated": sorted(del)}
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
