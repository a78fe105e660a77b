package plan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/appreg/appreg/internal/appreg"
)

// differ collects field differences. Each method compares one managed field:
// a nil desired value is unmanaged and never produces a difference.
type differ struct {
	fields []FieldDiff
	// creating is set for a new registration: nothing has a before value.
	creating bool
	// section, item and category describe the fields added next.
	section  Section
	item     string
	category appreg.Category
}

// in sets what the fields added next are about.
func (d *differ) in(section Section, item string, category appreg.Category) *differ {
	d.section, d.item, d.category = section, item, category
	return d
}

// add records a difference of kind between the typed values old and new,
// shown as before and after.
func (d *differ) add(path string, kind FieldKind, old, new any, before, after string) {
	if d.creating {
		old, before = nil, ""
	}
	d.fields = append(d.fields, FieldDiff{
		Path: path, Section: d.section, Item: d.item, Kind: kind, Category: d.category,
		Old: old, New: new, Before: before, After: after,
	})
}

// note records a step that is not a field of its own.
func (d *differ) note(path, before, after string) {
	d.add(path, KindNote, orNil(before), orNil(after), before, after)
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (d *differ) str(path string, want, have *string) {
	if want == nil {
		return
	}
	if w, h := *want, deref(have); w != h {
		d.add(path, KindScalar, orNil(h), orNil(w), quote(h), quote(w))
	}
}

func (d *differ) boolean(path string, want, have *bool) {
	if want == nil {
		return
	}
	if h := have != nil && *have; *want != h {
		d.add(path, KindScalar, h, *want, strconv.FormatBool(h), strconv.FormatBool(*want))
	}
}

func (d *differ) integer(path string, want, have *int) {
	if want == nil {
		return
	}
	var old any
	h := ""
	if have != nil {
		old, h = *have, strconv.Itoa(*have)
	}
	if w := strconv.Itoa(*want); w != h {
		d.add(path, KindScalar, old, *want, h, w)
	}
}

// set compares string lists as sets (Graph does not keep their order).
func (d *differ) set(path string, want, have []string) {
	if want == nil {
		return
	}
	w, h := sorted(want), sorted(have)
	if !slices.Equal(w, h) {
		d.add(path, KindSet, h, w, list(h), list(w))
	}
}

// keyed compares lists of objects identified by a key, one difference per
// key, each side rendered by the same function.
func keyed[T any](d *differ, path string, want, have []T, key, show func(T) string) {
	if want == nil {
		return
	}
	index := func(xs []T) map[string]string {
		m := map[string]string{}
		for _, x := range xs {
			m[key(x)] = show(x)
		}
		return m
	}
	w, h := index(want), index(have)
	var keys []string
	for k := range w {
		keys = append(keys, k)
	}
	for k := range h {
		if _, ok := w[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	item := d.item
	for _, k := range keys {
		if w[k] != h[k] {
			d.item = k
			d.add(path+"["+k+"]", KindObject, orNil(h[k]), orNil(w[k]), h[k], w[k])
		}
	}
	d.item = item
}

// application compares every managed property of the application object.
func (d *differ) application(want, have *appreg.Registration) {
	d.in(SectionApplication, "", "")
	if want.DisplayName != have.DisplayName {
		d.add("displayName", KindScalar, orNil(have.DisplayName), want.DisplayName, quote(have.DisplayName), quote(want.DisplayName))
	}
	d.str("description", want.Description, have.Description)
	d.str("notes", want.Notes, have.Notes)
	d.str("serviceManagementReference", want.ServiceManagementReference, have.ServiceManagementReference)
	d.in(SectionApplication, "", appreg.CategoryAudienceChange).str("audience", want.Audience, have.Audience)
	d.in(SectionApplication, "", "")
	d.set("tags", want.Tags, withoutMarker(have.Tags))
	d.set("identifierUris", resolveAppID(want.IdentifierURIs, have), have.IdentifierURIs)
	d.platforms(want, have)
	if w := want.API; w != nil {
		h := have.API
		if h == nil {
			h = &appreg.API{}
		}
		d.integer("api.accessTokenVersion", w.AccessTokenVersion, h.AccessTokenVersion)
		keyed(d, "api.scopes", w.Scopes, h.Scopes, func(s appreg.Scope) string { return s.Value }, scopeString)
		keyed(d, "api.authorizedClients", w.AuthorizedClients, h.AuthorizedClients,
			func(c appreg.AuthorizedClient) string { return strings.ToLower(c.AppID) },
			func(c appreg.AuthorizedClient) string { return strings.Join(sorted(c.Scopes), ", ") })
	}
	keyed(d, "appRoles", want.AppRoles, have.AppRoles, func(r appreg.AppRole) string { return r.Value }, roleString)
	if w := want.OptionalClaims; w != nil {
		h := have.OptionalClaims
		if h == nil {
			h = &appreg.OptionalClaims{}
		}
		claimKey := func(c appreg.OptionalClaim) string { return c.Name }
		keyed(d, "optionalClaims.idToken", w.IDToken, h.IDToken, claimKey, claimString)
		keyed(d, "optionalClaims.accessToken", w.AccessToken, h.AccessToken, claimKey, claimString)
		keyed(d, "optionalClaims.saml2Token", w.SAML2Token, h.SAML2Token, claimKey, claimString)
	}
	d.str("groupMembershipClaims", want.GroupMembershipClaims, have.GroupMembershipClaims)
	if w := want.Info; w != nil {
		h := have.Info
		if h == nil {
			h = &appreg.Info{}
		}
		d.str("info.marketingUrl", w.MarketingURL, h.MarketingURL)
		d.str("info.privacyStatementUrl", w.PrivacyStatementURL, h.PrivacyStatementURL)
		d.str("info.supportUrl", w.SupportURL, h.SupportURL)
		d.str("info.termsOfServiceUrl", w.TermsOfServiceURL, h.TermsOfServiceURL)
	}
	d.boolean("instanceLock", want.InstanceLock, have.InstanceLock)
}

// platforms compares the web, single-page and public client platforms.
func (d *differ) platforms(want, have *appreg.Registration) {
	if w := want.Web; w != nil {
		h := have.Web
		if h == nil {
			h = &appreg.Web{}
		}
		d.str("web.homePageUrl", w.HomePageURL, h.HomePageURL)
		d.str("web.logoutUrl", w.LogoutURL, h.LogoutURL)
		d.in(SectionApplication, "", appreg.CategoryRedirectURIChange).set("web.redirectUris", w.RedirectURIs, h.RedirectURIs)
		d.in(SectionApplication, "", "")
		if w.ImplicitGrant != nil {
			hg := h.ImplicitGrant
			if hg == nil {
				hg = &appreg.ImplicitGrant{}
			}
			d.boolean("web.implicitGrant.accessTokens", w.ImplicitGrant.AccessTokens, hg.AccessTokens)
			d.boolean("web.implicitGrant.idTokens", w.ImplicitGrant.IDTokens, hg.IDTokens)
		}
	}
	if w := want.SPA; w != nil {
		var h []string
		if have.SPA != nil {
			h = have.SPA.RedirectURIs
		}
		d.in(SectionApplication, "", appreg.CategoryRedirectURIChange).set("spa.redirectUris", w.RedirectURIs, h)
		d.in(SectionApplication, "", "")
	}
	if w := want.PublicClient; w != nil {
		h := have.PublicClient
		if h == nil {
			h = &appreg.PublicClient{}
		}
		d.in(SectionApplication, "", appreg.CategoryRedirectURIChange).set("publicClient.redirectUris", w.RedirectURIs, h.RedirectURIs)
		d.in(SectionApplication, "", "")
		d.boolean("publicClient.allowPublicClientFlows", w.AllowPublicClientFlows, h.AllowPublicClientFlows)
	}
}

// resolveAppID replaces the {appId} placeholder of identifier URIs when the
// application exists; for a new one it stays until apply knows the appId.
func resolveAppID(uris []string, have *appreg.Registration) []string {
	if uris == nil || have.Observed == nil {
		return uris
	}
	out := make([]string, len(uris))
	for i, u := range uris {
		out[i] = strings.ReplaceAll(u, "{appId}", have.Observed.AppID)
	}
	return out
}

func withoutMarker(tags []string) []string {
	return slices.DeleteFunc(slices.Clone(tags), appreg.IsOwnTag)
}

func scopeString(s appreg.Scope) string {
	parts := []string{"consent: " + s.Consent}
	for _, kv := range [][2]string{
		{"adminConsentDisplayName", s.AdminConsentDisplayName}, {"adminConsentDescription", s.AdminConsentDescription},
		{"userConsentDisplayName", s.UserConsentDisplayName}, {"userConsentDescription", s.UserConsentDescription},
	} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+": "+quote(kv[1]))
		}
	}
	if s.Enabled != nil && !*s.Enabled {
		parts = append(parts, "disabled")
	}
	return strings.Join(parts, ", ")
}

func roleString(r appreg.AppRole) string {
	s := fmt.Sprintf("%s for %s", quote(r.DisplayName), strings.Join(sorted(r.AllowedMemberTypes), "+"))
	if r.Description != "" {
		s += ": " + quote(r.Description)
	}
	if r.Enabled != nil && !*r.Enabled {
		s += " (disabled)"
	}
	return s
}

func claimString(c appreg.OptionalClaim) string {
	s := "claim"
	if c.Source != nil && *c.Source != "" {
		s += " source=" + *c.Source
	}
	if c.Essential != nil && *c.Essential {
		s += " essential"
	}
	if len(c.AdditionalProperties) > 0 {
		s += " " + strings.Join(sorted(c.AdditionalProperties), ",")
	}
	return s
}

// stableID derives a deterministic id for a scope or app role, so that
// planning twice (or re-running a crashed apply) yields the same id.
func stableID(uniqueName, kind, value string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("appreg:"+uniqueName+":"+kind+":"+value)).String()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func quote(s string) string {
	if s == "" {
		return ""
	}
	return strconv.Quote(s)
}

func sorted(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "[]"
	}
	return "[" + strings.Join(xs, ", ") + "]"
}

// minus returns the items of a not in b, in a's order.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
