package emulator

import (
	"sort"
	"strings"
)

// domainTemplate is a domain as GET /domains returns it (the resource's
// properties: https://learn.microsoft.com/graph/api/resources/domain). The
// emulator's domains are the tenant's initial *.onmicrosoft.com domain and
// the domains of seeded users' UPNs, all verified and managed.
func domainTemplate() map[string]any {
	return map[string]any{
		"authenticationType":               "Managed",
		"availabilityStatus":               nil,
		"id":                               "",
		"isAdminManaged":                   true,
		"isDefault":                        false,
		"isInitial":                        false,
		"isRoot":                           true,
		"isVerified":                       true,
		"manufacturer":                     nil,
		"model":                            nil,
		"passwordNotificationWindowInDays": 14,
		"passwordValidityPeriodInDays":     2147483647,
		"state":                            nil,
		"supportedServices":                []any{},
	}
}

var domainProps = keysOf(domainTemplate())

// domainRead are the application permissions GET /domains accepts
// (https://learn.microsoft.com/graph/api/domain-list, "Permissions": least
// privileged Domain.Read.All; higher Directory.Read.All,
// Domain.ReadWrite.All, Directory.ReadWrite.All).
var domainRead = []string{"Domain.Read.All", "Domain.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}

// listDomains serves GET /domains, 403 Authorization_RequestDenied without
// one of domainRead.
func (s *Server) listDomains(r *request) *response {
	if !r.caller.has(domainRead...) {
		return s.fail(r, errDenied())
	}
	q, resp := s.parseList(r, "domain", domainProps, false)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.t.verifiedHosts))
	for d := range s.t.verifiedHosts {
		names = append(names, d)
	}
	sort.Strings(names)
	all := make([]entry, 0, len(names))
	for i, d := range names {
		props := domainTemplate()
		props["id"] = d
		initial := strings.EqualFold(d, s.defaultDomain())
		props["isInitial"], props["isDefault"] = initial, initial
		props["isRoot"] = rootOf(names, d) == d
		all = append(all, entry{seq: int64(i), props: props})
	}
	return s.page(r, q, "domains", all)
}

// rootOf returns the shortest listed domain that d is, or is a subdomain of.
func rootOf(names []string, d string) string {
	root := d
	for _, n := range names {
		if strings.HasSuffix(d, "."+n) && len(n) < len(root) {
			root = n
		}
	}
	return root
}
