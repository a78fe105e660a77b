package sdktest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/appreg/appreg/internal/emulator"
)

func TestBatchThroughSDK(t *testing.T) {
	// The application is seeded directly, owned by nobody.
	e := setup(t, emulator.Options{GrantRoles: []string{"Application.ReadWrite.All"}})
	t.Parallel()
	c := e.client
	a, err := e.srv.CreateApplication(map[string]any{"displayName": "batched"})
	if err != nil {
		t.Fatal(err)
	}
	id := a["id"].(string)

	batch := msgraphgocore.NewBatchRequest(e.adapter)
	getInfo, err := c.Applications().ByApplicationId(id).ToGetRequestInformation(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	get, err := batch.AddBatchRequestStep(*getInfo)
	if err != nil {
		t.Fatal(err)
	}
	fic := models.NewFederatedIdentityCredential()
	fic.SetName(ptr("batched"))
	fic.SetIssuer(ptr("https://token.actions.githubusercontent.com"))
	fic.SetSubject(ptr("repo:o/r:pull_request"))
	fic.SetAudiences([]string{"api://AzureADTokenExchange"})
	postInfo, err := c.Applications().ByApplicationId(id).FederatedIdentityCredentials().ToPostRequestInformation(ctx(t), fic, nil)
	if err != nil {
		t.Fatal(err)
	}
	post, err := batch.AddBatchRequestStep(*postInfo)
	if err != nil {
		t.Fatal(err)
	}
	post.DependsOnItem(get)
	missingInfo, err := c.Applications().ByApplicationId("00000000-0000-0000-0000-000000000001").ToGetRequestInformation(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	missing, err := batch.AddBatchRequestStep(*missingInfo)
	if err != nil {
		t.Fatal(err)
	}
	dependentInfo, err := c.Applications().ByApplicationId(id).Owners().ToGetRequestInformation(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	dependent, err := batch.AddBatchRequestStep(*dependentInfo)
	if err != nil {
		t.Fatal(err)
	}
	dependent.DependsOnItem(missing)

	resp, err := batch.Send(ctx(t), e.adapter)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	codes := resp.GetStatusCodes()
	want := map[string]int32{*get.GetId(): 200, *post.GetId(): 201, *missing.GetId(): 404, *dependent.GetId(): 424}
	for k, v := range want {
		if codes[k] != v {
			t.Errorf("item status %d, want %d", codes[k], v)
		}
	}
	app, err := msgraphgocore.GetBatchResponseById[models.Applicationable](resp, *get.GetId(), models.CreateApplicationFromDiscriminatorValue)
	if err != nil || deref(app.GetId()) != id {
		t.Fatalf("GetBatchResponseById: %v", err)
	}
	_, err = msgraphgocore.GetBatchResponseById[models.Applicationable](resp, *missing.GetId(), models.CreateApplicationFromDiscriminatorValue)
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || deref(oe.GetErrorEscaped().GetCode()) != "Request_ResourceNotFound" {
		t.Errorf("item error: %v", err)
	}
	if got := e.srv.Stats()["batch:POST /v1.0/applications/{id}/federatedIdentityCredentials"]; got != 1 {
		t.Errorf("batch item stats = %v", e.srv.Stats())
	}

	// More than 20 steps are refused by the SDK itself; the emulator answers
	// 400 for a whole batch it gets with more.
	big := msgraphgocore.NewBatchRequest(e.adapter)
	for i := range 21 {
		_, err = big.AddBatchRequestStep(*getInfo)
		if i == 20 && err == nil {
			t.Error("SDK accepted a 21st step")
		}
	}
}

func TestThrottledPagingThroughSDK(t *testing.T) {
	e := setup(t, emulator.Options{Seed: 7})
	t.Parallel()
	const n = 5000
	for i := range n {
		if _, err := e.srv.CreateApplication(map[string]any{"displayName": fmt.Sprintf("bulk-%04d", i), "tags": []any{"appreg:managed"}}); err != nil {
			t.Fatal(err)
		}
	}
	e.srv.SetFaults(emulator.Faults{ThrottleRate: 0.2})
	e.srv.ResetStats()
	page, err := e.client.Applications().Get(ctx(t), &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{
			Select: []string{"id", "appId", "displayName", "tags"},
			Filter: ptr("tags/any(t:t eq 'appreg:managed')"),
			Top:    ptr(int32(999)),
		},
	})
	if err != nil {
		t.Fatalf("first page: %v", err)
	}
	it, err := msgraphgocore.NewPageIterator[models.Applicationable](page, e.adapter, models.CreateApplicationCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	if err := it.Iterate(ctx(t), func(a models.Applicationable) bool {
		seen[deref(a.GetId())] = true
		return true
	}); err != nil {
		t.Fatalf("iterate: %v", err)
	}
	if len(seen) != n {
		t.Errorf("listed %d applications, want %d", len(seen), n)
	}
	if got := e.srv.Stats()["GET /v1.0/applications"]; got <= 6 {
		t.Errorf("no request was throttled (%d list calls for 6 pages)", got)
	}
}

func TestTokenEndpointThroughAzidentity(t *testing.T) {
	t.Parallel()
	srv := start(t, emulator.Options{})
	op := srv.Operator()
	scopes := policy.TokenRequestOptions{Scopes: []string{graphScope}}

	tok, err := credential(t, srv, op.ClientID, op.ClientSecret).GetToken(ctx(t), scopes)
	if err != nil {
		t.Fatalf("operator token: %v", err)
	}
	claims := jwtClaims(t, tok.Token)
	roles := fmt.Sprint(claims["roles"])
	for _, r := range emulator.LeastPrivilegeRoles {
		if !strings.Contains(roles, r) {
			t.Errorf("roles %s lack %s", roles, r)
		}
	}
	if claims["oid"] != op.ServicePrincipalID || claims["appid"] != op.ClientID || claims["tid"] != srv.TenantID() {
		t.Errorf("claims = %v", claims)
	}

	app, err := srv.CreateApplication(map[string]any{"displayName": "client"})
	if err != nil {
		t.Fatal(err)
	}
	appID := app["appId"].(string)
	if _, err := srv.CreateServicePrincipal(appID); err != nil {
		t.Fatal(err)
	}
	cred, err := srv.AddPassword(appID, nil)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := srv.AddPassword(appID, map[string]any{
		"startDateTime": time.Now().AddDate(-2, 0, 0).Format(time.RFC3339),
		"endDateTime":   time.Now().AddDate(-1, 0, 0).Format(time.RFC3339),
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, err = credential(t, srv, appID, cred["secretText"].(string)).GetToken(ctx(t), scopes)
	if err != nil {
		t.Fatalf("token without consent: %v", err)
	}
	if _, ok := jwtClaims(t, tok.Token)["roles"]; ok {
		t.Error("a client without consent got a roles claim")
	}

	tests := []struct {
		name, clientID, secret, want string
	}{
		{"key id instead of value", appID, cred["keyId"].(string), "AADSTS7000215"},
		{"expired secret", appID, expired["secretText"].(string), "AADSTS7000222"},
		{"unknown application", "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20", "whatever", "AADSTS700016"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := credential(t, srv, tt.clientID, tt.secret).GetToken(ctx(t), scopes)
			var afe *azidentity.AuthenticationFailedError
			if !errors.As(err, &afe) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("GetToken error = %v, want %s", err, tt.want)
			}
		})
	}
	if srv.Stats()["POST /{tenant}/oauth2/v2.0/token"] == 0 {
		t.Error("token requests not counted")
	}
}
