package emulator

import (
	"strings"
)

// tenant is the directory: every object in Graph's JSON form plus the
// bookkeeping Graph keeps out of sight (secret hashes, lag, sequence). All
// access holds Server.mu.
type tenant struct {
	seq int64

	apps          map[string]*application // by object id
	appsByAppID   map[string]*application // lower-case appId
	appsByUnique  map[string]*application // lower-case uniqueName
	sps           map[string]*servicePrincipal
	spsByAppID    map[string]*servicePrincipal
	users         map[string]*user
	usersByUPN    map[string]*user
	assignments   map[string]*object // appRoleAssignments by id
	grants        map[string]*object // oauth2PermissionGrants by id
	deleted       map[string]*deletedItem
	verifiedHosts map[string]bool // domains identifierUris may use

	groups map[string]*group // by lower-case object id; see groupsByID
	arm    *armState         // Azure Resource Manager; see armTenant
}

// object is a directory object or relationship in Graph's JSON form.
type object struct {
	seq   int64
	props map[string]any
	beta  map[string]any // beta-only properties written through /beta (beta.go)
	vis   visibility
}

func (o *object) id() string { s, _ := o.props["id"].(string); return s }

// application is an application object with its secrets, owners and
// federated credentials.
type application struct {
	object
	secrets map[string]*secret // by keyId
	owners  []string           // directory object ids, in the order added
	fics    []*object

	// enabledBefore are the properties before a write that disabled scopes
	// or app roles, in force until that write has replicated (disableVis).
	enabledBefore map[string]any
	disableVis    visibility
	// msaVis is the lag of the Microsoft account side of an application
	// created with a personal-account audience.
	msaVis visibility
}

// secret is a password credential's value, kept only as a hash.
type secret struct {
	hash [32]byte
	vis  visibility
}

// servicePrincipal is a service principal object with its owners.
type servicePrincipal struct {
	object
	owners []string // directory object ids, in the order added
}

type user struct{ object }

// deletedItem is a soft-deleted application or service principal.
type deletedItem struct {
	kind string // "application" or "servicePrincipal"
	app  *application
	sp   *servicePrincipal
}

func newTenant() *tenant {
	return &tenant{
		apps:          map[string]*application{},
		appsByAppID:   map[string]*application{},
		appsByUnique:  map[string]*application{},
		sps:           map[string]*servicePrincipal{},
		spsByAppID:    map[string]*servicePrincipal{},
		users:         map[string]*user{},
		usersByUPN:    map[string]*user{},
		assignments:   map[string]*object{},
		grants:        map[string]*object{},
		deleted:       map[string]*deletedItem{},
		verifiedHosts: map[string]bool{},
	}
}

func (t *tenant) nextSeq() int64 { t.seq++; return t.seq }

// appKey says how a request names an application.
type appKey struct{ prop, value string } // prop: id, appId or uniqueName

func (k appKey) String() string {
	if k.prop == "id" {
		return k.value
	}
	return k.prop + "='" + k.value + "'"
}

// app finds an application by key, ignoring lag.
func (t *tenant) app(k appKey) *application {
	switch k.prop {
	case "appId":
		return t.appsByAppID[strings.ToLower(k.value)]
	case "uniqueName":
		return t.appsByUnique[strings.ToLower(k.value)]
	default:
		return t.apps[strings.ToLower(k.value)]
	}
}

// appByAnyKey finds an application by object id, appId or uniqueName.
func (t *tenant) appByAnyKey(key string) *application {
	for _, prop := range []string{"id", "appId", "uniqueName"} {
		if a := t.app(appKey{prop, key}); a != nil {
			return a
		}
	}
	return nil
}

func (t *tenant) addApp(a *application) {
	t.apps[strings.ToLower(a.id())] = a
	t.appsByAppID[strings.ToLower(str(a.props["appId"]))] = a
	if u := str(a.props["uniqueName"]); u != "" {
		t.appsByUnique[strings.ToLower(u)] = a
	}
}

func (t *tenant) removeApp(a *application) {
	delete(t.apps, strings.ToLower(a.id()))
	delete(t.appsByAppID, strings.ToLower(str(a.props["appId"])))
	if u := str(a.props["uniqueName"]); u != "" {
		delete(t.appsByUnique, strings.ToLower(u))
	}
}

// sp finds a service principal by object id or, with byAppID, by appId.
func (t *tenant) sp(key string, byAppID bool) *servicePrincipal {
	if byAppID {
		return t.spsByAppID[strings.ToLower(key)]
	}
	return t.sps[strings.ToLower(key)]
}

func (t *tenant) addSP(sp *servicePrincipal) {
	t.sps[strings.ToLower(sp.id())] = sp
	t.spsByAppID[strings.ToLower(str(sp.props["appId"]))] = sp
}

func (t *tenant) removeSP(sp *servicePrincipal) {
	delete(t.sps, strings.ToLower(sp.id()))
	delete(t.spsByAppID, strings.ToLower(str(sp.props["appId"])))
}

func (t *tenant) addUser(u *user) {
	t.users[strings.ToLower(u.id())] = u
	t.usersByUPN[strings.ToLower(str(u.props["userPrincipalName"]))] = u
}

// user finds a user by object id or user principal name.
func (t *tenant) user(key string) *user {
	if u := t.users[strings.ToLower(key)]; u != nil {
		return u
	}
	return t.usersByUPN[strings.ToLower(key)]
}

// directoryObject finds a user or service principal by object id, with its
// OData type name.
func (t *tenant) directoryObject(id string) (*object, string) {
	if u := t.users[strings.ToLower(id)]; u != nil {
		return &u.object, "user"
	}
	if sp := t.sps[strings.ToLower(id)]; sp != nil {
		return &sp.object, "servicePrincipal"
	}
	if a := t.apps[strings.ToLower(id)]; a != nil {
		return &a.object, "application"
	}
	if g := t.groups[strings.ToLower(id)]; g != nil {
		return &g.object, "group"
	}
	return nil, ""
}

func str(v any) string { s, _ := v.(string); return s }

// strings returns the string items of a JSON array.
func stringsOf(v any) []string {
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, it := range items {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
