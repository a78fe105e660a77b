package cli

import (
	"context"

	"fmt"
	"github.com/appreg/appreg/internal/appreg"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/appreg/appreg/internal/arm"
	"github.com/appreg/appreg/internal/graph"
)

// tenant is Microsoft Graph and Azure Resource Manager together, signed in
// with the same credential: what the workflow reads and writes. The ARM
// client contacts Azure only when the files manage azureRoles.
type tenant struct {
	*graph.Client
	azure *arm.Client
	// noAzure says why there is no ARM client (an unknown cloud); it is
	// an error only when the files manage azureRoles.
	noAzure error
}

func (t tenant) arm() (*arm.Client, error) {
	if t.azure == nil {
		return nil, t.noAzure
	}
	return t.azure, nil
}

// The Azure methods the workflow and apply use, forwarded to the ARM
// client.
func (t tenant) RoleDefinitions(ctx context.Context, scopes []string) ([]appreg.AzureRoleDefinition, error) {
	a, err := t.arm()
	if err != nil {
		return nil, err
	}
	return a.RoleDefinitions(ctx, scopes)
}

func (t tenant) RoleAssignments(ctx context.Context, scopes []string) (map[string][]appreg.AzureRole, error) {
	a, err := t.arm()
	if err != nil {
		return nil, err
	}
	return a.RoleAssignments(ctx, scopes)
}

func (t tenant) AssignAzureRole(ctx context.Context, spID string, r appreg.AzureRole) error {
	a, err := t.arm()
	if err != nil {
		return err
	}
	return a.AssignAzureRole(ctx, spID, r)
}

func (t tenant) RemoveAzureRole(ctx context.Context, r appreg.AzureRole) error {
	a, err := t.arm()
	if err != nil {
		return err
	}
	return a.RemoveAzureRole(ctx, r)
}

// armConfig is how appreg reaches Azure Resource Manager: APPREG_ARM_URL,
// else the ARM endpoint of the Graph URL's cloud (the public cloud by
// default). APPREG_ARM_BACKOFF shortens the wait between retries of
// PrincipalNotFound (tests use milliseconds).
func newARM(graphURL string, cred azcore.TokenCredential, transport http.RoundTripper, getenv func(string) string) (*arm.Client, error) {
	o := arm.Options{URL: getenv("APPREG_ARM_URL")}
	if o.URL == "" && graphURL != "" {
		ep, ok := arm.URLForGraph(graphURL)
		if !ok {
			return nil, fmt.Errorf("the Graph URL %s is not a known cloud's: set APPREG_ARM_URL to its Azure Resource Manager endpoint", graphURL)
		}
		o.URL = ep
	}
	if transport != nil {
		o.Transport = &http.Client{Transport: transport}
	}
	if v := getenv("APPREG_LAG_BACKOFF"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, fmt.Errorf("APPREG_LAG_BACKOFF %q is not a duration like 50ms", v)
		}
		o.PrincipalBackoff = d
	}
	return arm.New(cred, o)
}

// withAzure puts an ARM client over cred beside g; when there is none to
// build (an unknown cloud), using it says why.
func withAzure(g *graph.Client, graphURL string, cred azcore.TokenCredential, transport http.RoundTripper, getenv func(string) string) tenant {
	a, err := newARM(graphURL, cred, transport, getenv)
	if err != nil {
		return tenant{Client: g, noAzure: err}
	}
	return tenant{Client: g, azure: a}
}

// withARMURL is getenv with APPREG_ARM_URL set to url (the Action's
// arm-url input) when url is not empty.
func withARMURL(getenv func(string) string, url string) func(string) string {
	if url == "" {
		return getenv
	}
	return func(k string) string {
		if k == "APPREG_ARM_URL" {
			return url
		}
		return getenv(k)
	}
}
