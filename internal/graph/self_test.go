package graph_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/graph"
)

// staticToken hands out one access token; Self reads its claims only.
type staticToken string

func (s staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func jwt(t *testing.T, claims map[string]any) staticToken {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return staticToken(enc(map[string]any{"typ": "JWT", "alg": "RS256"}) + "." + enc(claims) + ".c2ln")
}

// Self names appreg's service principal from an app-only token, v1.0 (appid)
// or v2.0 (azp), and no owner at all for a user's token: the person signed
// in is not labelled sp:<appid> nor made owner of every application
// (access-token-claims-reference: idtyp, scp).
func TestSelfFromTokenClaims(t *testing.T) {
	t.Parallel()
	const appID, spID, userID = "11111111-2222-3333-4444-555555555555", "66666666-7777-8888-9999-000000000000", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	const cli = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
	sp := appreg.Owner{Ref: "sp:" + appID, Kind: appreg.OwnerServicePrincipal, ID: spID}
	for _, tc := range []struct {
		name   string
		claims map[string]any
		want   appreg.Owner
	}{
		{"app v1.0", map[string]any{"ver": "1.0", "appid": appID, "oid": spID, "idtyp": "app", "roles": []string{"Application.ReadWrite.OwnedBy"}}, sp},
		{"app v2.0", map[string]any{"ver": "2.0", "azp": appID, "oid": spID, "idtyp": "app"}, sp},
		{"user", map[string]any{"ver": "1.0", "appid": cli, "oid": userID, "idtyp": "user", "scp": "Application.ReadWrite.All"}, appreg.Owner{}},
		{"user without idtyp", map[string]any{"ver": "1.0", "appid": cli, "oid": userID, "scp": "Application.ReadWrite.All"}, appreg.Owner{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := graph.New(graph.Options{URL: "https://graph.microsoft.com/v1.0", Credential: jwt(t, tc.claims)})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Self(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Self (-want +got):\n%s", diff)
			}
		})
	}
}
