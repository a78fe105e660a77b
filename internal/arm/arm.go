// Package arm is appreg's adapter to Azure Resource Manager, and the only
// package that imports the Azure SDK's armauthorization module. It reads
// the role definitions and role assignments within the scopes a repository
// manages (one paged list per scope, whatever the number of registrations)
// and writes role assignments idempotently: an assignment's name is derived
// from its principal, role and scope, so a re-run after a crash creates
// nothing twice, and RoleAssignmentExists counts as success.
//
// Retries: the SDK's pipeline retries 429 and 5xx honouring Retry-After;
// this package retries PrincipalNotFound, which ARM answers while a new
// service principal replicates to it, with bounded backoff
// (https://learn.microsoft.com/azure/role-based-access-control/troubleshooting#symptom---assigning-a-role-to-a-new-principal-sometimes-fails).
package arm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/google/uuid"
)

// DefaultURL is Azure Resource Manager's endpoint in the global cloud.
const DefaultURL = "https://management.azure.com"

// clouds maps a Microsoft Graph host to its cloud's ARM endpoint
// (https://learn.microsoft.com/graph/deployments#microsoft-graph-and-graph-explorer-service-root-endpoints).
var clouds = map[string]string{
	"graph.microsoft.com":             DefaultURL,
	"graph.microsoft.us":              "https://management.usgovcloudapi.net",
	"dod-graph.microsoft.us":          "https://management.usgovcloudapi.net",
	"microsoftgraph.chinacloudapi.cn": "https://management.chinacloudapi.cn",
}

// URLForGraph returns the ARM endpoint of the cloud whose Microsoft Graph
// endpoint is graphURL, and false when graphURL is not a known cloud's.
func URLForGraph(graphURL string) (string, bool) {
	u, err := url.Parse(graphURL)
	if err != nil {
		return "", false
	}
	ep, ok := clouds[strings.ToLower(u.Hostname())]
	return ep, ok
}

// Options configure a Client.
type Options struct {
	// URL is the ARM endpoint; default DefaultURL.
	URL string
	// Audience is the resource tokens are requested for; default the
	// endpoint's own URL for a known cloud, else https://management.azure.com.
	Audience string
	// Transport carries the requests (one that trusts the emulator's CA in
	// tests); nil means http.DefaultTransport.
	Transport *http.Client
	// PrincipalRetries bounds retries of PrincipalNotFound (default 6);
	// PrincipalBackoff is the first wait, doubled each time up to 10 s
	// (default 2 s).
	PrincipalRetries int
	PrincipalBackoff time.Duration
}

// Client reads and writes Azure role assignments.
type Client struct {
	assignments *armauthorization.RoleAssignmentsClient
	definitions *armauthorization.RoleDefinitionsClient
	opts        Options
}

// New builds a Client over cred. It does not contact ARM.
func New(cred azcore.TokenCredential, o Options) (*Client, error) {
	if o.URL == "" {
		o.URL = DefaultURL
	}
	o.URL = strings.TrimSuffix(o.URL, "/")
	if o.Audience == "" {
		o.Audience = DefaultURL
		for _, ep := range clouds {
			if strings.EqualFold(ep, o.URL) {
				o.Audience = ep
			}
		}
	}
	if o.PrincipalRetries == 0 {
		o.PrincipalRetries = 6
	}
	if o.PrincipalBackoff == 0 {
		o.PrincipalBackoff = 2 * time.Second
	}
	u, err := url.Parse(o.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("azure resource manager URL %q must be an absolute https URL", o.URL)
	}
	copts := &azarm.ClientOptions{
		ClientOptions: policy.ClientOptions{
			Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Endpoint: o.URL, Audience: o.Audience},
			}},
		},
		// appreg reads and writes Microsoft.Authorization only, which every
		// subscription has registered.
		DisableRPRegistration: true,
	}
	if o.Transport != nil {
		copts.Transport = o.Transport
	}
	// The subscription id is only used by subscription-bound operations,
	// which appreg does not call: every call names its scope.
	ra, err := armauthorization.NewRoleAssignmentsClient("00000000-0000-0000-0000-000000000000", cred, copts)
	if err != nil {
		return nil, fmt.Errorf("building role assignments client: %w", err)
	}
	rd, err := armauthorization.NewRoleDefinitionsClient(cred, copts)
	if err != nil {
		return nil, fmt.Errorf("building role definitions client: %w", err)
	}
	return &Client{assignments: ra, definitions: rd, opts: o}, nil
}

// Role is an Azure role definition.
type Role struct {
	// ID is the role definition's GUID, lower case.
	ID     string
	Name   string
	Custom bool
}

// Assignment is an Azure role assignment.
type Assignment struct {
	// ID is the assignment's resource id; Name its GUID.
	ID, Name string
	// Scope is where it applies ("/subscriptions/{s}/resourceGroups/{rg}").
	Scope string
	// RoleID is the role definition's GUID, lower case.
	RoleID        string
	PrincipalID   string
	PrincipalType string
}

// Roles lists the role definitions assignable at scope, built-in and
// custom.
func (c *Client) Roles(ctx context.Context, scope string) ([]Role, error) {
	var out []Role
	pager := c.definitions.NewListPager(strings.TrimPrefix(scope, "/"), nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing role definitions at %s: %w", scope, describe(err))
		}
		for _, d := range page.Value {
			if d == nil || d.Name == nil || d.Properties == nil {
				continue
			}
			out = append(out, Role{
				ID: strings.ToLower(*d.Name), Name: deref(d.Properties.RoleName),
				Custom: strings.EqualFold(deref(d.Properties.RoleType), "CustomRole"),
			})
		}
	}
	return out, nil
}

