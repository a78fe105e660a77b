package tfimport

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// TestRealState reads the state Terraform 1.11 and the azuread provider
// wrote against appreg's emulator.
func TestRealState(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "azuread-5-sets.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1b146456-0cda-4fda-9160-8fac44f5fc5a", "22dea660-6d5c-4298-9de2-6b3db5bb6de9", "44109fb0-d526-478c-8c13-a95113fb00dc",
		"a23813af-0c1b-4886-a53a-acb975fed128", "df48b147-9a4f-425d-b22e-61d3670cbe64",
	}
	if diff := cmp.Diff(want, res.ClientIDs); diff != "" {
		t.Errorf("client ids (-want +got):\n%s", diff)
	}
	if len(res.Instances) != 20 || len(res.Unowned) != 0 {
		t.Errorf("%d instances, %d unowned; want 20 and 0", len(res.Instances), len(res.Unowned))
	}
	perApp := map[string]int{}
	for _, in := range res.Instances {
		perApp[in.ClientID]++
	}
	for _, id := range want {
		if perApp[id] != 4 {
			t.Errorf("application %s owns %d instances, want 4 (application, service principal, two federated credentials)", id, perApp[id])
		}
	}
	wantRemoved := `removed {
  from = azuread_application.app

  lifecycle {
    destroy = false
  }
}

removed {
  from = azuread_service_principal.sp

  lifecycle {
    destroy = false
  }
}

removed {
  from = azuread_application_federated_identity_credential.main

  lifecycle {
    destroy = false
  }
}

removed {
  from = azuread_application_federated_identity_credential.pr

  lifecycle {
    destroy = false
  }
}
`
	if diff := cmp.Diff(wantRemoved, res.Removed()); diff != "" {
		t.Errorf("removed blocks (-want +got):\n%s", diff)
	}
	checkRemovedHCL(t, res.Removed(), []string{
		"azuread_application.app", "azuread_service_principal.sp",
		"azuread_application_federated_identity_credential.main", "azuread_application_federated_identity_credential.pr",
	})
}

// checkRemovedHCL parses blocks with HashiCorp's HCL parser and checks
// that each is a removed block whose from is a resource address without
// instance keys and whose lifecycle sets destroy = false, as Terraform
// requires (https://developer.hashicorp.com/terraform/language/block/removed).
func checkRemovedHCL(t *testing.T, src string, want []string) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "removed.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("removed blocks are not valid HCL: %v\n%s", diags, src)
	}
	content, diags := f.Body.Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "removed"}}})
	if diags.HasErrors() {
		t.Fatalf("unexpected top-level content: %v", diags)
	}
	var got []string
	for _, b := range content.Blocks {
		inner, diags := b.Body.Content(&hcl.BodySchema{
			Attributes: []hcl.AttributeSchema{{Name: "from", Required: true}},
			Blocks:     []hcl.BlockHeaderSchema{{Type: "lifecycle"}},
		})
		if diags.HasErrors() || len(inner.Blocks) != 1 {
			t.Fatalf("removed block: %v (%d lifecycle blocks)", diags, len(inner.Blocks))
		}
		trav, diags := hcl.AbsTraversalForExpr(inner.Attributes["from"].Expr)
		if diags.HasErrors() {
			t.Fatalf("from is not an address: %v", diags)
		}
		var parts []string
		for _, step := range trav {
			switch s := step.(type) {
			case hcl.TraverseRoot:
				parts = append(parts, s.Name)
			case hcl.TraverseAttr:
				parts = append(parts, s.Name)
			default:
				t.Errorf("from has an instance key or index (%T): Terraform refuses those", step)
			}
		}
		got = append(got, strings.Join(parts, "."))
		lc, diags := inner.Blocks[0].Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "destroy", Required: true}}})
		if diags.HasErrors() {
			t.Fatalf("lifecycle: %v", diags)
		}
		if v, diags := lc.Attributes["destroy"].Expr.Value(nil); diags.HasErrors() || !v.RawEquals(cty.False) {
			t.Errorf("destroy = %#v, want false", v)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("from addresses (-want +got):\n%s", diff)
	}
}

// secretValue is a client secret as azuread_application_password keeps it
// in the state, in clear text.
const secretValue = "Qx8Q~s3cr3t.V4lue-never-printed"

