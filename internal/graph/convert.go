package graph

import (
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/appreg/appreg/internal/appreg"
)

// appSelect is every application property appreg reads.
var appSelect = []string{
	"id", "appId", "uniqueName", "displayName", "description", "notes", "serviceManagementReference",
	"signInAudience", "tags", "identifierUris", "web", "spa", "publicClient", "isFallbackPublicClient",
	"api", "appRoles", "requiredResourceAccess", "optionalClaims", "groupMembershipClaims", "info",
	"servicePrincipalLockConfiguration", "passwordCredentials",
}

var spSelect = []string{"id", "appId", "appRoleAssignmentRequired", "tags", "notificationEmailAddresses"}

// observedApplication converts a Graph application into an observed
// registration: every field filled, empty collections non-nil. Permissions
// hold ids until names are resolved (see Client.namePermissions).
func observedApplication(a models.Applicationable, prefix string) *appreg.Registration {
	r := &appreg.Registration{
		UniqueName:                 deref(a.GetUniqueName()),
		DisplayName:                deref(a.GetDisplayName()),
		Description:                str(a.GetDescription()),
		Notes:                      str(a.GetNotes()),
		ServiceManagementReference: str(a.GetServiceManagementReference()),
		Audience:                   str(a.GetSignInAudience()),
		Tags:                       nonNil(a.GetTags()),
		IdentifierURIs:             nonNil(a.GetIdentifierUris()),
		GroupMembershipClaims:      str(a.GetGroupMembershipClaims()),
		Owners:                     []appreg.Owner{},
		AppRoles:                   []appreg.AppRole{},
		Credentials:                &appreg.Credentials{Federated: []appreg.FederatedCredential{}},
		ServicePrincipal:           &appreg.ServicePrincipal{Tags: []string{}, NotificationEmails: []string{}},
		Observed: &appreg.Observed{
			ObjectID: deref(a.GetId()),
			AppID:    deref(a.GetAppId()),
		},
	}
	r.Observed.Managed = slices.Contains(r.Tags, appreg.MarkerTag)
	r.Observed.Repository = appreg.RepoOf(r.Tags)
	r.Tags = slices.DeleteFunc(r.Tags, func(t string) bool { return appreg.IsOwnTag(t) && t != appreg.MarkerTag })
	r.Name, _ = appreg.NameIn(prefix, r.UniqueName)
	observedPlatforms(a, r)
	r.API = observedAPI(a.GetApi())
	for _, role := range a.GetAppRoles() {
		r.AppRoles = append(r.AppRoles, appreg.AppRole{
			Value: deref(role.GetValue()), DisplayName: deref(role.GetDisplayName()), Description: deref(role.GetDescription()),
			AllowedMemberTypes: nonNil(role.GetAllowedMemberTypes()), ID: uuidString(role.GetId()), Enabled: ptr(deref(role.GetIsEnabled())),
		})
	}
	r.Permissions = observedPermissions(a.GetRequiredResourceAccess())
	oc := &appreg.OptionalClaims{IDToken: []appreg.OptionalClaim{}, AccessToken: []appreg.OptionalClaim{}, SAML2Token: []appreg.OptionalClaim{}}
	if x := a.GetOptionalClaims(); x != nil {
		oc.IDToken = claims(x.GetIdToken())
		oc.AccessToken = claims(x.GetAccessToken())
		oc.SAML2Token = claims(x.GetSaml2Token())
	}
	r.OptionalClaims = oc
	info := &appreg.Info{MarketingURL: ptr(""), PrivacyStatementURL: ptr(""), SupportURL: ptr(""), TermsOfServiceURL: ptr("")}
	if x := a.GetInfo(); x != nil {
		info = &appreg.Info{MarketingURL: str(x.GetMarketingUrl()), PrivacyStatementURL: str(x.GetPrivacyStatementUrl()),
			SupportURL: str(x.GetSupportUrl()), TermsOfServiceURL: str(x.GetTermsOfServiceUrl())}
	}
	r.Info = info
	lock := false
	if l := a.GetServicePrincipalLockConfiguration(); l != nil {
		lock = deref(l.GetIsEnabled()) && deref(l.GetAllProperties())
	}
	r.InstanceLock = &lock
	r.Observed.Passwords = observedPasswords(a.GetPasswordCredentials())
	for _, o := range a.GetOwners() {
		r.Owners = append(r.Owners, owner(o))
	}
	return r
}

