package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// graphAppID is Microsoft Graph's appId in every tenant.
const graphAppID = "00000003-0000-0000-c000-000000000000"

// graphAudiences are the audiences Microsoft Graph accepts in a token.
var graphAudiences = map[string]bool{
	"https://graph.microsoft.com":  true,
	"https://graph.microsoft.com/": true,
	graphAppID:                     true,
}

// v1Claims turns claims into those of a v1.0 access token, the version
// Entra issues for Microsoft Graph whatever endpoint was asked (Graph does
// not set requestedAccessTokenVersion 2; access-token-claims-reference:
// ver "1.0", iss https://sts.windows.net/{tid}/, appid and no azp).
func v1Claims(claims map[string]any, tenantID string) {
	claims["aud"] = "https://graph.microsoft.com"
	claims["iss"] = "https://sts.windows.net/" + tenantID + "/"
	claims["ver"] = "1.0"
	delete(claims, "azp")
}

// tokenLifetime is how long access tokens live, as Entra answers
// (expires_in 3599). Clients that refresh a token when it has less than 20
// minutes left (Terraform's azuread provider) reuse it for 40 minutes.
const tokenLifetime = 3599 * time.Second

func (s *Server) issuer() string { return s.url + "/" + s.tenantID + "/v2.0" }

// knownTenant reports whether a tenant path segment names this tenant.
func (s *Server) knownTenant(t string) bool {
	t = strings.ToLower(t)
	return t == s.tenantID || t == "organizations" || t == "common" || t == s.defaultDomain()
}

