package emulator

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// The test below replays, request for request, what Terraform's azuread
// provider (hashicorp/terraform-provider-azuread 3.x with its vendored
// hashicorp/go-azure-sdk) sends to apply and then refresh this
// configuration, with ARM_METADATA_HOSTNAME pointing at the emulator:
//
//	resource "azuread_application" "example" {
//	  display_name = "tf-example"
//	}
//	resource "azuread_service_principal" "example" {
//	  client_id = azuread_application.example.client_id
//	}
//	resource "azuread_application_federated_identity_credential" "github" {
//	  application_id = azuread_application.example.id
//	  display_name   = "github-main"
//	  audiences      = ["api://AzureADTokenExchange"]
//	  issuer         = "https://token.actions.githubusercontent.com"
//	  subject        = "repo:contoso/payments:ref:refs/heads/main"
//	}
//
// The provider cannot run here (no registry access), so the replay stands
// in for it: paths, query strings, headers and bodies are those the
// provider builds, each request goes over a new TLS connection as the
// provider's client makes one per request, and every answer is checked for
// what the provider needs from it (status, Content-Type, keys and types).

const (
	tfDisplayName = "tf-example"
	tfFICName     = "github-main"
	tfIssuer      = "https://token.actions.githubusercontent.com"
	tfSubject     = "repo:contoso/payments:ref:refs/heads/main"
	tfAudience    = "api://AzureADTokenExchange"
	tfUserAgent   = "HashiCorp/go-azure-sdk (Go-http-Client/1.1 MicrosoftGraph/v1.0) terraform-provider-azuread/v3.4.0"
)

// tfProvider sends requests the way the provider's go-azure-sdk client
// does: plain JSON bodies, a bearer token, a fresh connection per request.
type tfProvider struct {
	t     *testing.T
	http  *http.Client
	token string
	conns int // TLS handshakes completed
}

func newTFProvider(t *testing.T, s *Server) *tfProvider {
	t.Helper()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(s.CACertPEM()) {
		t.Fatal("emulator CA certificate does not parse")
	}
	return &tfProvider{t: t, http: &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		DisableKeepAlives: true,
	}}}
}

// tfResponse is an answer as the provider sees it.
type tfResponse struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any // nil for an empty body
}

// do sends one request on a new connection and decodes a JSON answer.
func (p *tfProvider) do(method, rawURL string, body any, contentType string) tfResponse {
	p.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd = strings.NewReader(b.Encode())
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			p.t.Fatalf("encoding %s %s body: %v", method, rawURL, err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		p.t.Fatalf("building %s %s: %v", method, rawURL, err)
	}
	req.Header.Set("User-Agent", tfUserAgent)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	reused := false
	trace := &httptrace.ClientTrace{
		GotConn:          func(info httptrace.GotConnInfo) { reused = info.Reused },
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) { p.conns++ },
	}
	req = req.WithContext(httptrace.WithClientTrace(p.t.Context(), trace))
	resp, err := p.http.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	if reused {
		p.t.Errorf("%s %s reused a connection; the provider opens a new one per request", method, rawURL)
	}
	out := tfResponse{status: resp.StatusCode, header: resp.Header}
	if out.raw, err = io.ReadAll(resp.Body); err != nil {
		p.t.Fatalf("%s %s: reading body: %v", method, rawURL, err)
	}
	if len(out.raw) > 0 {
		// go-azure-sdk unmarshals only application/json answers, and pages
		// only when Content-Type starts with it.
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/json") {
			p.t.Fatalf("%s %s: Content-Type %q, want application/json", method, rawURL, ct)
		}
		if err := json.Unmarshal(out.raw, &out.body); err != nil {
			p.t.Fatalf("%s %s: answer is not a JSON object: %v: %s", method, rawURL, err, out.raw)
		}
	}
	return out
}

