// Package catalog embeds public Microsoft data appreg needs offline: the
// Microsoft Graph permission catalog (every delegated scope and application
// role with its id) and the table of first-party application ids. The loader
// checks permission names against it, the emulator seeds its Microsoft Graph
// service principal from it, and renderers name first-party apps with it.
package catalog

import (
	_ "embed"
	"encoding/json"
	"sort"
	"strings"
	"sync"
)

//go:embed data/msgraph-permissions.json
var graphPermissionsJSON []byte

//go:embed data/first-party-apps.json
var firstPartyJSON []byte

// Kind says whether a permission is delegated (a scope) or an application
// permission (an app role).
type Kind string

const (
	Delegated   Kind = "delegated"
	Application Kind = "application"
)

// Permission is one entry of a resource API's permission catalog.
type Permission struct {
	ID                      string `json:"id"`
	Value                   string `json:"value"`
	Kind                    Kind   `json:"-"`
	AdminConsentDisplayName string `json:"adminConsentDisplayName"`
	AdminConsentDescription string `json:"adminConsentDescription"`
	UserConsentDisplayName  string `json:"consentDisplayName"`
	UserConsentDescription  string `json:"consentDescription"`
	AdminConsentRequired    bool   `json:"isAdmin"`
	Enabled                 bool   `json:"isEnabled"`
}

// Catalog is the permissions one resource API offers, by name.
type Catalog struct {
	Delegated   []Permission // sorted by Value
	Application []Permission // sorted by Value

	delegated   map[string]Permission
	application map[string]Permission
}

// New builds a catalog from lists of delegated and application permissions.
func New(delegated, application []Permission) *Catalog {
	c := &Catalog{
		delegated:   make(map[string]Permission, len(delegated)),
		application: make(map[string]Permission, len(application)),
	}
	for _, p := range delegated {
		p.Kind = Delegated
		c.Delegated = append(c.Delegated, p)
		c.delegated[p.Value] = p
	}
	for _, p := range application {
		p.Kind = Application
		c.Application = append(c.Application, p)
		c.application[p.Value] = p
	}
	sort.Slice(c.Delegated, func(i, j int) bool { return c.Delegated[i].Value < c.Delegated[j].Value })
	sort.Slice(c.Application, func(i, j int) bool { return c.Application[i].Value < c.Application[j].Value })
	return c
}

// Lookup returns the permission of the given kind and exact name. A nil
// catalog has no permissions.
func (c *Catalog) Lookup(kind Kind, value string) (Permission, bool) {
	if c == nil {
		return Permission{}, false
	}
	if kind == Delegated {
		p, ok := c.delegated[value]
		return p, ok
	}
	p, ok := c.application[value]
	return p, ok
}

// ByID returns the permission of the given kind with the given id.
func (c *Catalog) ByID(kind Kind, id string) (Permission, bool) {
	if c == nil {
		return Permission{}, false
	}
	list := c.Application
	if kind == Delegated {
		list = c.Delegated
	}
	for _, p := range list {
		if strings.EqualFold(p.ID, id) {
			return p, true
		}
	}
	return Permission{}, false
}

// Suggest returns the permission name of the given kind nearest to value
// (case-insensitive edit distance), or "" when nothing is reasonably close.
func (c *Catalog) Suggest(kind Kind, value string) string {
	if c == nil {
		return ""
	}
	list := c.Application
	if kind == Delegated {
		list = c.Delegated
	}
	names := make([]string, len(list))
	for i, p := range list {
		names[i] = p.Value
	}
	return Nearest(value, names)
}

// Nearest returns the candidate nearest to value (case-insensitive edit
// distance), or "" when none is reasonably close; a candidate equal to value
// but for case always wins. It is appreg's one "did you mean".
func Nearest(value string, candidates []string) string {
	best, bestDist := "", len(value)/3+2
	lower := strings.ToLower(value)
	for _, c := range candidates {
		if strings.EqualFold(c, value) {
			return c
		}
		if d := distance(lower, strings.ToLower(c), bestDist); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance of a and b, or limit when it is at
// least limit (the computation stops early).
func distance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}

var graph = sync.OnceValue(func() *Catalog {
	var raw struct {
		Delegated   []Permission `json:"delegatedScopesList"`
		Application []Permission `json:"applicationScopesList"`
	}
	if err := json.Unmarshal(graphPermissionsJSON, &raw); err != nil {
		panic("catalog: embedded msgraph-permissions.json: " + err.Error())
	}
	return New(raw.Delegated, raw.Application)
})

// Graph returns the Microsoft Graph permission catalog. The result is shared:
// callers must not modify it.
func Graph() *Catalog { return graph() }

// FirstPartyApp is a Microsoft first-party application.
type FirstPartyApp struct {
	AppID       string `json:"AppId"`
	DisplayName string `json:"AppDisplayName"`
}

var firstParty = sync.OnceValue(func() map[string]string {
	var apps []FirstPartyApp
	if err := json.Unmarshal(firstPartyJSON, &apps); err != nil {
		panic("catalog: embedded first-party-apps.json: " + err.Error())
	}
	m := make(map[string]string, len(apps))
	for _, a := range apps {
		m[strings.ToLower(a.AppID)] = a.DisplayName
	}
	return m
})

// FirstPartyName returns the display name of a Microsoft first-party
// application id, or "" when the id is not one.
func FirstPartyName(appID string) string { return firstParty()[strings.ToLower(appID)] }