// serveIdentity serves the identity platform (discovery documents and the
// token endpoint: client credentials with a secret or a federated
// assertion) and the cloud metadata endpoint.
func (s *Server) serveIdentity(w http.ResponseWriter, hr *http.Request) (string, int) {
	parts := strings.Split(strings.Trim(hr.URL.Path, "/"), "/")
	key := hr.Method + " " + hr.URL.Path
	var status int
	var body any
	switch {
	case len(parts) == 2 && parts[0] == "metadata" && parts[1] == "endpoints" && hr.Method == http.MethodGet:
		key = "GET /metadata/endpoints"
		if hr.URL.Query().Get("api-version") == "" {
			status, body = http.StatusBadRequest, map[string]any{"error": map[string]any{
				"code":    "MissingApiVersionParameter",
				"message": "The api-version query parameter (?api-version=) is required for all requests.",
			}}
			break
		}
		status, body = http.StatusOK, s.cloudMetadata()
	case len(parts) == 3 && parts[0] == "common" && parts[1] == "discovery" && parts[2] == "instance":
		key = "GET /common/discovery/instance"
		status, body = http.StatusOK, s.instanceDiscovery()
	case len(parts) == 4 && parts[1] == "v2.0" && parts[2] == ".well-known" && parts[3] == "openid-configuration",
		len(parts) == 3 && parts[1] == ".well-known" && parts[2] == "openid-configuration":
		key = "GET /{tenant}/v2.0/.well-known/openid-configuration"
		if !s.knownTenant(parts[0]) {
			status, body = s.aadError(http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", parts[0]))
		} else {
			status, body = http.StatusOK, s.openIDConfiguration()
		}
	case len(parts) == 4 && parts[1] == "discovery" && parts[2] == "v2.0" && parts[3] == "keys":
		key = "GET /{tenant}/discovery/v2.0/keys"
		status, body = http.StatusOK, s.jwks()
	case len(parts) == 4 && parts[1] == "oauth2" && parts[2] == "v2.0" && parts[3] == "token":
		key = "POST /{tenant}/oauth2/v2.0/token"
		if hr.Method != http.MethodPost {
			status, body = s.aadError(http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts POST requests.")
			break
		}
		raw, err := readBody(hr)
		form, perr := url.ParseQuery(string(raw))
		if err != nil || perr != nil {
			status, body = s.aadError(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
			break
		}
		status, body = s.token(parts[0], form)
	default:
		s.count(hr.Method+" "+normalizeUnknown(hr.URL.Path), true)
		http.NotFound(w, hr)
		return key, http.StatusNotFound
	}
	s.count(key, true)
	b, err := json.Marshal(body)
	if err != nil {
		http.Error(w, "encoding response", http.StatusInternalServerError)
		return key, http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // the client went away
	return key, status
}

func (s *Server) openIDConfiguration() map[string]any {
	base := s.url + "/" + s.tenantID
	return map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                s.issuer(),
		"request_uri_parameter_supported":       false,
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"tenant_region_scope":                   nil,
		"cloud_instance_name":                   "microsoftonline.com",
		"cloud_graph_host_name":                 "graph.windows.net",
		"msgraph_host":                          "graph.microsoft.com",
	}
}

// cloudMetadata is the answer of GET /metadata/endpoints?api-version=2022-09-01,
// the Azure Resource Manager metadata that describes a cloud. Clients
// pointed at a metadata host (Terraform's azuread provider with
// ARM_METADATA_HOSTNAME) find the login endpoint and Microsoft Graph here:
// they call {loginEndpoint}/{tenant}/oauth2/v2.0/token with scope
// {microsoftGraphResourceId}/.default and Graph at
// {microsoftGraphResourceId}v1.0 and …beta, all on the emulator (fields as
// hashicorp/go-azure-sdk sdk/internal/metadata reads them).
func (s *Server) cloudMetadata() map[string]any {
	return map[string]any{
		"name":                     "AppregEmulator",
		"resourceManager":          s.url + "/arm",
		"microsoftGraphResourceId": s.url + "/",
		"authentication": map[string]any{
			// No trailing slash: clients append "/{tenant}/oauth2/v2.0/token".
			"loginEndpoint":    s.url,
			"audiences":        []string{s.url + "/arm"},
			"tenant":           "common",
			"identityProvider": "AAD",
		},
	}
}

func (s *Server) instanceDiscovery() map[string]any {
	host := strings.TrimPrefix(s.url, "https://")
	return map[string]any{
		"tenant_discovery_endpoint": s.url + "/" + s.tenantID + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []any{map[string]any{
			"preferred_network": host, "preferred_cache": host, "aliases": []string{host},
		}},
	}
}

// aadError renders an identity platform error (apis.md §13).
func (s *Server) aadError(status int, code string, aadsts int, msg string) (int, any) {
	trace, corr := newGUID(), newGUID()
	ts := s.now().UTC().Format("2006-01-02 15:04:05Z")
	return status, map[string]any{
		"error": code,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
			aadsts, msg, trace, corr, ts),
		"error_codes":    []int{aadsts},
		"timestamp":      ts,
		"trace_id":       trace,
		"correlation_id": corr,
		"error_uri":      fmt.Sprintf("%s/error?code=%d", s.url, aadsts),
	}
}

// token implements the client credentials grant. Secrets are checked the
// way Entra does: against the values of the application's
// passwordCredentials, never their key ids.
func (s *Server) token(tenantSeg string, form url.Values) (int, any) {
	if !s.knownTenant(tenantSeg) || tenantSeg == "common" || tenantSeg == "organizations" {
		return s.aadError(http.StatusBadRequest, "invalid_request", 90002,
			fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenantSeg))
	}
	if gt := form.Get("grant_type"); gt != "client_credentials" {
		return s.aadError(http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+gt+"'.")
	}
	clientID := form.Get("client_id")
	if clientID == "" {
		return s.aadError(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
	}
	resourceName, ok := resourceOf(form.Get("scope"))
	if !ok {
		return s.aadError(http.StatusBadRequest, "invalid_scope", 1002012,
			fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", form.Get("scope")))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.t.appsByAppID[strings.ToLower(clientID)]
	if a == nil || !s.seen(&a.vis) {
		return s.aadError(http.StatusBadRequest, "unauthorized_client", 700016,
			fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, s.tenantID))
	}
	appID := str(a.props["appId"])
	switch {
	case form.Get("client_assertion") != "":
		if st, body := s.checkAssertion(a, form); st != 0 {
			return st, body
		}
	case form.Get("client_secret") != "":
		cred, visible := s.matchSecret(a, form.Get("client_secret"))
		if cred == nil || !visible {
			return s.aadError(http.StatusUnauthorized, "invalid_client", 7000215,
				fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", appID))
		}
		if s.expired(cred) {
			return s.aadError(http.StatusUnauthorized, "invalid_client", 7000222,
				fmt.Sprintf("The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", appID))
		}
	default:
		return s.aadError(http.StatusUnauthorized, "invalid_client", 7000216,
			"'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
	}
	sp := s.t.sp(appID, true)
	if sp == nil {
		return s.aadError(http.StatusBadRequest, "invalid_client", 7000229,
			fmt.Sprintf("The client application %s is missing service principal in the tenant %s.", appID, s.tenantID))
	}
	resource := s.resourceSP(resourceName)
	if resource == nil {
		return s.aadError(http.StatusBadRequest, "invalid_resource", 500011,
			fmt.Sprintf("The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", resourceName, s.tenantID))
	}
	now := s.now()
	claims := map[string]any{
		"aud":             resourceName,
		"iss":             s.issuer(),
		"iat":             now.Unix(),
		"nbf":             now.Unix(),
		"exp":             now.Add(tokenLifetime).Unix(),
		"tid":             s.tenantID,
		"appid":           appID,
		"azp":             appID,
		"app_displayname": a.props["displayName"],
		"oid":             sp.id(),
		"sub":             sp.id(),
		"idtyp":           "app",
		"ver":             "2.0",
		"uti":             newLongID()[:22],
	}
	if str(resource.props["appId"]) == graphAppID {
		v1Claims(claims, s.tenantID)
		claims["appidacr"] = "1"
		if form.Get("client_assertion") != "" {
			claims["appidacr"] = "2"
		}
	}
	if roles := s.grantedRoles(sp.id(), resource); len(roles) > 0 {
		claims["roles"] = roles
	}
	tok, err := s.signJWT(claims)
	if err != nil {
		return s.aadError(http.StatusInternalServerError, "server_error", 90100, "Unable to sign the token.")
	}
	return http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": int(tokenLifetime.Seconds()), "ext_expires_in": int(tokenLifetime.Seconds()), "access_token": tok,
	}
}

// resourceOf extracts the resource of a client credentials scope
// ("https://graph.microsoft.com/.default"), ignoring the OIDC scopes MSAL
// adds.
func resourceOf(scope string) (string, bool) {
	var res string
	for _, sc := range strings.Fields(scope) {
		switch sc {
		case "openid", "profile", "offline_access", "email":
			continue
		}
		r, ok := strings.CutSuffix(sc, "/.default")
		if !ok || res != "" {
			return "", false
		}
		res = r
	}
	return res, res != ""
}

// resourceSP finds the service principal a token is requested for: by
// appId, Graph's URL, the emulator's own URL (the Graph resource id its
// cloud metadata announces, with or without trailing slashes) or a
// servicePrincipalName (identifier URI). The caller holds s.mu.
func (s *Server) resourceSP(name string) *servicePrincipal {
	if graphAudiences[name] || strings.EqualFold(strings.TrimSuffix(name, "/"), "https://graph.microsoft.com") ||
		strings.EqualFold(strings.TrimRight(name, "/"), s.url) {
		return s.t.sp(graphAppID, true)
	}
	if sp := s.t.sp(name, true); sp != nil {
		return sp
	}
	for _, sp := range s.t.sps {
		for _, n := range stringsOf(sp.props["servicePrincipalNames"]) {
			if strings.EqualFold(strings.TrimSuffix(n, "/"), strings.TrimSuffix(name, "/")) {
				return sp
			}
		}
	}
	return nil
}

// checkAssertion accepts a federated client assertion whose issuer, subject
// and audience match one of the application's federated identity
// credentials exactly (apis.md §4). The emulator cannot check the external
// issuer's signature, so it checks only the claims and their lifetime.
// The caller holds s.mu.
func (s *Server) checkAssertion(a *application, form url.Values) (int, any) {
	if form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		return s.aadError(http.StatusBadRequest, "invalid_request", 50027, "Invalid client_assertion_type.")
	}
	parts := strings.Split(form.Get("client_assertion"), ".")
	if len(parts) != 3 {
		return s.aadError(http.StatusBadRequest, "invalid_client", 50027, "JWT token is invalid or malformed.")
	}
	claims, err := decodeClaims(parts[1])
	if err != nil {
		return s.aadError(http.StatusBadRequest, "invalid_client", 50027, "JWT token is invalid or malformed.")
	}
	now := s.now().Unix()
	if exp, ok := claims["exp"].(float64); !ok || int64(exp) <= now {
		return s.aadError(http.StatusBadRequest, "invalid_client", 700024, "Client assertion is not within its valid time range.")
	}
	iss, sub := str(claims["iss"]), str(claims["sub"])
	var auds []string
	switch v := claims["aud"].(type) {
	case string:
		auds = []string{v}
	case []any:
		auds = stringsOf(v)
	}
	for _, f := range a.fics {
		if str(f.props["issuer"]) != iss || str(f.props["subject"]) != sub {
			continue
		}
		for _, want := range stringsOf(f.props["audiences"]) {
			for _, got := range auds {
				if got == want && s.seen(&f.vis) {
					return 0, nil
				}
			}
		}
	}
	return s.aadError(http.StatusBadRequest, "invalid_client", 700213,
		fmt.Sprintf("No matching federated identity record found for presented assertion subject '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", sub))
}

// authenticate checks the bearer token of a Graph request.
func (s *Server) authenticate(r *request) *response {
	deny := func(msg string) *response {
		resp := s.graphError(r, http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
		resp.header.Set("WWW-Authenticate", `Bearer realm="", authorization_uri="`+s.url+`/`+s.tenantID+`/oauth2/authorize", client_id="`+graphAppID+`"`)
		return resp
	}
	auth := r.header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return deny("Access token is empty.")
	}
	claims, err := s.verifyJWT(strings.TrimSpace(tok))
	if err != nil {
		return deny(err.Error())
	}
	if exp, ok := claims["exp"].(float64); !ok || !s.now().Before(time.Unix(int64(exp), 0)) {
		return deny("Lifetime validation failed, the token is expired.")
	}
	if !graphAudiences[str(claims["aud"])] {
		return deny("Access token validation failure. Invalid audience.")
	}
	if !strings.EqualFold(str(claims["tid"]), s.tenantID) {
		return deny("Access token validation failure. Invalid issuer.")
	}
	r.caller = newCaller(claims)
	return nil
}