// json sends a Graph request with a JSON body, as go-azure-sdk marshals it.
func (p *tfProvider) json(method, rawURL string, body any) tfResponse {
	p.t.Helper()
	ct := ""
	if body != nil {
		ct = "application/json; charset=utf-8"
	}
	return p.do(method, rawURL, body, ct)
}

// expect fails the test unless the answer has the status.
func (r tfResponse) expect(t *testing.T, what string, status int) tfResponse {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.raw)
	}
	if status == http.StatusNoContent && len(r.raw) != 0 {
		t.Errorf("%s: 204 with a body: %s", what, r.raw)
	}
	return r
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// checkShape checks that obj has each key with one of the JSON kinds
// allowed ("string|null"): what the provider's models unmarshal.
func checkShape(t *testing.T, what string, obj map[string]any, shape map[string]string) {
	t.Helper()
	for key, kinds := range shape {
		v, ok := obj[key]
		if !ok {
			t.Errorf("%s: no %q", what, key)
			continue
		}
		if !strings.Contains("|"+kinds+"|", "|"+jsonKind(v)+"|") {
			t.Errorf("%s: %q is %s (%v), want %s", what, key, jsonKind(v), v, kinds)
		}
	}
}

// checkList checks a collection answer: a value array (also when empty)
// of objects with the shape.
func checkList(t *testing.T, what string, r tfResponse, shape map[string]string) []map[string]any {
	t.Helper()
	r.expect(t, what, http.StatusOK)
	value, ok := r.body["value"].([]any)
	if !ok {
		t.Fatalf("%s: value is %s, want an array: %s", what, jsonKind(r.body["value"]), r.raw)
	}
	var out []map[string]any
	for i, v := range value {
		item, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: value[%d] is %s", what, i, jsonKind(v))
		}
		checkShape(t, fmt.Sprintf("%s value[%d]", what, i), item, shape)
		out = append(out, item)
	}
	return out
}

var (
	tfApplicationShape = map[string]string{
		"id": "string", "appId": "string", "displayName": "string", "description": "string|null",
		"api": "object", "appRoles": "array", "identifierUris": "array", "info": "object",
		"isDeviceOnlyAuthSupported": "bool|null", "isFallbackPublicClient": "bool|null",
		"groupMembershipClaims": "string|null", "notes": "string|null", "optionalClaims": "object|null",
		"publicClient": "object", "publisherDomain": "string", "requiredResourceAccess": "array",
		"serviceManagementReference": "string|null", "signInAudience": "string", "spa": "object",
		"tags": "array", "web": "object", "passwordCredentials": "array",
		"disabledByMicrosoftStatus": "string|null", "applicationTemplateId": "string|null",
	}
	tfServicePrincipalShape = map[string]string{
		"id": "string", "appId": "string", "displayName": "string", "description": "string|null",
		"accountEnabled": "bool", "alternativeNames": "array", "appRoleAssignmentRequired": "bool",
		"appRoles": "array", "appOwnerOrganizationId": "string", "homepage": "string|null",
		"loginUrl": "string|null", "logoutUrl": "string|null", "notes": "string|null",
		"notificationEmailAddresses": "array", "oauth2PermissionScopes": "array",
		"preferredSingleSignOnMode": "string|null", "replyUrls": "array",
		"samlSingleSignOnSettings": "object|null", "servicePrincipalNames": "array",
		"servicePrincipalType": "string", "signInAudience": "string|null", "tags": "array",
	}
	tfFICShape = map[string]string{
		"id": "string", "name": "string", "issuer": "string", "subject": "string",
		"audiences": "array", "description": "string|null",
	}
	tfOwnerShape = map[string]string{"@odata.type": "string", "id": "string"}
)

// tfState is what the provider keeps in state from its reads, as its
// flatten functions derive it (null strings become "", null lists empty).
type tfState struct {
	App, SP, FIC map[string]any
}

func str0(v any) string { s, _ := v.(string); return s }

func list0(v any) []string { return append([]string{}, stringsOf(v)...) }