// observedPlatforms fills r's web, single-page and public client platforms
// from a.
func observedPlatforms(a models.Applicationable, r *appreg.Registration) {
	web := &appreg.Web{HomePageURL: ptr(""), LogoutURL: ptr(""), RedirectURIs: []string{},
		ImplicitGrant: &appreg.ImplicitGrant{AccessTokens: ptr(false), IDTokens: ptr(false)}}
	if w := a.GetWeb(); w != nil {
		web.HomePageURL = str(w.GetHomePageUrl())
		web.LogoutURL = str(w.GetLogoutUrl())
		web.RedirectURIs = nonNil(w.GetRedirectUris())
		if g := w.GetImplicitGrantSettings(); g != nil {
			web.ImplicitGrant = &appreg.ImplicitGrant{AccessTokens: ptr(deref(g.GetEnableAccessTokenIssuance())), IDTokens: ptr(deref(g.GetEnableIdTokenIssuance()))}
		}
	}
	r.Web = web
	r.SPA = &appreg.SPA{RedirectURIs: []string{}}
	if s := a.GetSpa(); s != nil {
		r.SPA.RedirectURIs = nonNil(s.GetRedirectUris())
	}
	r.PublicClient = &appreg.PublicClient{RedirectURIs: []string{}, AllowPublicClientFlows: ptr(deref(a.GetIsFallbackPublicClient()))}
	if p := a.GetPublicClient(); p != nil {
		r.PublicClient.RedirectURIs = nonNil(p.GetRedirectUris())
	}
}

// observedAPI converts the API an application exposes (x may be nil).
func observedAPI(x models.ApiApplicationable) *appreg.API {
	api := &appreg.API{Scopes: []appreg.Scope{}, AuthorizedClients: []appreg.AuthorizedClient{}}
	if x != nil {
		if v := x.GetRequestedAccessTokenVersion(); v != nil {
			api.AccessTokenVersion = ptr(int(*v))
		}
		for _, s := range x.GetOauth2PermissionScopes() {
			consent := appreg.ConsentAdmin
			if strings.EqualFold(deref(s.GetTypeEscaped()), "User") {
				consent = appreg.ConsentUser
			}
			api.Scopes = append(api.Scopes, appreg.Scope{
				Value: deref(s.GetValue()), Consent: consent,
				AdminConsentDisplayName: deref(s.GetAdminConsentDisplayName()), AdminConsentDescription: deref(s.GetAdminConsentDescription()),
				UserConsentDisplayName: deref(s.GetUserConsentDisplayName()), UserConsentDescription: deref(s.GetUserConsentDescription()),
				ID: uuidString(s.GetId()), Enabled: ptr(deref(s.GetIsEnabled())),
			})
		}
		for _, p := range x.GetPreAuthorizedApplications() {
			ac := appreg.AuthorizedClient{Client: deref(p.GetAppId()), AppID: deref(p.GetAppId()), Scopes: []string{}}
			for _, id := range p.GetDelegatedPermissionIds() {
				value := id
				for _, s := range api.Scopes {
					if strings.EqualFold(s.ID, id) {
						value = s.Value
					}
				}
				ac.Scopes = append(ac.Scopes, value)
			}
			api.AuthorizedClients = append(api.AuthorizedClients, ac)
		}
	}
	return api
}

