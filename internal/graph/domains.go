package graph

import (
	"context"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/domains"
)

// VerifiedDomains lists the tenant's verified domains (GET /domains, which
// needs Domain.Read.All: https://learn.microsoft.com/graph/api/domain-list),
// in lower case. Identifier URIs on other hosts are refused by Graph, so
// callers check them before any write.
func (c *Client) VerifiedDomains(ctx context.Context) ([]string, error) {
	resp, err := c.sdk.Domains().Get(ctx, &domains.DomainsRequestBuilderGetRequestConfiguration{
		QueryParameters: &domains.DomainsRequestBuilderGetQueryParameters{Select: []string{"id", "isVerified"}},
	})
	if err != nil {
		return nil, wrap(err, "listing the tenant's domains")
	}
	var out []string
	for _, d := range resp.GetValue() {
		if v := d.GetIsVerified(); v != nil && *v && d.GetId() != nil {
			out = append(out, strings.ToLower(*d.GetId()))
		}
	}
	return out, nil
}

// IsForbidden reports whether err is Graph refusing a request for want of
// permission (403), such as VerifiedDomains without Domain.Read.All.
func IsForbidden(err error) bool { return status(err) == 403 }
