package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
)

// adoptable turns an observed registration into the desired registration
// that adopts it unchanged (see Encode for the rules), and the comments to
// write above each key.
func adoptable(have *appreg.Registration, s *appreg.Settings) (*appreg.Registration, map[string][]string) {
	notes := map[string][]string{}
	note := func(key, format string, args ...any) {
		notes[key] = append(notes[key], fmt.Sprintf(format, args...))
	}
	appID := have.Observed.AppID
	r := &appreg.Registration{
		Name:                       have.Name,
		UniqueName:                 s.NamePrefix + have.Name,
		DisplayName:                have.DisplayName,
		Adopt:                      &appreg.Adopt{AppID: strings.ToLower(appID)},
		Description:                nonEmpty(have.Description),
		Notes:                      nonEmpty(have.Notes),
		ServiceManagementReference: nonEmpty(have.ServiceManagementReference),
		Audience:                   nonEmpty(have.Audience),
		Tags:                       withoutMarker(have.Tags),
		GroupMembershipClaims:      nonEmpty(have.GroupMembershipClaims),
		InstanceLock:               ptrTo(have.InstanceLock != nil && *have.InstanceLock),
		Owners:                     []appreg.Owner{},
	}
	note("adopt", "Imported from the tenant by `appreg import`. Review it, then open a pull request:")
	note("adopt", "the plan shows the adoption, and apply sets the uniqueName %q and appreg's tag.", r.UniqueName)
	if r.Audience == nil {
		r.Audience = ptrTo(appreg.AudienceMyOrg)
	}
	for _, o := range have.Owners {
		r.Owners = append(r.Owners, appreg.Owner{Ref: o.Ref, Kind: o.Kind})
	}
	for _, u := range have.IdentifierURIs {
		r.IdentifierURIs = append(r.IdentifierURIs, strings.ReplaceAll(u, appID, "{appId}"))
	}
	if w := have.Web; w != nil {
		web := &appreg.Web{HomePageURL: nonEmpty(w.HomePageURL), LogoutURL: nonEmpty(w.LogoutURL), RedirectURIs: nonEmptyList(w.RedirectURIs)}
		if g := w.ImplicitGrant; g != nil && (isTrue(g.AccessTokens) || isTrue(g.IDTokens)) {
			web.ImplicitGrant = &appreg.ImplicitGrant{AccessTokens: ptrTo(isTrue(g.AccessTokens)), IDTokens: ptrTo(isTrue(g.IDTokens))}
		}
		if web.HomePageURL != nil || web.LogoutURL != nil || web.RedirectURIs != nil || web.ImplicitGrant != nil {
			r.Web = web
		}
	}
	if p := have.SPA; p != nil && len(p.RedirectURIs) > 0 {
		r.SPA = &appreg.SPA{RedirectURIs: p.RedirectURIs}
	}
	if p := have.PublicClient; p != nil && (len(p.RedirectURIs) > 0 || isTrue(p.AllowPublicClientFlows)) {
		r.PublicClient = &appreg.PublicClient{RedirectURIs: nonEmptyList(p.RedirectURIs)}
		if isTrue(p.AllowPublicClientFlows) {
			r.PublicClient.AllowPublicClientFlows = ptrTo(true)
		}
	}
	r.API = adoptAPI(have.API, note)
	r.AppRoles = adoptRoles(have.AppRoles, note)
	r.Permissions = adoptPermissions(have.Permissions, note)
	if c := have.OptionalClaims; c != nil && len(c.IDToken)+len(c.AccessToken)+len(c.SAML2Token) > 0 {
		r.OptionalClaims = &appreg.OptionalClaims{
			IDToken: adoptClaims(c.IDToken), AccessToken: adoptClaims(c.AccessToken), SAML2Token: adoptClaims(c.SAML2Token),
		}
	}
	if i := have.Info; i != nil {
		info := &appreg.Info{MarketingURL: nonEmpty(i.MarketingURL), PrivacyStatementURL: nonEmpty(i.PrivacyStatementURL),
			SupportURL: nonEmpty(i.SupportURL), TermsOfServiceURL: nonEmpty(i.TermsOfServiceURL)}
		if *info != (appreg.Info{}) {
			r.Info = info
		}
	}
	if have.Observed.ServicePrincipalID == "" {
		r.ServicePrincipal = &appreg.ServicePrincipal{Create: ptrTo(false)}
		note("servicePrincipal", "The application has no service principal (enterprise application); remove create: false to have apply create one.")
	} else if sp := have.ServicePrincipal; sp != nil {
		out := &appreg.ServicePrincipal{Tags: nonEmptyList(sp.Tags), NotificationEmails: nonEmptyList(sp.NotificationEmails)}
		if isTrue(sp.AssignmentRequired) {
			out.AssignmentRequired = ptrTo(true)
		}
		adoptAccess(sp, out)
		if out.AssignmentRequired != nil || out.Tags != nil || out.NotificationEmails != nil ||
			out.Assignments != nil || out.MemberOf != nil || out.AzureRoles != nil {
			r.ServicePrincipal = out
		}
	}
	r.Credentials = &appreg.Credentials{Federated: []appreg.FederatedCredential{}}
	if have.Credentials != nil {
		for _, f := range have.Credentials.Federated {
			f.Source = appreg.Pos{}
			if f.Description != nil && *f.Description == "" {
				f.Description = nil
			}
			r.Credentials.Federated = append(r.Credentials.Federated, f)
		}
	}
	if n := len(have.Observed.Passwords); n > 0 {
		what := "client secrets (password credentials)"
		if n == 1 {
			what = "client secret (password credential)"
		}
		note("credentials", "The application has %d %s. The values of client secrets cannot be", n, what)
		note("credentials", "read, so none is imported, and appreg leaves the existing ones alone. To have appreg")
		note("credentials", "create, deliver and rotate a secret, add credentials.secrets (see the README's")
		note("credentials", "Client secrets), then remove the old ones in the portal once nothing uses them.")
	}
	return r, notes
}