// observedPermissions converts requiredResourceAccess; permissions hold ids
// until names are resolved (see Client.namePermissions).
func observedPermissions(rras []models.RequiredResourceAccessable) []appreg.Permission {
	out := []appreg.Permission{}
	for _, rra := range rras {
		p := appreg.Permission{API: deref(rra.GetResourceAppId()), ResourceAppID: deref(rra.GetResourceAppId()), Delegated: []string{}, Application: []string{}}
		for _, ra := range rra.GetResourceAccess() {
			// Ids are replaced by names once the resource's catalog is known.
			if strings.EqualFold(deref(ra.GetTypeEscaped()), "Role") {
				p.Application = append(p.Application, uuidString(ra.GetId()))
			} else {
				p.Delegated = append(p.Delegated, uuidString(ra.GetId()))
			}
		}
		out = append(out, p)
	}
	return out
}

// observedPasswords converts client secret metadata (never a value).
func observedPasswords(pcs []models.PasswordCredentialable) []appreg.PasswordCredential {
	var out []appreg.PasswordCredential
	for _, pc := range pcs {
		out = append(out, passwordCredential(pc))
	}
	return out
}

// owner converts a directory object into an owner reference: users by user
// principal name, service principals as sp:<appId>.
func owner(o models.DirectoryObjectable) appreg.Owner {
	switch v := o.(type) {
	case models.Userable:
		ref := deref(v.GetUserPrincipalName())
		if ref == "" {
			ref = deref(v.GetId())
		}
		return appreg.Owner{Ref: ref, Kind: appreg.OwnerUser, ID: deref(v.GetId())}
	case models.ServicePrincipalable:
		return appreg.Owner{Ref: "sp:" + deref(v.GetAppId()), Kind: appreg.OwnerServicePrincipal, ID: deref(v.GetId())}
	}
	return appreg.Owner{Ref: deref(o.GetId()), Kind: appreg.OwnerUser, ID: deref(o.GetId())}
}

func claims(in []models.OptionalClaimable) []appreg.OptionalClaim {
	out := []appreg.OptionalClaim{}
	for _, c := range in {
		oc := appreg.OptionalClaim{Name: deref(c.GetName()), Essential: c.GetEssential(), AdditionalProperties: c.GetAdditionalProperties()}
		if s := c.GetSource(); s != nil && *s != "" {
			oc.Source = s
		}
		if oc.Essential != nil && !*oc.Essential {
			oc.Essential = nil
		}
		out = append(out, oc)
	}
	return out
}

func claimModels(in []appreg.OptionalClaim) []models.OptionalClaimable {
	out := []models.OptionalClaimable{}
	for _, c := range in {
		m := models.NewOptionalClaim()
		m.SetName(ptr(c.Name))
		setIf(c.Source, m.SetSource)
		m.SetEssential(ptr(c.Essential != nil && *c.Essential))
		m.SetAdditionalProperties(nonNil(c.AdditionalProperties))
		out = append(out, m)
	}
	return out
}