// showJSON is `terraform show -json` output of a state with modules,
// for_each and count, azuread 2.x attribute names, a password with its
// value, Microsoft Graph's service principal (use_existing) and an app role
// assignment granting one of Graph's roles.
var showJSONOutput = fmt.Sprintf(`{
  "format_version": "1.0",
  "terraform_version": "1.11.4",
  "values": {"root_module": {
    "resources": [
      {"address": "azuread_service_principal.msgraph", "mode": "managed", "type": "azuread_service_principal", "name": "msgraph",
       "values": {"client_id": "00000003-0000-0000-c000-000000000000", "object_id": "5d0e2a59-0bb6-4a36-9d0e-3c1f7c6c6e11", "use_existing": true}},
      {"address": "data.azuread_application.legacy", "mode": "data", "type": "azuread_application", "name": "legacy",
       "values": {"client_id": "9a3e8c66-04a3-4d4e-9f55-2cfc3e8f0d11", "object_id": "0e0f41c5-7a49-4d58-8c35-1b1d3d3a7e11"}}
    ],
    "child_modules": [{
      "address": "module.apps[\"orders\"]",
      "resources": [
        {"address": "module.apps[\"orders\"].azuread_application.this", "mode": "managed", "type": "azuread_application", "name": "this",
         "values": {"application_id": "6A7E1C3B-0D7F-4B8E-9A51-2F0C9E4D1A20", "object_id": "c1d6b8b0-3a4e-4f0e-8d7a-8b5d5f0f2a11", "id": "c1d6b8b0-3a4e-4f0e-8d7a-8b5d5f0f2a11"}},
        {"address": "module.apps[\"orders\"].azuread_service_principal.this", "mode": "managed", "type": "azuread_service_principal", "name": "this",
         "values": {"application_id": "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20", "object_id": "7f3c2a10-2b1e-4c55-9d0e-6a4b3c2d1e11"}},
        {"address": "module.apps[\"orders\"].azuread_application_password.ci[0]", "mode": "managed", "type": "azuread_application_password", "name": "ci", "index": 0,
         "values": {"application_object_id": "c1d6b8b0-3a4e-4f0e-8d7a-8b5d5f0f2a11", "key_id": "0b5c1f7e-2f4d-4a5e-8a3f-4e2d1c0b9a11", "value": %q},
         "sensitive_values": {"value": true}},
        {"address": "module.apps[\"orders\"].azuread_app_role_assignment.graph[\"User.Read.All\"]", "mode": "managed", "type": "azuread_app_role_assignment", "name": "graph", "index": "User.Read.All",
         "values": {"principal_object_id": "7f3c2a10-2b1e-4c55-9d0e-6a4b3c2d1e11", "resource_object_id": "5d0e2a59-0bb6-4a36-9d0e-3c1f7c6c6e11", "app_role_id": "df021288-bdef-4463-88db-98f22de89214"}},
        {"address": "module.apps[\"orders\"].azuread_application_pre_authorized.cli", "mode": "managed", "type": "azuread_application_pre_authorized", "name": "cli",
         "values": {"application_id": "/applications/c1d6b8b0-3a4e-4f0e-8d7a-8b5d5f0f2a11", "authorized_client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46"}},
        {"address": "module.apps[\"orders\"].azuread_application_api_access.graph", "mode": "managed", "type": "azuread_application_api_access", "name": "graph",
         "values": {"application_id": "/applications/c1d6b8b0-3a4e-4f0e-8d7a-8b5d5f0f2a11", "api_client_id": "00000003-0000-0000-c000-000000000000"}},
        {"address": "module.apps[\"orders\"].azuread_application_federated_identity_credential.elsewhere", "mode": "managed", "type": "azuread_application_federated_identity_credential", "name": "elsewhere",
         "values": {"application_id": "/applications/0e0f41c5-7a49-4d58-8c35-1b1d3d3a7e11", "issuer": "https://token.actions.githubusercontent.com"}},
        {"address": "module.apps[\"orders\"].azurerm_role_assignment.deploy", "mode": "managed", "type": "azurerm_role_assignment", "name": "deploy", "values": {}}
      ],
      "child_modules": [{
        "address": "module.apps[\"orders\"].module.reg[0]",
        "resources": [
          {"address": "module.apps[\"orders\"].module.reg[0].azuread_application_registration.this", "mode": "managed", "type": "azuread_application_registration", "name": "this",
           "values": {"client_id": "2f1c7d0e-5b3a-4c8d-9e6f-7a8b9c0d1e11", "id": "/applications/ab12cd34-5e6f-4a7b-8c9d-0e1f2a3b4c11"}}
        ]
      }]
    }]
  }}
}`, secretValue)