// adoptAPI keeps what the application exposes. A disabled scope cannot be
// written (appreg enables every declared scope), so then the scopes and
// pre-authorized clients are left unmanaged.
func adoptAPI(have *appreg.API, note func(key, format string, args ...any)) *appreg.API {
	if have == nil {
		return nil
	}
	out := &appreg.API{AccessTokenVersion: have.AccessTokenVersion}
	disabled := slices.ContainsFunc(have.Scopes, func(s appreg.Scope) bool { return s.Enabled != nil && !*s.Enabled })
	if disabled {
		note("api", "api.scopes and api.authorizedClients are left out (not managed): the application has")
		note("api", "disabled scopes, which a registration file cannot declare.")
	} else {
		if len(have.Scopes) > 0 {
			for _, sc := range have.Scopes {
				sc.ID, sc.Enabled, sc.Source = "", nil, appreg.Pos{}
				if sc.Consent == "" {
					sc.Consent = appreg.ConsentAdmin
				}
				out.Scopes = append(out.Scopes, sc)
			}
		}
		for _, c := range have.AuthorizedClients {
			client := c.AppID
			if a := appreg.AliasFor(c.AppID); a != "" {
				client = a
			}
			out.AuthorizedClients = append(out.AuthorizedClients, appreg.AuthorizedClient{
				Client: client, AppID: strings.ToLower(c.AppID), Scopes: nonNilList(c.Scopes),
			})
		}
	}
	if out.AccessTokenVersion == nil && out.Scopes == nil && out.AuthorizedClients == nil {
		return nil
	}
	return out
}

