package spec

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
)

// Graph's documented limits (reference/apis.md §1).
const (
	maxDisplayName    = 256
	maxDescription    = 1024
	maxTagLength      = 256
	maxIdentifierURI  = 255
	maxRedirectURI    = 256
	maxRedirectURIs   = 256
	maxRedirectMSA    = 100 // personal-account audiences
	maxPermissionAPIs = 50
	maxPermissions    = 400
)

// ParseRegistration decodes and validates one registration file on its own,
// without the checks that need the other files (name uniqueness and
// references to other registrations). s supplies defaults and policy; nil
// means an empty appreg.yaml. The registration is nil only when the file
// could not be read as a mapping at all.
func ParseRegistration(file string, data []byte, s *appreg.Settings) (*appreg.Registration, diag.Diagnostics) {
	p, diags := parseRegistration(file, data, s)
	diags.Sort()
	if p == nil {
		return nil, diags
	}
	return p.reg, diags
}

// parsed is a decoded registration together with the nodes that the
// cross-file checks report at.
type parsed struct {
	file    string
	reg     *appreg.Registration
	name    *yaml.Node
	perms   []permRef   // parallel to reg.Permissions
	clients []clientRef // parallel to reg.API.AuthorizedClients
	targets []targetRef // every secret delivery target
}

// permRef holds the nodes of one permissions entry. local is set when api
// names another registration.
type permRef struct {
	api                    *yaml.Node
	local                  bool
	delegated, application []*yaml.Node
}

// clientRef holds the node of one authorized client.
type clientRef struct {
	client *yaml.Node
	local  bool
}

// targetRef is one GitHub secret a client secret is delivered to.
type targetRef struct {
	key  string // case-insensitive identity of the GitHub secret
	desc string
	node *yaml.Node
}

// regDecoder decodes one registration file.
type regDecoder struct {
	*decoder
	s *appreg.Settings
	p *parsed
	r *appreg.Registration

	targets seen // delivery targets of all secrets, which must differ
}

func parseRegistration(file string, data []byte, s *appreg.Settings) (*parsed, diag.Diagnostics) {
	if s == nil {
		def := defaultSettings()
		s = &def
	}
	d := &decoder{file: file, shape: registrationShape, enums: registrationEnums}
	root := d.parse(data)
	if root == nil {
		return nil, d.diags
	}
	o := d.object(root, "", "")
	r := &appreg.Registration{Source: d.pos(root)}
	rd := &regDecoder{decoder: d, s: s, r: r, p: &parsed{file: file, reg: r}}
	rd.decode(o)
	rd.applyDefaults()
	return rd.p, d.diags
}

// decode fills the registration from the root object, validating as it
// goes.
func (rd *regDecoder) decode(o *object) {
	r := rd.r
	rd.apiVersion(o)
	if name, n, ok := o.required("name", "payments-api"); ok {
		r.Source = rd.pos(n)
		rd.p.name = n
		if !validName(name) {
			rd.report(n, fmt.Sprintf("name %q is not a valid registration name", name),
				"use 3 to 64 lowercase letters, digits and hyphens, e.g. payments-api")
		} else {
			base := path.Base(rd.file)
			stem := strings.TrimSuffix(strings.TrimSuffix(base, ".yaml"), ".yml")
			if stem != name {
				rd.report(n, fmt.Sprintf("name %q does not match the file name %q", name, base),
					fmt.Sprintf("rename the file to %s.yaml, or set name: %s", name, stem))
			}
		}
		r.Name = name
		r.UniqueName = rd.s.NamePrefix + name
	}
	if dn, n, ok := o.required("displayName", "Payments API"); ok {
		r.DisplayName = dn
		rd.maxLen(n, "displayName", dn, maxDisplayName)
	}
	if a := o.object("adopt"); a != nil {
		if id, n, ok := a.required("appId", "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20"); ok {
			if !appreg.IsGUID(id) {
				rd.report(n, fmt.Sprintf("adopt.appId %q is not an application id", id),
					"copy the existing application's Application (client) ID, a GUID like 6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20")
			}
			r.Adopt = &appreg.Adopt{AppID: strings.ToLower(id)}
		}
	}
	r.Description = o.optStr("description")
	if r.Description != nil {
		rd.maxLen(o.at("description"), "description", *r.Description, maxDescription)
	}
	r.Notes = o.optStr("notes")
	r.ServiceManagementReference = o.optStr("serviceManagementReference")
	if a, _, ok := o.enum("audience"); ok {
		r.Audience = &a
	}
	if list, nodes := o.strings("owners"); list != nil {
		r.Owners = rd.owners(list, nodes, "owners")
	}
	if list, nodes := o.strings("tags"); list != nil {
		r.Tags = list
		rd.tags(list, nodes, "tags", true)
	}
	rd.identifierURIs(o)
	rd.platforms(o)
	rd.api(o)
	rd.appRoles(o)
	rd.permissions(o)
	rd.optionalClaims(o)
	if g, _, ok := o.enum("groupMembershipClaims"); ok {
		r.GroupMembershipClaims = &g
	}
	rd.info(o)
	r.InstanceLock = o.boolean("instanceLock")
	rd.servicePrincipal(o)
	rd.credentials(o)
	if a := o.object("advice"); a != nil {
		r.Advice = &appreg.AdviceSettings{Source: rd.pos(o.keyNode("advice"))}
		r.Advice.Ignore = rd.adviceIDs(a, "advice.ignore")
	}
}

// apiVersion checks that the file declares the supported format version.
func (rd *regDecoder) apiVersion(o *object) {
	v, n, ok := o.str("apiVersion")
	switch {
	case n == nil:
		rd.report(o.node, "apiVersion is required", "add apiVersion: "+APIVersion+" as the first key")
	case ok && v != APIVersion:
		rd.report(n, fmt.Sprintf("apiVersion %q is not supported", v), "write apiVersion: "+APIVersion)
	}
}