// claimsList splits groupMembershipClaims ("SecurityGroup,ApplicationGroup";
// null is none) as the provider does.
func claimsList(v any) []string {
	out := []string{}
	if s := str0(v); s != "" {
		for _, c := range strings.Split(s, ",") {
			out = append(out, strings.TrimSpace(c))
		}
	}
	return out
}

func ownerIDs(items []map[string]any) []string {
	out := []string{}
	for _, o := range items {
		out = append(out, str0(o["id"]))
	}
	return out
}

// tfReads are the answers of one refresh: the seven reads the provider
// makes for the three resources.
type tfReads struct {
	app, appBeta, appOwners, sp, spBeta, spOwners, fic tfResponse
}

// refresh replays the provider's reads of the three resources.
func (p *tfProvider) refresh(graph, appID, spID, ficID string) tfReads {
	p.t.Helper()
	t := p.t
	v1, beta := graph+"v1.0", graph+"beta"
	var r tfReads
	r.app = p.json("GET", v1+"/applications/"+appID, nil).expect(t, "GET application", http.StatusOK)
	checkShape(t, "GET application", r.app.body, tfApplicationShape)
	r.appBeta = p.json("GET", beta+"/applications/"+appID+"?"+url.Values{"$select": {"oauth2RequirePostResponse"}}.Encode(), nil).
		expect(t, "GET beta application", http.StatusOK)
	checkShape(t, "GET beta application", r.appBeta.body, map[string]string{"oauth2RequirePostResponse": "bool|null"})
	r.appOwners = p.json("GET", v1+"/applications/"+appID+"/owners", nil)
	checkList(t, "GET application owners", r.appOwners, tfOwnerShape)

	r.sp = p.json("GET", v1+"/servicePrincipals/"+spID, nil).expect(t, "GET service principal", http.StatusOK)
	checkShape(t, "GET service principal", r.sp.body, tfServicePrincipalShape)
	r.spBeta = p.json("GET", beta+"/servicePrincipals/"+spID+"?"+url.Values{"$select": {"samlMetadataUrl"}}.Encode(), nil).
		expect(t, "GET beta service principal", http.StatusOK)
	checkShape(t, "GET beta service principal", r.spBeta.body, map[string]string{"samlMetadataUrl": "string|null"})
	r.spOwners = p.json("GET", v1+"/servicePrincipals/"+spID+"/owners", nil)
	checkList(t, "GET service principal owners", r.spOwners, tfOwnerShape)

	r.fic = p.json("GET", v1+"/applications/"+appID+"/federatedIdentityCredentials/"+ficID, nil).
		expect(t, "GET federated credential", http.StatusOK)
	checkShape(t, "GET federated credential", r.fic.body, tfFICShape)
	return r
}

