package emulator

import (
	"fmt"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/catalog"
)

// firstPartyScopes are the delegated scopes of well-known first-party APIs
// other than Microsoft Graph (user_impersonation, with the ids these APIs
// publish).
var firstPartyScopes = map[string]string{
	appreg.KnownAPIs["azure-resource-manager"]: "41094075-9dad-400e-a0bd-54e686782033",
	appreg.KnownAPIs["azure-key-vault"]:        "f53da476-18e3-4152-8e01-aec403e6edc0",
	appreg.KnownAPIs["azure-storage"]:          "03e0da56-190b-40ad-a80c-ea378c433f7f",
	appreg.KnownAPIs["azure-devops"]:           "ee69721e-6c3a-468f-a9ec-302d16a4c599",
}

// seed fills a new tenant: users, the Microsoft Graph service principal
// with the real permission catalog, the well-known first-party APIs, and
// the operator application with its secret and Graph permissions.
func (s *Server) seed(users []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t.verifiedHosts[s.defaultDomain()] = true
	for _, upn := range users {
		if _, err := s.createUser(map[string]any{"userPrincipalName": upn}); err != nil {
			return fmt.Errorf("seeding user %q: %w", upn, err)
		}
	}
	graphSP := s.firstPartySP(appreg.MicrosoftGraphAppID, "Microsoft Graph")
	graphSP.props["servicePrincipalNames"] = []any{
		appreg.MicrosoftGraphAppID, "https://graph.microsoft.com", "https://graph.microsoft.com/",
		"https://canary.graph.microsoft.com", "https://ags.windows.net", "https://dod-graph.microsoft.us",
	}
	cat := catalog.Graph()
	roles := make([]any, 0, len(cat.Application))
	for _, p := range cat.Application {
		roles = append(roles, map[string]any{
			"allowedMemberTypes": []any{"Application"},
			"description":        p.AdminConsentDescription,
			"displayName":        p.AdminConsentDisplayName,
			"id":                 p.ID,
			"isEnabled":          p.Enabled,
			"origin":             "Application",
			"value":              p.Value,
		})
	}
	scopes := make([]any, 0, len(cat.Delegated))
	for _, p := range cat.Delegated {
		ty := "User"
		if p.AdminConsentRequired {
			ty = "Admin"
		}
		scopes = append(scopes, map[string]any{
			"adminConsentDescription": p.AdminConsentDescription,
			"adminConsentDisplayName": p.AdminConsentDisplayName,
			"id":                      p.ID,
			"isEnabled":               p.Enabled,
			"type":                    ty,
			"userConsentDescription":  nullable(p.UserConsentDescription),
			"userConsentDisplayName":  nullable(p.UserConsentDisplayName),
			"value":                   p.Value,
		})
	}
	graphSP.props["appRoles"] = roles
	graphSP.props["oauth2PermissionScopes"] = scopes

	for alias, appID := range appreg.KnownAPIs {
		if appID == appreg.MicrosoftGraphAppID {
			continue
		}
		name := catalog.FirstPartyName(appID)
		if name == "" {
			name = alias
		}
		sp := s.firstPartySP(appID, name)
		if seedPermissions(sp, appID) {
			continue
		}
		if id, ok := firstPartyScopes[appID]; ok {
			sp.props["oauth2PermissionScopes"] = []any{map[string]any{
				"adminConsentDescription": "Allow the application to access " + name + " on behalf of the signed-in user.",
				"adminConsentDisplayName": "Access " + name,
				"id":                      id,
				"isEnabled":               true,
				"type":                    "User",
				"userConsentDescription":  "Allow the application to access " + name + " on your behalf.",
				"userConsentDisplayName":  "Access " + name,
				"value":                   "user_impersonation",
			}}
		}
	}
	return s.seedOperator(graphSP)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// firstPartySP adds the service principal of a Microsoft application. The
// caller holds s.mu.
func (s *Server) firstPartySP(appID, name string) *servicePrincipal {
	props := servicePrincipalTemplate()
	props["id"] = newGUID()
	props["appId"] = appID
	props["displayName"] = name
	props["appDisplayName"] = name
	props["appOwnerOrganizationId"] = microsoftTenantID
	props["publisherName"] = "Microsoft Services"
	props["servicePrincipalNames"] = append([]any{appID}, toAny(firstPartyNames[appID])...)
	props["signInAudience"] = appreg.AudienceMultipleOrgs
	sp := &servicePrincipal{object: object{seq: s.t.nextSeq(), props: props}}
	s.t.addSP(sp)
	return sp
}

// seedOperator creates appreg's own identity. The caller holds s.mu.
func (s *Server) seedOperator(graphSP *servicePrincipal) error {
	a, apiErr := s.createApp(map[string]any{
		"displayName": "appreg operator",
		"description": "appreg's own identity in the emulated tenant",
	}, "", false)
	if apiErr != nil {
		return fmt.Errorf("creating operator application: %w", apiErr)
	}
	cred, apiErr := s.addPassword(a, map[string]any{"displayName": "emulator"}, false)
	if apiErr != nil {
		return fmt.Errorf("creating operator secret: %w", apiErr)
	}
	sp, apiErr := s.createSP(map[string]any{"appId": a.props["appId"]}, false)
	if apiErr != nil {
		return fmt.Errorf("creating operator service principal: %w", apiErr)
	}
	for _, role := range s.operatorRoles { // LeastPrivilegeRoles and Options.GrantRoles
		p, ok := catalog.Graph().Lookup(catalog.Application, role)
		if !ok {
			return fmt.Errorf("operator role %s is not in the Graph catalog", role)
		}
		if _, apiErr := s.assign(graphSP, map[string]any{
			"principalId": sp.id(), "resourceId": graphSP.id(), "appRoleId": strings.ToLower(p.ID),
		}); apiErr != nil {
			return fmt.Errorf("granting %s to the operator: %w", role, apiErr)
		}
	}
	s.operator = Credentials{
		TenantID:           s.tenantID,
		ClientID:           str(a.props["appId"]),
		ClientSecret:       str(cred["secretText"]),
		ServicePrincipalID: sp.id(),
	}
	return nil
}
