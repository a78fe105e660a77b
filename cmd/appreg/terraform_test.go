package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/appreg/appreg/internal/emulator"
)

// seedTerraform rebuilds in the emulator the applications a Terraform state
// recorded, with the same object ids and client ids: each
// azuread_application with its display name and required resource access,
// its azuread_service_principal and its federated identity credentials.
// It reads only what those resources' attributes say.
func seedTerraform(srv *emulator.Server, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var st struct {
		Resources []struct {
			Type      string `json:"type"`
			Instances []struct {
				Attributes map[string]any `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	// Applications first, then what hangs off them.
	for _, pass := range []string{"azuread_application", "azuread_service_principal", "azuread_application_federated_identity_credential"} {
		for _, r := range st.Resources {
			if r.Type != pass {
				continue
			}
			for _, in := range r.Instances {
				if err := seedResource(srv, r.Type, in.Attributes); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func seedResource(srv *emulator.Server, typ string, a map[string]any) error {
	s := func(k string) string { v, _ := a[k].(string); return v }
	switch typ {
	case "azuread_application":
		var rra []any
		for _, x := range a["required_resource_access"].([]any) {
			m := x.(map[string]any)
			var access []any
			for _, y := range m["resource_access"].([]any) {
				ra := y.(map[string]any)
				access = append(access, map[string]any{"id": ra["id"], "type": ra["type"]})
			}
			rra = append(rra, map[string]any{"resourceAppId": m["resource_app_id"], "resourceAccess": access})
		}
		_, err := srv.CreateApplicationWithIDs(s("object_id"), s("client_id"), map[string]any{
			"displayName": s("display_name"), "signInAudience": s("sign_in_audience"), "requiredResourceAccess": rra,
		})
		return err
	case "azuread_service_principal":
		_, err := srv.CreateServicePrincipalWithID(s("object_id"), s("client_id"))
		return err
	default:
		_, err := srv.AddFederatedCredential(strings.TrimPrefix(s("application_id"), "/applications/"), map[string]any{
			"name": s("display_name"), "issuer": s("issuer"), "subject": s("subject"), "audiences": a["audiences"],
		})
		return err
	}
}
