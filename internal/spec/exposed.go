package spec

import (
	"fmt"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
)

// api decodes what the application exposes: its scopes and pre-authorized
// clients.
func (rd *regDecoder) api(o *object) {
	a := o.object("api")
	if a == nil {
		return
	}
	out := &appreg.API{}
	if v, n := a.integer("accessTokenVersion"); v != nil {
		switch {
		case *v != 1 && *v != 2:
			rd.report(n, fmt.Sprintf("api.accessTokenVersion %d is not valid", *v), "write 1 or 2 (2 is recommended)")
		case *v == 1 && rd.personal():
			rd.report(n, "api.accessTokenVersion 1 is not allowed for an audience with personal Microsoft accounts",
				"write accessTokenVersion: 2, which such audiences require")
		default:
			out.AccessTokenVersion = v
		}
	}
	if items := a.objects("scopes"); items != nil {
		out.Scopes = []appreg.Scope{}
		dups := seen{}
		for _, it := range items {
			value, n, ok := it.required("value", "access_as_user")
			if !ok {
				continue
			}
			if problem := permissionValueProblem(value); problem != "" {
				rd.report(n, fmt.Sprintf("scope value %q is not valid: %s", value, problem),
					"use a name such as access_as_user or Orders.Read")
				continue
			}
			if !rd.first(dups, value, n, fmt.Sprintf("scope %q", value)) {
				continue
			}
			consent := appreg.ConsentAdmin
			if c, _, ok := it.enum("consent"); ok {
				consent = c
			}
			out.Scopes = append(out.Scopes, appreg.Scope{
				Value:                   value,
				Consent:                 consent,
				AdminConsentDisplayName: deref(it.optStr("adminConsentDisplayName")),
				AdminConsentDescription: deref(it.optStr("adminConsentDescription")),
				UserConsentDisplayName:  deref(it.optStr("userConsentDisplayName")),
				UserConsentDescription:  deref(it.optStr("userConsentDescription")),
				Source:                  rd.pos(it.node),
			})
		}
	}
	rd.r.API = out
	rd.authorizedClients(a)
}

// personal reports whether the registration's audience includes personal
// Microsoft accounts.
func (rd *regDecoder) personal() bool {
	a := rd.r.Audience
	if a == nil {
		a = rd.s.Defaults.Audience
	}
	return a != nil && (*a == appreg.AudienceMultipleOrgsAndPersonal || *a == appreg.AudiencePersonalMicrosoftAccount)
}

// authorizedClients decodes the pre-authorized clients; their scopes must
// be this registration's own.
func (rd *regDecoder) authorizedClients(a *object) {
	items := a.objects("authorizedClients")
	if items == nil {
		return
	}
	own := map[string]bool{}
	var ownList []string
	for _, s := range rd.r.API.Scopes {
		own[s.Value] = true
		ownList = append(ownList, s.Value)
	}
	rd.r.API.AuthorizedClients = []appreg.AuthorizedClient{}
	dups := seen{}
	for _, it := range items {
		client, n, ok := it.required("client", "azure-cli")
		if !ok {
			continue
		}
		ac := appreg.AuthorizedClient{Client: client, Source: rd.pos(it.node)}
		ref := clientRef{client: n}
		switch id, kind := resolveApp(client); kind {
		case appAlias, appGUID:
			ac.AppID = id
		case appLocal:
			ref.local = true
		default:
			rd.report(n, fmt.Sprintf("authorized client %q is not a well-known alias, an application id or a registration name", client),
				unknownAppDetail(client, nil))
			continue
		}
		if !rd.first(dups, appKey(ac.AppID, client), n, fmt.Sprintf("authorized client %q", client)) {
			continue
		}
		scopes, nodes := it.strings("scopes")
		if len(scopes) == 0 {
			rd.report(it.at("scopes"), fmt.Sprintf("authorized client %q has no scopes", client),
				"list the scopes of this API the client may use without consent, e.g. scopes: [access_as_user]")
		}
		ac.Scopes = []string{}
		sdups := seen{}
		for i, s := range scopes {
			if !own[s] {
				detail := "this registration declares no scopes; add them under api.scopes"
				if len(ownList) > 0 {
					detail = "use one of this registration's scopes: " + strings.Join(ownList, ", ")
					if sg := suggest(s, ownList); sg != "" {
						detail = fmt.Sprintf("did you mean %q? Use one of this registration's scopes: %s", sg, strings.Join(ownList, ", "))
					}
				}
				rd.report(nodes[i], fmt.Sprintf("authorized client scope %q is not a scope of this registration", s), detail)
				continue
			}
			if rd.first(sdups, s, nodes[i], fmt.Sprintf("scope %q of authorized client %q", s, client)) {
				ac.Scopes = append(ac.Scopes, s)
			}
		}
		rd.r.API.AuthorizedClients = append(rd.r.API.AuthorizedClients, ac)
		rd.p.clients = append(rd.p.clients, ref)
	}
}

// appRoles decodes the roles the application defines.
func (rd *regDecoder) appRoles(o *object) {
	items := o.objects("appRoles")
	if items == nil {
		return
	}
	out := []appreg.AppRole{}
	dups := seen{}
	for _, it := range items {
		value, n, ok := it.required("value", "Orders.Read")
		if !ok {
			continue
		}
		if problem := permissionValueProblem(value); problem != "" {
			rd.report(n, fmt.Sprintf("app role value %q is not valid: %s", value, problem),
				"use a name such as Orders.Read")
			continue
		}
		if !rd.first(dups, value, n, fmt.Sprintf("app role %q", value)) {
			continue
		}
		role := appreg.AppRole{
			Value:       value,
			DisplayName: deref(it.optStr("displayName")),
			Description: deref(it.optStr("description")),
			Source:      rd.pos(it.node),
		}
		types, nodes := it.strings("allowedMemberTypes")
		if !it.has("allowedMemberTypes") || types != nil && len(types) == 0 && rd.cleanList(it, "allowedMemberTypes") {
			rd.report(it.at("allowedMemberTypes"), fmt.Sprintf("app role %q has no allowedMemberTypes", value),
				"write allowedMemberTypes: [Application] for a role apps get, [User] for one users and groups get, or both")
		}
		role.AllowedMemberTypes = []string{}
		mdups := seen{}
		for i, t := range types {
			if rd.first(mdups, t, nodes[i], fmt.Sprintf("member type %q of app role %q", t, value)) {
				role.AllowedMemberTypes = append(role.AllowedMemberTypes, t)
			}
		}
		out = append(out, role)
	}
	rd.r.AppRoles = out
}

// cleanList reports whether key's value is null or an empty list, as
// opposed to a list whose items were all invalid (and already reported).
func (rd *regDecoder) cleanList(o *object, key string) bool {
	n := o.field(key, kStringList)
	return n != nil && (isNull(n) || len(n.Content) == 0)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
