package graph

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipalswithappid"

	"github.com/appreg/appreg/internal/appreg"
)

// UpsertServicePrincipal creates or updates the application's service
// principal and returns its object id. One not observed (have nil) is
// created with appreg bound as its owner; otherwise, and on a re-run that
// finds it created, it is upserted (PATCH by appId with Prefer:
// create-if-missing). Both retry while a new application has not replicated
// (NoBackingApplicationObject). It carries appreg's marker tag so the next
// read finds it in one list, and the admin center's integrated-app tag.
func (c *Client) UpsertServicePrincipal(ctx context.Context, appID string, want, have *appreg.ServicePrincipal) (string, error) {
	body := models.NewServicePrincipal()
	if want == nil {
		want = &appreg.ServicePrincipal{}
	}
	creating := have == nil
	if have == nil {
		have = &appreg.ServicePrincipal{}
	}
	tags := slices.DeleteFunc(slices.Clone(pickSlice(want.Tags, have.Tags)), systemSPTag)
	body.SetTags(append(tags, integratedAppTag, appreg.MarkerTag))
	setIf(want.AssignmentRequired, body.SetAppRoleAssignmentRequired)
	if want.NotificationEmails != nil {
		body.SetNotificationEmailAddresses(want.NotificationEmails)
	}
	if creating {
		// None observed: create it with appreg as its owner.
		id, err := c.createServicePrincipal(ctx, appID, body)
		if err != nil || id != "" {
			return id, err
		}
	}
	var id string
	err := c.retryLag(ctx, "upserting service principal of "+appID, func() error {
		sp, err := c.sdk.ServicePrincipalsWithAppId(&appID).Patch(ctx, body, &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderPatchRequestConfiguration{Headers: createIfMissing()})
		if sp != nil {
			id = deref(sp.GetId())
		}
		return deniedHint(wrap(err, "upserting the service principal of application %s", appID), "service principal of application "+appID)
	})
	if err != nil || id != "" {
		return id, err
	}
	err = c.retryLag(ctx, "reading service principal of "+appID, func() error {
		sp, err := c.sdk.ServicePrincipalsWithAppId(&appID).Get(ctx, nil)
		if err == nil {
			id = deref(sp.GetId())
		}
		return wrap(err, "reading the service principal of application %s", appID)
	})
	return id, err
}

// integratedAppTag is the tag the Entra admin center gives the service
// principals it creates: without it, a service principal is not listed
// under Enterprise applications (Terraform's azuread docs, feature_tags
// enterprise). appreg sets it on every service principal it writes.
const integratedAppTag = "WindowsAzureActiveDirectoryIntegratedApp"

// systemSPTag reports whether a service principal tag is one appreg sets
// itself (and so hides from the observed tags).
func systemSPTag(t string) bool { return t == appreg.MarkerTag || t == integratedAppTag }

// createServicePrincipal creates the service principal of appID with
// appreg's own service principal bound as its owner in the same request
// (owners@odata.bind): with Application.ReadWrite.OwnedBy, appreg may
// change later only the service principals it owns, and it cannot add
// itself as owner afterwards. It returns "" without error when the service
// principal exists already (a re-run), for the caller to upsert it.
func (c *Client) createServicePrincipal(ctx context.Context, appID string, body models.ServicePrincipalable) (string, error) {
	self, err := c.Self(ctx)
	if err != nil {
		return "", err
	}
	create := models.NewServicePrincipal()
	create.SetAppId(ptr(appID))
	create.SetTags(body.GetTags())
	setIf(body.GetAppRoleAssignmentRequired(), create.SetAppRoleAssignmentRequired)
	if e := body.GetNotificationEmailAddresses(); e != nil {
		create.SetNotificationEmailAddresses(e)
	}
	if self.ID != "" {
		create.SetAdditionalData(map[string]any{
			"owners@odata.bind": []string{strings.TrimSuffix(c.adapter.GetBaseUrl(), "/") + "/directoryObjects/" + self.ID},
		})
	}
	var id string
	err = c.retryLag(ctx, "creating service principal of "+appID, func() error {
		sp, err := c.sdk.ServicePrincipals().Post(ctx, create, nil)
		if sp != nil {
			id = deref(sp.GetId())
		}
		return wrap(err, "creating the service principal of application %s", appID)
	})
	if status(err) == http.StatusConflict {
		return "", nil
	}
	return id, err
}

// deniedHint adds to a 403 on an object what it most likely means: appreg
// does not own it, and Application.ReadWrite.OwnedBy writes only what the
// caller owns. Other errors pass unchanged.
func deniedHint(err error, what string) error {
	if status(err) != http.StatusForbidden {
		return err
	}
	return fmt.Errorf("%w (if appreg's identity has Application.ReadWrite.OwnedBy, it may change only the applications and service principals it owns, and it does not own the %s: add appreg's service principal as an owner, or grant Application.ReadWrite.All)", err, what)
}