// applicationModel builds the PATCH body for an application: the managed
// fields of want, each complex property overlaid on what the tenant has so
// that unmanaged sub-fields survive. Tags always carry appreg's marker and
// the ownership tag of repo, and no other repository's.
func applicationModel(want, have *appreg.Registration, access []appreg.ResourceAccess, appID, repo string) models.Applicationable {
	if have == nil {
		have = &appreg.Registration{}
	}
	a := models.NewApplication()
	a.SetDisplayName(ptr(want.DisplayName))
	setIf(want.Description, a.SetDescription)
	setIf(want.Notes, a.SetNotes)
	setIf(want.ServiceManagementReference, a.SetServiceManagementReference)
	setIf(want.Audience, a.SetSignInAudience)
	tags := want.Tags
	if tags == nil {
		tags = have.Tags
	}
	tags = slices.DeleteFunc(slices.Clone(tags), appreg.IsOwnTag)
	a.SetTags(append(tags, appreg.MarkerTag, appreg.RepoTag(repo)))
	if want.IdentifierURIs != nil && appID != "" {
		uris := make([]string, len(want.IdentifierURIs))
		for i, u := range want.IdentifierURIs {
			uris[i] = strings.ReplaceAll(u, "{appId}", appID)
		}
		a.SetIdentifierUris(uris)
	}
	setPlatforms(a, want, have)
	if x := want.API; x != nil {
		h := have.API
		if h == nil {
			h = &appreg.API{}
		}
		a.SetApi(apiModel(x, h))
	}
	if want.AppRoles != nil {
		a.SetAppRoles(roleModels(want.AppRoles))
	}
	if want.Permissions != nil {
		a.SetRequiredResourceAccess(accessModels(access))
	}
	if oc := want.OptionalClaims; oc != nil {
		h := have.OptionalClaims
		if h == nil {
			h = &appreg.OptionalClaims{}
		}
		m := models.NewOptionalClaims()
		m.SetIdToken(claimModels(pickSlice(oc.IDToken, h.IDToken)))
		m.SetAccessToken(claimModels(pickSlice(oc.AccessToken, h.AccessToken)))
		m.SetSaml2Token(claimModels(pickSlice(oc.SAML2Token, h.SAML2Token)))
		a.SetOptionalClaims(m)
	}
	setIf(want.GroupMembershipClaims, a.SetGroupMembershipClaims)
	if i := want.Info; i != nil {
		h := have.Info
		if h == nil {
			h = &appreg.Info{}
		}
		m := models.NewInformationalUrl()
		setIf(pick(i.MarketingURL, h.MarketingURL), m.SetMarketingUrl)
		setIf(pick(i.PrivacyStatementURL, h.PrivacyStatementURL), m.SetPrivacyStatementUrl)
		setIf(pick(i.SupportURL, h.SupportURL), m.SetSupportUrl)
		setIf(pick(i.TermsOfServiceURL, h.TermsOfServiceURL), m.SetTermsOfServiceUrl)
		a.SetInfo(m)
	}
	if want.InstanceLock != nil {
		m := models.NewServicePrincipalLockConfiguration()
		m.SetIsEnabled(want.InstanceLock)
		m.SetAllProperties(want.InstanceLock)
		a.SetServicePrincipalLockConfiguration(m)
	}
	return a
}

// setPlatforms sets the web, single-page and public client platforms of a
// that want manages (unmanaged parts keep have's values).
func setPlatforms(a models.Applicationable, want, have *appreg.Registration) {
	if w := want.Web; w != nil {
		h := have.Web
		if h == nil {
			h = &appreg.Web{}
		}
		m := models.NewWebApplication()
		setIf(pick(w.HomePageURL, h.HomePageURL), m.SetHomePageUrl)
		setIf(pick(w.LogoutURL, h.LogoutURL), m.SetLogoutUrl)
		m.SetRedirectUris(nonNil(pickSlice(w.RedirectURIs, h.RedirectURIs)))
		g := models.NewImplicitGrantSettings()
		wg, hg := w.ImplicitGrant, h.ImplicitGrant
		if wg == nil {
			wg = &appreg.ImplicitGrant{}
		}
		if hg == nil {
			hg = &appreg.ImplicitGrant{}
		}
		g.SetEnableAccessTokenIssuance(ptr(deref(pick(wg.AccessTokens, hg.AccessTokens))))
		g.SetEnableIdTokenIssuance(ptr(deref(pick(wg.IDTokens, hg.IDTokens))))
		m.SetImplicitGrantSettings(g)
		a.SetWeb(m)
	}
	if s := want.SPA; s != nil && s.RedirectURIs != nil {
		m := models.NewSpaApplication()
		m.SetRedirectUris(s.RedirectURIs)
		a.SetSpa(m)
	}
	if p := want.PublicClient; p != nil {
		if p.RedirectURIs != nil {
			m := models.NewPublicClientApplication()
			m.SetRedirectUris(p.RedirectURIs)
			a.SetPublicClient(m)
		}
		setIf(p.AllowPublicClientFlows, a.SetIsFallbackPublicClient)
	}
}

// accessModels converts the resolved requiredResourceAccess.
func accessModels(access []appreg.ResourceAccess) []models.RequiredResourceAccessable {
	list := []models.RequiredResourceAccessable{}
	for _, ra := range access {
		m := models.NewRequiredResourceAccess()
		m.SetResourceAppId(ptr(ra.ResourceAppID))
		items := []models.ResourceAccessable{}
		for _, it := range ra.Items {
			x := models.NewResourceAccess()
			x.SetId(parseUUID(it.ID))
			x.SetTypeEscaped(ptr(it.Type))
			items = append(items, x)
		}
		m.SetResourceAccess(items)
		list = append(list, m)
	}
	return list
}

