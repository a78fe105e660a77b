package tfimport

import (
	"encoding/json"
	"slices"
	"strings"
)

// link assigns every instance to the application it belongs to: an
// application by its client id, a service principal by its client id, and
// the rest through the application or service principal object id they
// name.
func link(instances []raw) *Result {
	appByObject := map[string]string{} // application object id -> client id
	spByObject := map[string]string{}  // service principal object id -> client id
	apps := map[string]bool{}          // client ids of applications in the state
	for _, in := range instances {
		switch in.typ {
		case "azuread_application", "azuread_application_registration":
			// client_id since azuread 2.47, application_id before.
			if id := lower(first(str(in.attrs, "client_id"), str(in.attrs, "application_id"))); id != "" {
				apps[id] = true
				appByObject[objectID(in.attrs)] = id
			}
		}
	}
	for _, in := range instances {
		if in.typ == "azuread_service_principal" {
			if id := lower(first(str(in.attrs, "client_id"), str(in.attrs, "application_id"))); apps[id] {
				spByObject[objectID(in.attrs)] = id
			}
		}
	}
	res := &Result{ClientIDs: []string{}}
	for id := range apps {
		res.ClientIDs = append(res.ClientIDs, id)
	}
	slices.Sort(res.ClientIDs)
	for _, in := range instances {
		inst := Instance{Address: in.address, Resource: in.resource, Type: in.typ}
		switch in.typ {
		case "azuread_application", "azuread_application_registration":
			inst.ClientID = appByObject[objectID(in.attrs)]
		case "azuread_service_principal":
			inst.ClientID = spByObject[objectID(in.attrs)]
		case "azuread_app_role_assignment":
			// The principal's assignment (consent to an application
			// permission, or access to another app) belongs to the
			// principal; one granting access to our app belongs to it.
			inst.ClientID = first(spByObject[lower(str(in.attrs, "principal_object_id"))], spByObject[lower(str(in.attrs, "resource_object_id"))])
		default:
			// application_object_id in azuread 2.x, application_id (a
			// resource id, /applications/{object id}) since.
			obj := first(str(in.attrs, "application_object_id"), str(in.attrs, "application_id"))
			inst.ClientID = appByObject[trimResource(obj)]
		}
		res.Instances = append(res.Instances, inst)
		if inst.ClientID == "" {
			res.Unowned = append(res.Unowned, inst)
		}
	}
	return res
}

// str returns a string attribute, or "" when absent or not a string.
func str(attrs map[string]json.RawMessage, key string) string {
	var s string
	if json.Unmarshal(attrs[key], &s) != nil {
		return ""
	}
	return s
}

// objectID is an application's or service principal's object id: its
// object_id attribute, or its id without the /applications/ or
// /servicePrincipals/ prefix of azuread 3.x.
func objectID(attrs map[string]json.RawMessage) string {
	return lower(trimResource(first(str(attrs, "object_id"), str(attrs, "id"))))
}

// trimResource turns "/applications/{id}" or "/servicePrincipals/{id}" into
// "{id}", lower-cased.
func trimResource(id string) string {
	for _, p := range []string{"/applications/", "/servicePrincipals/"} {
		if rest, ok := strings.CutPrefix(id, p); ok {
			id = rest
		}
	}
	return lower(id)
}

func first(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

func lower(s string) string { return strings.ToLower(s) }