// adoptRoles keeps the app roles, unless one is disabled.
func adoptRoles(have []appreg.AppRole, note func(key, format string, args ...any)) []appreg.AppRole {
	if len(have) == 0 {
		return nil
	}
	if slices.ContainsFunc(have, func(r appreg.AppRole) bool { return r.Enabled != nil && !*r.Enabled }) {
		note("appRoles", "appRoles are left out (not managed): the application has disabled app roles,")
		note("appRoles", "which a registration file cannot declare.")
		return nil
	}
	out := make([]appreg.AppRole, 0, len(have))
	for _, r := range have {
		r.ID, r.Enabled, r.Source = "", nil, appreg.Pos{}
		r.AllowedMemberTypes = nonNilList(r.AllowedMemberTypes)
		out = append(out, r)
	}
	return out
}

// adoptPermissions writes the requested permissions by name. When a
// permission cannot be named (its API has no service principal in the
// tenant), writing the others would remove it, so the permissions are left
// unmanaged. adminConsent: true is written where the consent read from the
// tenant is exactly the request; consent on APIs the application does not
// request would be revoked by any adminConsent, so then none is written.
func adoptPermissions(have []appreg.Permission, note func(key, format string, args ...any)) []appreg.Permission {
	out := []appreg.Permission{}
	consentElsewhere := false
	for _, p := range have {
		if len(p.Delegated)+len(p.Application) == 0 {
			if len(p.ConsentedDelegated)+len(p.ConsentedApplication) > 0 {
				consentElsewhere = true
			}
			continue // nothing requested: an entry would mean nothing
		}
		var unnamed []string
		for _, v := range slices.Concat(p.Delegated, p.Application) {
			if appreg.IsGUID(v) {
				unnamed = append(unnamed, v)
			}
		}
		if len(unnamed) > 0 {
			note("permissions", "permissions are left out (not managed): the tenant cannot name permission %s", strings.Join(unnamed, ", "))
			note("permissions", "of API %s (it has no service principal there, or no longer offers it).", p.ResourceAppID)
			return nil
		}
		api := appreg.AliasFor(p.ResourceAppID)
		if api == "" {
			api = strings.ToLower(p.ResourceAppID)
		}
		q := appreg.Permission{API: api, ResourceAppID: strings.ToLower(p.ResourceAppID)}
		if len(p.Delegated) > 0 {
			q.Delegated = p.Delegated
		}
		if len(p.Application) > 0 {
			q.Application = p.Application
		}
		granted := len(p.ConsentedDelegated)+len(p.ConsentedApplication) > 0
		switch {
		case sameSet(p.Delegated, p.ConsentedDelegated) && sameSet(p.Application, p.ConsentedApplication):
			q.AdminConsent = ptrTo(true)
		case granted:
			note("permissions", "adminConsent for %s is left out (not managed): the consent granted in the tenant differs from what it requests.", api)
		}
		out = append(out, q)
	}
	if consentElsewhere {
		for i := range out {
			out[i].AdminConsent = nil
		}
		note("permissions", "adminConsent is left out (not managed): the application has consent for APIs it does not request.")
	}
	return out
}

func adoptClaims(have []appreg.OptionalClaim) []appreg.OptionalClaim {
	if len(have) == 0 {
		return nil
	}
	out := make([]appreg.OptionalClaim, 0, len(have))
	for _, c := range have {
		if c.Source != nil && *c.Source == "" {
			c.Source = nil
		}
		if c.Essential != nil && !*c.Essential {
			c.Essential = nil
		}
		c.AdditionalProperties = nonEmptyList(c.AdditionalProperties)
		out = append(out, c)
	}
	return out
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

func withoutMarker(tags []string) []string {
	out := []string{}
	for _, t := range tags {
		if !appreg.IsOwnTag(t) {
			out = append(out, t)
		}
	}
	return out
}

func ptrTo[T any](v T) *T { return &v }

func isTrue(b *bool) bool { return b != nil && *b }

func nonEmpty(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return ptrTo(*s)
}

func nonEmptyList(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	return slices.Clone(xs)
}

func nonNilList(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return slices.Clone(xs)
}