func TestShowJSON(t *testing.T) {
	t.Parallel()
	res, err := Parse([]byte(showJSONOutput))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"2f1c7d0e-5b3a-4c8d-9e6f-7a8b9c0d1e11", "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20"}, res.ClientIDs); diff != "" {
		t.Errorf("client ids (-want +got):\n%s", diff)
	}
	owners := map[string]string{}
	for _, in := range res.Instances {
		owners[in.Address] = in.ClientID
	}
	orders := "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20"
	wantOwners := map[string]string{
		"azuread_service_principal.msgraph":                                                 "",
		`module.apps["orders"].azuread_application.this`:                                    orders,
		`module.apps["orders"].azuread_service_principal.this`:                              orders,
		`module.apps["orders"].azuread_application_password.ci[0]`:                          orders,
		`module.apps["orders"].azuread_app_role_assignment.graph["User.Read.All"]`:          orders,
		`module.apps["orders"].azuread_application_pre_authorized.cli`:                      orders,
		`module.apps["orders"].azuread_application_api_access.graph`:                        orders,
		`module.apps["orders"].azuread_application_federated_identity_credential.elsewhere`: "",
		`module.apps["orders"].module.reg[0].azuread_application_registration.this`:         "2f1c7d0e-5b3a-4c8d-9e6f-7a8b9c0d1e11",
	}
	if diff := cmp.Diff(wantOwners, owners); diff != "" {
		t.Errorf("owners by address (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"azuread_service_principal.msgraph", "module.apps.azuread_application_federated_identity_credential.elsewhere"}, res.Kept()); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	checkRemovedHCL(t, res.Removed(), []string{
		"module.apps.azuread_application.this", "module.apps.module.reg.azuread_application_registration.this",
		"module.apps.azuread_service_principal.this", "module.apps.azuread_application_password.ci",
		"module.apps.azuread_app_role_assignment.graph", "module.apps.azuread_application_api_access.graph",
		"module.apps.azuread_application_pre_authorized.cli",
	})
	if dump := fmt.Sprintf("%+v %s", res, res.Removed()); strings.Contains(dump, secretValue) || strings.Contains(dump, "s3cr3t") {
		t.Error("the result holds the password's value")
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"not json", "terraform {}", "reading terraform state: not JSON"},
		{"old state", `{"version": 3, "terraform_version": "0.11.14", "modules": []}`, "state format version 3 is not supported: run terraform show -json"},
		{"plan", `{"format_version": "1.2", "planned_values": {"root_module": {}}}`, "this is a plan, not a state"},
		{"something else", `{"resources": []}`, "neither a state file"},
		{"bad index key", `{"version": 4, "resources": [{"mode": "managed", "type": "azuread_application", "name": "a", "instances": [{"index_key": true, "attributes": {}}]}]}`, "azuread_application.a: index_key is neither a number nor a string"},
		{"secret next to a bad index key", `{"version": 4, "resources": [{"mode": "managed", "type": "azuread_application_password", "name": "p", "instances": [{"index_key": {"k": "` + secretValue + `"}, "attributes": {"value": "` + secretValue + `"}}]}]}`, "azuread_application_password.p: index_key is neither"},
		{"secret in a malformed file", `{"version": 4, "resources": [{"mode": "managed", "type": "azuread_application_password", "name": "p", "instances": [{"attributes": {"value": "` + secretValue + `"}}]]}`, "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			} else if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}

func TestEmptyShowJSON(t *testing.T) {
	t.Parallel()
	res, err := Parse([]byte(`{"format_version": "1.0"}`))
	if err != nil || len(res.ClientIDs) != 0 || res.Removed() != "" {
		t.Errorf("Parse(empty) = %+v, %v; want nothing to import", res, err)
	}
}

func TestStripKeys(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`module.a["x"].module.b[0]`: "module.a.module.b",
		`module.a["we]ird\"[0]"]`:   "module.a",
		"module.a":                  "module.a",
	} {
		if got := stripKeys(in); got != want {
			t.Errorf("stripKeys(%s) = %s, want %s", in, got, want)
		}
	}
}