// Assignments lists the role assignments at, above and below scope.
func (c *Client) Assignments(ctx context.Context, scope string) ([]Assignment, error) {
	var out []Assignment
	pager := c.assignments.NewListForScopePager(strings.TrimPrefix(scope, "/"), nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing role assignments at %s: %w", scope, describe(err))
		}
		for _, a := range page.Value {
			if a == nil || a.Properties == nil {
				continue
			}
			out = append(out, fromSDK(a))
		}
	}
	return out, nil
}

func fromSDK(a *armauthorization.RoleAssignment) Assignment {
	p := a.Properties
	out := Assignment{
		ID: deref(a.ID), Name: deref(a.Name), Scope: deref(p.Scope),
		RoleID: guidOf(deref(p.RoleDefinitionID)), PrincipalID: strings.ToLower(deref(p.PrincipalID)),
	}
	if p.PrincipalType != nil {
		out.PrincipalType = string(*p.PrincipalType)
	}
	return out
}

// guidOf returns the last segment of a role definition id, lower case.
func guidOf(id string) string { return strings.ToLower(id[strings.LastIndex(id, "/")+1:]) }

// namespace scopes the deterministic assignment names appreg derives.
var namespace = uuid.MustParse("6f1a7d6e-8c7b-4f53-9a0e-2b6d1c3e4f50")

// AssignmentName is the name appreg gives the assignment of role (a GUID)
// to principal at scope: a UUID v5 of the three, case-insensitive, so the
// same assignment always has the same name.
func AssignmentName(principalID, roleID, scope string) string {
	key := strings.ToLower(principalID + "|" + roleID + "|" + strings.TrimSuffix(scope, "/"))
	return uuid.NewSHA1(namespace, []byte(key)).String()
}

// Create assigns role a.RoleID to the service principal a.PrincipalID at
// a.Scope under its deterministic name. An assignment that already exists
// (RoleAssignmentExists, under any name) is success. PrincipalNotFound is
// retried while the principal replicates.
func (c *Client) Create(ctx context.Context, a Assignment) (Assignment, error) {
	if a.PrincipalType == "" {
		a.PrincipalType = string(armauthorization.PrincipalTypeServicePrincipal)
	}
	a.Name = AssignmentName(a.PrincipalID, a.RoleID, a.Scope)
	params := armauthorization.RoleAssignmentCreateParameters{Properties: &armauthorization.RoleAssignmentProperties{
		PrincipalID:      to.Ptr(a.PrincipalID),
		PrincipalType:    to.Ptr(armauthorization.PrincipalType(a.PrincipalType)),
		RoleDefinitionID: to.Ptr(roleDefinitionID(a.Scope, a.RoleID)),
		Description:      to.Ptr("managed by appreg"),
	}}
	wait := c.opts.PrincipalBackoff
	for attempt := 0; ; attempt++ {
		resp, err := c.assignments.Create(ctx, strings.TrimPrefix(a.Scope, "/"), a.Name, params, nil)
		switch {
		case err == nil:
			return fromSDK(&resp.RoleAssignment), nil
		case code(err) == "RoleAssignmentExists":
			a.ID = strings.TrimSuffix(a.Scope, "/") + "/providers/Microsoft.Authorization/roleAssignments/" + a.Name
			return a, nil
		case code(err) == "PrincipalNotFound" && attempt < c.opts.PrincipalRetries:
			select {
			case <-ctx.Done():
				return Assignment{}, fmt.Errorf("assigning role %s to %s at %s: %w", a.RoleID, a.PrincipalID, a.Scope, ctx.Err())
			case <-time.After(wait):
			}
			wait = min(wait*2, 10*time.Second)
		default:
			return Assignment{}, fmt.Errorf("assigning role %s to %s at %s: %w", a.RoleID, a.PrincipalID, a.Scope, describe(err))
		}
	}
}

// roleDefinitionID is the id ARM expects for a role within scope: under
// the subscription for scopes inside one, tenant-level otherwise.
func roleDefinitionID(scope, roleID string) string {
	parts := strings.Split(strings.Trim(scope, "/"), "/")
	if len(parts) >= 2 && strings.EqualFold(parts[0], "subscriptions") {
		return "/subscriptions/" + parts[1] + "/providers/Microsoft.Authorization/roleDefinitions/" + roleID
	}
	return "/providers/Microsoft.Authorization/roleDefinitions/" + roleID
}

// Delete removes the role assignment with resource id id. An assignment
// already gone is success.
func (c *Client) Delete(ctx context.Context, id string) error {
	_, err := c.assignments.DeleteByID(ctx, strings.TrimPrefix(id, "/"), nil)
	if err != nil && code(err) != "RoleAssignmentNotFound" {
		return fmt.Errorf("deleting role assignment %s: %w", id, describe(err))
	}
	return nil
}

// Error is an ARM error answer: its HTTP status, code and message.
type Error struct {
	Status        int
	Code, Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// code returns ARM's error code of err, or "".
func code(err error) string {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// describe turns an SDK response error into an *Error carrying ARM's code
// and message (not the SDK's multi-line dump of the whole response).
func describe(err error) error {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return err
	}
	e := &Error{Status: re.StatusCode, Code: re.ErrorCode}
	if re.RawResponse != nil {
		e.Message = messageOf(re.RawResponse)
	}
	return e
}

// messageOf extracts error.message from an ARM error body.
func messageOf(resp *http.Response) string {
	body, err := runtime.Payload(resp)
	if err != nil {
		return ""
	}
	var e struct {
		Error struct{ Message string } `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.Error.Message
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
