package spec

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/catalog"
)

// appKind says how a reference to an application (`api:` or `client:`)
// resolves.
type appKind int

const (
	appUnknown appKind = iota // none of the forms below
	appAlias                  // a key of appreg.KnownAPIs
	appGUID                   // an application id
	appLocal                  // the name of a registration in the repository
)

// resolveApp classifies an application reference and returns its
// application id when it is known without the other files.
func resolveApp(ref string) (string, appKind) {
	if id, ok := appreg.KnownAPIs[ref]; ok {
		return id, appAlias
	}
	if appreg.IsGUID(ref) {
		return strings.ToLower(ref), appGUID
	}
	if validName(ref) {
		return "", appLocal
	}
	return "", appUnknown
}

// appKey identifies the application a reference points at, so that an
// alias and its application id count as the same.
func appKey(appID, ref string) string {
	if appID != "" {
		return appID
	}
	return "registration:" + ref
}

// aliases is the sorted list of well-known aliases.
var aliases = func() []string {
	out := make([]string, 0, len(appreg.KnownAPIs))
	for a := range appreg.KnownAPIs {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}()

// unknownAppDetail says what to write instead of an unknown application
// reference, suggesting the nearest alias or registration name.
func unknownAppDetail(ref string, names []string) string {
	const forms = "use a well-known alias (such as microsoft-graph or azure-cli), an application id, or the name of a registration in this repository"
	if s := suggest(ref, append(slices.Clone(aliases), names...)); s != "" {
		return fmt.Sprintf("did you mean %q? Otherwise %s", s, forms)
	}
	return forms
}

// permissions decodes requiredResourceAccess and checks Microsoft Graph
// permission names against the embedded catalog.
func (rd *regDecoder) permissions(o *object) {
	items := o.objects("permissions")
	if items == nil {
		return
	}
	out := []appreg.Permission{}
	apis := seen{}
	total := 0
	for _, it := range items {
		api, n, ok := it.required("api", "microsoft-graph")
		if !ok {
			continue
		}
		p := appreg.Permission{API: api, Source: rd.pos(it.node)}
		ref := permRef{api: n}
		switch id, kind := resolveApp(api); kind {
		case appAlias, appGUID:
			p.ResourceAppID = id
		case appLocal:
			ref.local = true
		default:
			rd.report(n, fmt.Sprintf("api %q is not a well-known alias, an application id or a registration name", api),
				unknownAppDetail(api, nil))
			continue
		}
		key := appKey(p.ResourceAppID, api)
		if prev, dup := apis[key]; dup {
			rd.report(n, fmt.Sprintf("permissions for %q are listed twice", api),
				fmt.Sprintf("merge this entry into the one on line %d", prev.Line))
			continue
		}
		apis[key] = n
		p.Delegated, ref.delegated = rd.permissionNames(it, "delegated", p.ResourceAppID, catalog.Delegated)
		p.Application, ref.application = rd.permissionNames(it, "application", p.ResourceAppID, catalog.Application)
		p.AdminConsent = it.boolean("adminConsent")
		if !it.has("delegated") && !it.has("application") {
			rd.report(n, fmt.Sprintf("the permissions entry for %q requests no permissions", api),
				"list permission names under delegated: or application:, or remove the entry")
		}
		total += len(p.Delegated) + len(p.Application)
		out = append(out, p)
		rd.p.perms = append(rd.p.perms, ref)
	}
	if len(out) > maxPermissionAPIs {
		rd.report(o.at("permissions"), fmt.Sprintf("permissions name %d APIs, more than Microsoft Graph's limit of %d", len(out), maxPermissionAPIs),
			"remove the APIs this application does not call")
	}
	if total > maxPermissions {
		rd.report(o.at("permissions"), fmt.Sprintf("permissions request %d permissions, more than Microsoft Graph's limit of %d", total, maxPermissions),
			"remove the permissions this application does not need")
	}
	rd.r.Permissions = out
}

// permissionNames decodes one list of permission names of the given kind.
// Names that are invalid are reported and left out.
func (rd *regDecoder) permissionNames(it *object, key, resource string, kind catalog.Kind) ([]string, []*yaml.Node) {
	list, nodes := it.strings(key)
	if list == nil {
		return nil, nil
	}
	outList, outNodes := []string{}, []*yaml.Node{}
	dups := seen{}
	for i, name := range list {
		n := nodes[i]
		if name == "" || hasSpace(name) {
			rd.report(n, fmt.Sprintf("permission name %q in %s is not valid", name, key),
				"write one permission name per item, e.g. User.Read, without spaces")
			continue
		}
		if !rd.first(dups, name, n, fmt.Sprintf("%s permission %q", key, name)) {
			continue
		}
		if resource == appreg.MicrosoftGraphAppID && !rd.graphPermission(n, kind, name) {
			continue
		}
		outList, outNodes = append(outList, name), append(outNodes, n)
	}
	return outList, outNodes
}

// graphPermission checks a Microsoft Graph permission name against the
// embedded catalog, naming the right list when the name exists only as the
// other kind and suggesting the nearest name for a typo.
func (rd *regDecoder) graphPermission(n *yaml.Node, kind catalog.Kind, name string) bool {
	c := catalog.Graph()
	if _, ok := c.Lookup(kind, name); ok {
		return true
	}
	other := catalog.Application
	if kind == catalog.Application {
		other = catalog.Delegated
	}
	if _, ok := c.Lookup(other, name); ok {
		detail := fmt.Sprintf("move it to %s:", other)
		// User.Read (delegated) has the tenant-wide User.Read.All as its
		// application counterpart; suggest it when it exists.
		if _, ok := c.Lookup(kind, name+".All"); ok {
			detail += fmt.Sprintf(", or request the %s permission %q instead", kind, name+".All")
		}
		rd.report(n, fmt.Sprintf("%s is %s permission of Microsoft Graph, not %s permission", name, article(other), article(kind)), detail)
		return false
	}
	detail := "check the name in Microsoft Graph's permissions reference (https://learn.microsoft.com/graph/permissions-reference)"
	if s := c.Suggest(kind, name); s != "" {
		detail = fmt.Sprintf("did you mean %q? Permission names are case-sensitive", s)
	}
	rd.report(n, fmt.Sprintf("%s is not %s permission of Microsoft Graph", name, article(kind)), detail)
	return false
}

func article(k catalog.Kind) string {
	if k == catalog.Application {
		return "an application"
	}
	return "a delegated"
}
