package graph

import (
	"context"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/appreg/appreg/internal/appreg"
)

// deferPreAuthorization takes out of body's pre-authorized applications
// the permission ids of scopes the application does not have yet (have's
// scopes), for a second write, and returns the complete api to write then
// (nil when nothing had to wait). Graph checks pre-authorized ids against
// the scopes stored before the write (InvalidValue "…has a Permission Id
// that cannot be found in the AppPermissions sets").
func deferPreAuthorization(body models.Applicationable, have *appreg.Registration) models.ApiApplicationable {
	api := body.GetApi()
	if api == nil {
		return nil
	}
	existing := map[string]bool{}
	if have != nil && have.API != nil {
		for _, s := range have.API.Scopes {
			existing[strings.ToLower(s.ID)] = true
		}
	}
	var first []models.PreAuthorizedApplicationable
	deferred := false
	for _, p := range api.GetPreAuthorizedApplications() {
		var ids []string
		for _, id := range p.GetDelegatedPermissionIds() {
			if existing[strings.ToLower(id)] {
				ids = append(ids, id)
			} else {
				deferred = true
			}
		}
		if len(ids) > 0 {
			q := models.NewPreAuthorizedApplication()
			q.SetAppId(p.GetAppId())
			q.SetDelegatedPermissionIds(ids)
			first = append(first, q)
		}
	}
	if !deferred {
		return nil
	}
	full := models.NewApiApplication()
	full.SetRequestedAccessTokenVersion(api.GetRequestedAccessTokenVersion())
	full.SetOauth2PermissionScopes(api.GetOauth2PermissionScopes())
	full.SetPreAuthorizedApplications(api.GetPreAuthorizedApplications())
	api.SetPreAuthorizedApplications(append([]models.PreAuthorizedApplicationable{}, first...))
	return full
}

// preAuthorize writes the api deferred by deferPreAuthorization, if any.
func (c *Client) preAuthorize(ctx context.Context, objectID, name string, api models.ApiApplicationable) error {
	if api == nil {
		return nil
	}
	patch := models.NewApplication()
	patch.SetApi(api)
	return c.retryLag(ctx, "pre-authorizing clients of "+name, func() error {
		_, err := c.sdk.Applications().ByApplicationId(objectID).Patch(ctx, patch, nil)
		return wrap(err, "pre-authorizing clients of %q (after writing its scopes)", name)
	})
}