// state flattens one refresh into the provider's state.
func (r tfReads) state(t *testing.T) tfState {
	t.Helper()
	app, sp, fic := r.app.body, r.sp.body, r.fic.body
	api, _ := app["api"].(map[string]any)
	web, _ := app["web"].(map[string]any)
	grants, _ := web["implicitGrantSettings"].(map[string]any)
	tokenVersion := 1
	if v, ok := api["requestedAccessTokenVersion"].(float64); ok {
		tokenVersion = int(v)
	}
	return tfState{
		App: map[string]any{
			"object_id":                      str0(app["id"]),
			"client_id":                      str0(app["appId"]),
			"display_name":                   str0(app["displayName"]),
			"description":                    str0(app["description"]),
			"notes":                          str0(app["notes"]),
			"sign_in_audience":               str0(app["signInAudience"]),
			"tags":                           list0(app["tags"]),
			"identifier_uris":                list0(app["identifierUris"]),
			"group_membership_claims":        claimsList(app["groupMembershipClaims"]),
			"fallback_public_client_enabled": app["isFallbackPublicClient"] == true,
			"device_only_auth_enabled":       app["isDeviceOnlyAuthSupported"] == true,
			"requested_access_token_version": tokenVersion,
			"mapped_claims_enabled":          api["acceptMappedClaims"] == true,
			"web_redirect_uris":              list0(web["redirectUris"]),
			"implicit_access_token":          grants["enableAccessTokenIssuance"] == true,
			"implicit_id_token":              grants["enableIdTokenIssuance"] == true,
			"service_management_reference":   str0(app["serviceManagementReference"]),
			"oauth2_post_response_required":  r.appBeta.body["oauth2RequirePostResponse"] == true,
			"owners":                         ownerIDs(checkList(t, "owners", r.appOwners, tfOwnerShape)),
		},
		SP: map[string]any{
			"object_id":                     str0(sp["id"]),
			"client_id":                     str0(sp["appId"]),
			"display_name":                  str0(sp["displayName"]),
			"description":                   str0(sp["description"]),
			"account_enabled":               sp["accountEnabled"] == true,
			"app_role_assignment_required":  sp["appRoleAssignmentRequired"] == true,
			"notes":                         str0(sp["notes"]),
			"login_url":                     str0(sp["loginUrl"]),
			"preferred_single_sign_on_mode": str0(sp["preferredSingleSignOnMode"]),
			"notification_email_addresses":  list0(sp["notificationEmailAddresses"]),
			"alternative_names":             list0(sp["alternativeNames"]),
			"tags":                          list0(sp["tags"]),
			"saml_metadata_url":             str0(r.spBeta.body["samlMetadataUrl"]),
			"owners":                        ownerIDs(checkList(t, "owners", r.spOwners, tfOwnerShape)),
		},
		FIC: map[string]any{
			"credential_id": str0(fic["id"]),
			"display_name":  str0(fic["name"]),
			"issuer":        str0(fic["issuer"]),
			"subject":       str0(fic["subject"]),
			"audiences":     list0(fic["audiences"]),
			"description":   str0(fic["description"]),
		},
	}
}

