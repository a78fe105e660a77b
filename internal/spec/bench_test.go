package spec

import (
	"fmt"
	"testing"
	"testing/fstest"
)

// generatedTree is a repository with n varied, valid registrations.
func generatedTree(n int) fstest.MapFS {
	fsys := fstest.MapFS{"appreg.yaml": {Data: []byte(defaultConfig + `policy:
  reviewers: {admins: {teams: [contoso/identity-admins]}}
  require: {application-permission: admins, admin-consent: admins}
  secrets: {maxLifetime: 180d}
`)}}
	for i := range n {
		name := fmt.Sprintf("app-%04d", i)
		body := fmt.Sprintf(`# yaml-language-server: $schema=../schema/registration.schema.json
apiVersion: appreg/v1
name: %[1]s
displayName: Application %[2]d
description: Generated application number %[2]d
owners: [alice@contoso.com, bob@contoso.com]
tags: [team-%[3]d]
identifierUris: ["api://{appId}"]
web:
  homePageUrl: https://%[1]s.contoso.com
  redirectUris: [https://%[1]s.contoso.com/signin-oidc, http://localhost:5000/signin-oidc]
api:
  accessTokenVersion: 2
  scopes:
    - {value: access_as_user, consent: user, adminConsentDisplayName: Access %[1]s}
  authorizedClients:
    - {client: azure-cli, scopes: [access_as_user]}
appRoles:
  - {value: Data.Read, displayName: Read, allowedMemberTypes: [Application]}
permissions:
  - api: microsoft-graph
    delegated: [openid, profile, email, User.Read]
    application: [User.Read.All, Group.Read.All]
    adminConsent: true
  - api: app-%04[4]d
    delegated: [access_as_user]
    application: [Data.Read]
optionalClaims: {idToken: [{name: email}]}
credentials:
  federated:
    - {name: deploy-main, github: {repo: contoso/%[1]s, branch: main}}
    - {name: deploy-prod, github: {repo: contoso/%[1]s, environment: prod}}
  secrets:
    - name: ci
      lifetime: 90d
      deliver:
        - github: {repo: contoso/%[1]s, secret: AZURE_CLIENT_SECRET}
`, name, i, i%20, (i+1)%n)
		fsys["registrations/"+name+".yaml"] = &fstest.MapFile{Data: []byte(body)}
	}
	return fsys
}

// BenchmarkLoad1000 validates 1,000 registration files (the target: under
// a second).
func BenchmarkLoad1000(b *testing.B) {
	fsys := generatedTree(1000)
	if _, diags := LoadFS(fsys, "appreg.yaml"); diags.HasErrors() {
		b.Fatal(diags.Err())
	}
	b.ReportAllocs()
	for b.Loop() {
		LoadFS(fsys, "appreg.yaml")
	}
}

// TestLoadGenerated checks that the benchmark's tree is valid, so the
// benchmark measures the path real repositories take.
func TestLoadGenerated(t *testing.T) {
	t.Parallel()
	res, diags := LoadFS(generatedTree(50), "appreg.yaml")
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	if got := len(res.Desired.Registrations); got != 50 {
		t.Errorf("%d registrations, want 50", got)
	}
}