func apiModel(want, have *appreg.API) models.ApiApplicationable {
	m := models.NewApiApplication()
	setIf(int32ptr(pick(want.AccessTokenVersion, have.AccessTokenVersion)), m.SetRequestedAccessTokenVersion)
	scopes := pickSlice(want.Scopes, have.Scopes)
	m.SetOauth2PermissionScopes(scopeModels(scopes))
	clients := pickSlice(want.AuthorizedClients, have.AuthorizedClients)
	pre := []models.PreAuthorizedApplicationable{}
	for _, c := range clients {
		p := models.NewPreAuthorizedApplication()
		p.SetAppId(ptr(c.AppID))
		ids := []string{}
		for _, v := range c.Scopes {
			for _, s := range scopes {
				if s.Value == v || strings.EqualFold(s.ID, v) {
					ids = append(ids, s.ID)
				}
			}
		}
		p.SetDelegatedPermissionIds(ids)
		pre = append(pre, p)
	}
	m.SetPreAuthorizedApplications(pre)
	return m
}

func scopeModels(scopes []appreg.Scope) []models.PermissionScopeable {
	out := []models.PermissionScopeable{}
	for _, s := range scopes {
		m := models.NewPermissionScope()
		m.SetId(parseUUID(s.ID))
		m.SetValue(ptr(s.Value))
		typ := "Admin"
		if s.Consent == appreg.ConsentUser {
			typ = "User"
		}
		m.SetTypeEscaped(ptr(typ))
		m.SetAdminConsentDisplayName(ptr(s.AdminConsentDisplayName))
		m.SetAdminConsentDescription(ptr(s.AdminConsentDescription))
		m.SetUserConsentDisplayName(ptr(s.UserConsentDisplayName))
		m.SetUserConsentDescription(ptr(s.UserConsentDescription))
		m.SetIsEnabled(ptr(s.Enabled == nil || *s.Enabled))
		out = append(out, m)
	}
	return out
}

func roleModels(roles []appreg.AppRole) []models.AppRoleable {
	out := []models.AppRoleable{}
	for _, r := range roles {
		m := models.NewAppRole()
		m.SetId(parseUUID(r.ID))
		m.SetValue(ptr(r.Value))
		m.SetDisplayName(ptr(r.DisplayName))
		m.SetDescription(ptr(r.Description))
		m.SetAllowedMemberTypes(nonNil(r.AllowedMemberTypes))
		m.SetIsEnabled(ptr(r.Enabled == nil || *r.Enabled))
		out = append(out, m)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// setIf calls set only for a managed (non-nil) value: the SDK sends every
// value set, nil included, and a null would clear what the tenant has.
func setIf[T any](v *T, set func(*T)) {
	if v != nil {
		set(v)
	}
}

// str returns a non-nil pointer: Graph's null becomes "".
func str(p *string) *string { return ptr(deref(p)) }

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func pick[T any](want, have *T) *T {
	if want != nil {
		return want
	}
	return have
}

func pickSlice[T any](want, have []T) []T {
	if want != nil {
		return want
	}
	return have
}

func int32ptr(p *int) *int32 {
	if p == nil {
		return nil
	}
	v := int32(*p)
	return &v
}

func uuidString(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

func parseUUID(s string) *uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return nil
	}
	return &id
}

// passwordCredential converts a password credential's metadata.
func passwordCredential(pc models.PasswordCredentialable) appreg.PasswordCredential {
	c := appreg.PasswordCredential{KeyID: uuidString(pc.GetKeyId()), DisplayName: deref(pc.GetDisplayName()), Hint: deref(pc.GetHint())}
	if t := pc.GetStartDateTime(); t != nil {
		c.Start = *t
	}
	if t := pc.GetEndDateTime(); t != nil {
		c.End = *t
	}
	return c
}