// tfToken obtains a token as go-azure-sdk's client secret authorizer does.
func (p *tfProvider) tfToken(loginEndpoint, tenant, graphResourceID string, op Credentials) {
	p.t.Helper()
	t := p.t
	form := url.Values{
		"client_id":     {op.ClientID},
		"client_secret": {op.ClientSecret},
		"grant_type":    {"client_credentials"},
		// environments.Scope: fmt.Sprintf("%s/.default", resource id).
		"scope": {graphResourceID + "/.default"},
	}
	r := p.do("POST", loginEndpoint+"/"+tenant+"/oauth2/v2.0/token", form, "application/x-www-form-urlencoded").
		expect(t, "token", http.StatusOK)
	checkShape(t, "token", r.body, map[string]string{"token_type": "string", "expires_in": "number|string", "access_token": "string"})
	if exp, _ := r.body["expires_in"].(float64); exp <= 1200 {
		t.Errorf("expires_in = %v; the provider fetches a new token before every request unless it exceeds 1200", r.body["expires_in"])
	}
	tok := str0(r.body["access_token"])
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("access token has %d parts, want a three-part JWT", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err != nil || json.Unmarshal(payload, &claims) != nil {
		t.Fatalf("access token payload does not decode: %v", err)
	}
	if claims["oid"] != op.ServicePrincipalID {
		t.Errorf("oid = %v, want the caller's service principal %s", claims["oid"], op.ServicePrincipalID)
	}
	p.token = tok
}

// tfMetadata replays the provider's cloud discovery and returns the login
// endpoint and the Graph resource id.
func (p *tfProvider) tfMetadata(s *Server) (login, graph string) {
	p.t.Helper()
	t := p.t
	host := strings.TrimPrefix(s.URL(), "https://") // ARM_METADATA_HOSTNAME
	r := p.do("GET", "https://"+host+"/metadata/endpoints?api-version=2022-09-01", nil, "").
		expect(t, "metadata", http.StatusOK)
	checkShape(t, "metadata", r.body, map[string]string{
		"name": "string", "resourceManager": "string", "microsoftGraphResourceId": "string", "authentication": "object",
	})
	auth, _ := r.body["authentication"].(map[string]any)
	checkShape(t, "metadata authentication", auth, map[string]string{
		"loginEndpoint": "string", "audiences": "array", "tenant": "string", "identityProvider": "string",
	})
	if str0(r.body["name"]) == "" || str0(r.body["resourceManager"]) == "" || len(stringsOf(auth["audiences"])) == 0 {
		t.Errorf("metadata lacks name, resourceManager or audiences: %s", r.raw)
	}
	login, graph = str0(auth["loginEndpoint"]), str0(r.body["microsoftGraphResourceId"])
	if login != s.URL() {
		t.Errorf("loginEndpoint = %q, want %q without a trailing slash", login, s.URL())
	}
	if graph != s.URL()+"/" {
		t.Errorf("microsoftGraphResourceId = %q, want %q", graph, s.URL()+"/")
	}
	if auth["tenant"] != "common" || auth["identityProvider"] != "AAD" {
		t.Errorf("authentication = %v", auth)
	}
	return login, graph
}

func TestTerraformProviderReplay(t *testing.T) {
	t.Parallel()
	// The operator has least privilege (Application.ReadWrite.OwnedBy), so
	// the replayed configuration names the caller in the owners of both
	// objects (owners = [data.azuread_client_config.current.object_id]),
	// as Terraform's azuread docs require for that permission: the provider
	// binds it on create and, finding it in the configuration, never
	// removes it.
	s := start(t, Options{})
	op := s.Operator()
	p := newTFProvider(t, s)
	bind := func(v1, id string) string { return v1 + "/directoryObjects/" + id }

	// Provider configuration: cloud metadata, then a token for Graph.
	login, graph := p.tfMetadata(s)
	p.tfToken(login, op.TenantID, graph, op)
	v1 := graph + "v1.0"

	// azuread_application: create with the caller as initial owner, then
	// the displayName round trip that proves replication.
	created := p.json("POST", v1+"/applications", map[string]any{
		"@odata.type": "#microsoft.graph.application",
		"api": map[string]any{
			"acceptMappedClaims": false, "knownClientApplications": []any{},
			"oauth2PermissionScopes": []any{}, "requestedAccessTokenVersion": 1,
		},
		"appRoles":              []any{},
		"description":           nil,
		"displayName":           tfDisplayName,
		"groupMembershipClaims": nil,
		"identifierUris":        []any{},
		"info": map[string]any{
			"marketingUrl": nil, "privacyStatementUrl": nil, "supportUrl": nil, "termsOfServiceUrl": nil,
		},
		"isDeviceOnlyAuthSupported":  false,
		"isFallbackPublicClient":     false,
		"notes":                      nil,
		"optionalClaims":             map[string]any{},
		"owners@odata.bind":          []any{bind(v1, op.ServicePrincipalID)},
		"publicClient":               map[string]any{"redirectUris": []any{}},
		"requiredResourceAccess":     []any{},
		"serviceManagementReference": nil,
		"signInAudience":             "AzureADMyOrg",
		"spa":                        map[string]any{"redirectUris": []any{}},
		"tags":                       []any{},
		"web": map[string]any{
			"homePageUrl": nil, "logoutUrl": nil, "redirectUris": []any{},
			"implicitGrantSettings": map[string]any{"enableAccessTokenIssuance": false, "enableIdTokenIssuance": false},
		},
	}).expect(t, "POST application", http.StatusCreated)
	checkShape(t, "POST application", created.body, tfApplicationShape)
	appID, clientID := str0(created.body["id"]), str0(created.body["appId"])
	for _, name := range []string{"TERRAFORM_UPDATE_7f1d3c2a-5b6e-4f80-9a1b-2c3d4e5f6a7b", tfDisplayName} {
		p.json("PATCH", v1+"/applications/"+appID, map[string]any{
			"@odata.type": "#microsoft.graph.application", "displayName": name,
		}).expect(t, "PATCH application displayName "+name, http.StatusNoContent)
	}

	// azuread_service_principal: look for an existing one, create it with
	// a temporary description (and the caller as owner), set the real one.
	existing := checkList(t, "GET service principals by appId",
		p.json("GET", v1+"/servicePrincipals?"+url.Values{"$filter": {"appId eq '" + clientID + "'"}}.Encode(), nil), tfServicePrincipalShape)
	if len(existing) != 0 {
		t.Fatalf("a service principal for %s exists before its creation: %v", clientID, existing)
	}
	spCreated := p.json("POST", v1+"/servicePrincipals", map[string]any{
		"@odata.type":                "#microsoft.graph.servicePrincipal",
		"accountEnabled":             true,
		"alternativeNames":           []any{},
		"appId":                      clientID,
		"appRoleAssignmentRequired":  false,
		"description":                "TERRAFORM_UPDATE_0b9c8d7e-6f5a-4b3c-8d2e-1f0a9b8c7d6e",
		"loginUrl":                   nil,
		"notes":                      nil,
		"notificationEmailAddresses": []any{},
		"owners@odata.bind":          []any{bind(v1, op.ServicePrincipalID)},
		"preferredSingleSignOnMode":  nil,
		"tags":                       []any{},
	}).expect(t, "POST service principal", http.StatusCreated)
	checkShape(t, "POST service principal", spCreated.body, tfServicePrincipalShape)
	spID := str0(spCreated.body["id"])
	p.json("PATCH", v1+"/servicePrincipals/"+spID, map[string]any{
		"@odata.type": "#microsoft.graph.servicePrincipal", "description": nil,
	}).expect(t, "PATCH service principal", http.StatusNoContent)

	// azuread_application_federated_identity_credential: read the
	// application, create the credential, then poll until it has been seen
	// five times in a row. Replication lag makes the first reads miss.
	p.json("GET", v1+"/applications/"+appID, nil).expect(t, "GET application before credential", http.StatusOK)
	s.SetFaults(Faults{LagReads: 2})
	ficCreated := p.json("POST", v1+"/applications/"+appID+"/federatedIdentityCredentials", map[string]any{
		"@odata.type": "#microsoft.graph.federatedIdentityCredential",
		"audiences":   []any{tfAudience},
		"description": "",
		"issuer":      tfIssuer,
		"name":        tfFICName,
		"subject":     tfSubject,
	}).expect(t, "POST federated credential", http.StatusCreated)
	s.SetFaults(Faults{})
	checkShape(t, "POST federated credential", ficCreated.body, tfFICShape)
	ficID := str0(ficCreated.body["id"])
	misses, seen := 0, 0
	for tries := 0; seen < 5; tries++ {
		if tries == 20 {
			t.Fatalf("federated credential seen %d times in a row after 20 reads", seen)
		}
		r := p.json("GET", v1+"/applications/"+appID+"/federatedIdentityCredentials/"+ficID, nil)
		switch r.status {
		case http.StatusOK:
			checkShape(t, "GET federated credential", r.body, tfFICShape)
			seen++
		case http.StatusNotFound:
			if errCode(r.body) != "Request_ResourceNotFound" {
				t.Errorf("404 while replicating: %s", r.raw)
			}
			misses, seen = misses+1, 0
		default:
			t.Fatalf("GET federated credential: status %d: %s", r.status, r.raw)
		}
	}
	if misses != 2 {
		t.Errorf("the poll missed %d times, want the 2 reads of lag", misses)
	}

	// Each resource's create ends with a read; then `terraform plan`
	// refreshes them all again, with a new token.
	applied := p.refresh(graph, appID, spID, ficID)
	p.token = ""
	login, graph = p.tfMetadata(s)
	p.tfToken(login, op.TenantID, graph, op)
	refreshed := p.refresh(graph, appID, spID, ficID)

	want := tfState{
		App: map[string]any{
			"object_id": appID, "client_id": clientID, "display_name": tfDisplayName, "description": "",
			"notes": "", "sign_in_audience": "AzureADMyOrg", "tags": []string{}, "identifier_uris": []string{},
			"group_membership_claims": []string{}, "fallback_public_client_enabled": false,
			"device_only_auth_enabled": false, "requested_access_token_version": 1, "mapped_claims_enabled": false,
			"web_redirect_uris": []string{}, "implicit_access_token": false, "implicit_id_token": false,
			"service_management_reference": "", "oauth2_post_response_required": false, "owners": []string{op.ServicePrincipalID},
		},
		SP: map[string]any{
			"object_id": spID, "client_id": clientID, "display_name": tfDisplayName, "description": "",
			"account_enabled": true, "app_role_assignment_required": false, "notes": "", "login_url": "",
			"preferred_single_sign_on_mode": "", "notification_email_addresses": []string{},
			"alternative_names": []string{}, "tags": []string{}, "saml_metadata_url": "", "owners": []string{op.ServicePrincipalID},
		},
		FIC: map[string]any{
			"credential_id": ficID, "display_name": tfFICName, "issuer": tfIssuer, "subject": tfSubject,
			"audiences": []string{tfAudience}, "description": "",
		},
	}
	for name, got := range map[string]tfState{"after apply": applied.state(t), "refresh": refreshed.state(t)} {
		for _, c := range []struct {
			res       string
			got, want map[string]any
		}{{"azuread_application", got.App, want.App}, {"azuread_service_principal", got.SP, want.SP}, {"azuread_application_federated_identity_credential", got.FIC, want.FIC}} {
			for k, w := range c.want {
				if !reflect.DeepEqual(c.got[k], w) {
					t.Errorf("%s: %s.%s = %#v, want %#v (the provider would plan a change)", name, c.res, k, c.got[k], w)
				}
			}
		}
	}
	// The refresh answers exactly what the reads after apply answered.
	pairs := [][2]tfResponse{
		{applied.app, refreshed.app}, {applied.appBeta, refreshed.appBeta}, {applied.appOwners, refreshed.appOwners},
		{applied.sp, refreshed.sp}, {applied.spBeta, refreshed.spBeta}, {applied.spOwners, refreshed.spOwners},
		{applied.fic, refreshed.fic},
	}
	for i, pr := range pairs {
		if !reflect.DeepEqual(pr[0].body, pr[1].body) {
			t.Errorf("read %d changed between apply and refresh:\n%s\n%s", i, pr[0].raw, pr[1].raw)
		}
	}

	// The request log counts the provider's traffic, request for request.
	stats := s.Stats()
	for key, n := range map[string]int{
		"GET /metadata/endpoints":                                       2,
		"POST /{tenant}/oauth2/v2.0/token":                              2,
		"POST /v1.0/applications":                                       1,
		"PATCH /v1.0/applications/{id}":                                 2,
		"GET /v1.0/servicePrincipals":                                   1,
		"POST /v1.0/servicePrincipals":                                  1,
		"PATCH /v1.0/servicePrincipals/{id}":                            1,
		"GET /v1.0/applications/{id}":                                   3,
		"GET /beta/applications/{id}":                                   2,
		"GET /v1.0/applications/{id}/owners":                            2,
		"GET /v1.0/servicePrincipals/{id}":                              2,
		"GET /beta/servicePrincipals/{id}":                              2,
		"GET /v1.0/servicePrincipals/{id}/owners":                       2,
		"POST /v1.0/applications/{id}/federatedIdentityCredentials":     1,
		"GET /v1.0/applications/{id}/federatedIdentityCredentials/{id}": 2 + misses + 5,
	} {
		if stats[key] != n {
			t.Errorf("stats[%q] = %d, want %d", key, stats[key], n)
		}
	}
	if s.TotalRequests() != p.conns {
		t.Errorf("%d requests over %d TLS connections, want one each", s.TotalRequests(), p.conns)
	}
}