// maxLen reports s when it has more than limit characters.
func (d *decoder) maxLen(n *yaml.Node, name, s string, limit int) bool {
	if l := utf8.RuneCountInString(s); l > limit {
		d.report(n, fmt.Sprintf("%s is %d characters long, more than Microsoft Graph's limit of %d", name, l, limit),
			fmt.Sprintf("shorten it to at most %d characters", limit))
		return false
	}
	return true
}

// seen tracks values already listed, to report duplicates.
type seen map[string]*yaml.Node

// first records key and reports whether it is new; a repeat is reported as
// "<what> is listed twice".
func (d *decoder) first(s seen, key string, n *yaml.Node, what string) bool {
	if prev, ok := s[key]; ok {
		d.report(n, what+" is listed twice",
			fmt.Sprintf("it is already listed on line %d; remove one of them", prev.Line))
		return false
	}
	s[key] = n
	return true
}

// owners decodes owner references: user principal names or object ids,
// and sp:<appId> for service principals.
func (d *decoder) owners(list []string, nodes []*yaml.Node, name string) []appreg.Owner {
	out := make([]appreg.Owner, 0, len(list))
	dups := seen{}
	for i, ref := range list {
		n := nodes[i]
		o, problem := parseOwner(ref)
		if problem != "" {
			d.report(n, fmt.Sprintf("owner %q in %s is not valid: %s", ref, name, problem),
				"write a user's sign-in name (alice@contoso.com) or object id, or sp:<appId> for a service principal")
			continue
		}
		if !d.first(dups, strings.ToLower(ref), n, fmt.Sprintf("owner %q", ref)) {
			continue
		}
		o.Source = d.pos(n)
		out = append(out, o)
	}
	return out
}

// parseOwner classifies an owner reference, or explains why it is invalid.
func parseOwner(ref string) (appreg.Owner, string) {
	if id, ok := strings.CutPrefix(ref, "sp:"); ok {
		if !appreg.IsGUID(id) {
			return appreg.Owner{}, "after sp: comes the service principal's application id, a GUID"
		}
		return appreg.Owner{Ref: ref, Kind: appreg.OwnerServicePrincipal}, ""
	}
	if appreg.IsGUID(ref) {
		return appreg.Owner{Ref: ref, Kind: appreg.OwnerUser}, ""
	}
	local, domain, ok := strings.Cut(ref, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || hasSpace(ref) {
		return appreg.Owner{}, "it is neither a user principal name nor an object id"
	}
	return appreg.Owner{Ref: ref, Kind: appreg.OwnerUser}, ""
}

// tags checks application or service principal tags.
func (d *decoder) tags(list []string, nodes []*yaml.Node, name string, app bool) {
	dups := seen{}
	for i, t := range list {
		n := nodes[i]
		switch {
		case t == "":
			d.report(n, "a tag in "+name+" is empty", "remove the empty tag")
		case hasSpace(t):
			d.report(n, fmt.Sprintf("tag %q in %s contains whitespace", t, name), "remove the spaces or replace them with - or _")
		case app && appreg.IsOwnTag(t):
			d.report(n, fmt.Sprintf("tag %q is appreg's own marker", t),
				"remove it: appreg adds it to every application it manages")
		default:
			if d.maxLen(n, "tag in "+name, t, maxTagLength) {
				d.first(dups, t, n, fmt.Sprintf("tag %q", t))
			}
		}
	}
}

// servicePrincipal decodes the enterprise application settings.
func (rd *regDecoder) servicePrincipal(o *object) {
	sp := o.object("servicePrincipal")
	if sp == nil {
		return
	}
	out := &appreg.ServicePrincipal{
		Create:             sp.boolean("create"),
		AssignmentRequired: sp.boolean("assignmentRequired"),
	}
	if list, nodes := sp.strings("tags"); list != nil {
		out.Tags = list
		rd.tags(list, nodes, "servicePrincipal.tags", false)
	}
	if list, nodes := sp.strings("notificationEmails"); list != nil {
		out.NotificationEmails = list
		dups := seen{}
		for i, e := range list {
			local, domain, ok := strings.Cut(e, "@")
			if !ok || local == "" || !strings.Contains(domain, ".") || hasSpace(e) {
				rd.report(nodes[i], fmt.Sprintf("notification email %q is not an email address", e),
					"write an address such as payments-oncall@contoso.com")
				continue
			}
			rd.first(dups, strings.ToLower(e), nodes[i], fmt.Sprintf("notification email %q", e))
		}
	}
	rd.assignments(sp, out)
	rd.memberOf(sp, out)
	rd.azureRoles(sp, out)
	rd.r.ServicePrincipal = out
}

// applyDefaults fills fields the file left absent from appreg.yaml's
// defaults.
func (rd *regDecoder) applyDefaults() {
	r, def := rd.r, rd.s.Defaults
	if r.Audience == nil && def.Audience != nil {
		a := *def.Audience
		r.Audience = &a
	}
	if r.InstanceLock == nil && def.InstanceLock != nil {
		b := *def.InstanceLock
		r.InstanceLock = &b
	}
	if r.Owners == nil && def.Owners != nil {
		r.Owners = make([]appreg.Owner, 0, len(def.Owners))
		for _, ref := range def.Owners {
			if o, problem := parseOwner(ref); problem == "" {
				r.Owners = append(r.Owners, o)
			}
		}
	}
	if r.Tags == nil && def.Tags != nil {
		r.Tags = slices.Clone(def.Tags)
	}
}
