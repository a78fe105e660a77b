package spec

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
)

// SchemaComment is the first line of every file Encode writes: it points
// editors at the JSON Schema, relative to registrations/<name>.yaml.
const SchemaComment = "# yaml-language-server: $schema=../schema/registration.schema.json"

// ValidName reports whether s is a valid registration name: 3 to 64
// lowercase letters, digits and hyphens.
func ValidName(s string) bool { return validName(s) }

// Encode writes r as a registration file of format v1, keys in the order of
// the README's "Files" section, starting with SchemaComment. s supplies namePrefix,
// defaults and policy (nil: an empty appreg.yaml).
//
// A desired registration (Observed nil) is written as it is: a nil field is
// left out (not managed), an empty list is written as [] (managed, none).
// Parsing the result gives r back.
//
// An observed registration (read from Graph, Observed set; Name chosen by
// the caller) is written for adoption by `appreg import`: adopt: {appId},
// and every field the tenant has, so that the plan after adoption shows the
// adoption and no field difference. Per field:
//
//   - audience, owners, tags and instanceLock are always written, [] for
//     none: appreg.yaml's defaults would otherwise fill them in and change
//     the application on the first apply.
//   - permissions and credentials.federated are always written, [] for none:
//     both grant access, so "none" is worth pinning.
//   - every other field is written only when the tenant has a value; an
//     empty string, an empty list, false or an unset value is left out (not
//     managed), which the tenant's "none" matches anyway.
//   - identifierUris write the application's own appId as {appId}.
//   - permissions name well-known APIs by alias, others by appId, and
//     permissions by name; adminConsent: true is written for an API whose
//     requested permissions are exactly what is consented tenant-wide
//     (consent must have been read), and left out otherwise.
//   - federated credentials use the github: shorthand when issuer and
//     subject are GitHub Actions' forms, else issuer and subject.
//   - an application without a service principal gets
//     servicePrincipal: {create: false}, so that adopting it creates none.
//   - client secrets cannot be imported (Graph never returns their values):
//     a comment says how many password credentials exist and that
//     credentials.secrets can take over; appreg leaves existing ones alone.
//
// What the file format cannot express exactly — a disabled scope or app
// role, a permission the tenant cannot name, consent that differs from the
// request, a value the format's rules reject — is left out (not managed)
// with a comment saying why, because writing an approximation would change
// the application on the first apply. Encode checks the result by parsing
// it and fails only when a required field (name, displayName) is invalid.
func Encode(r *appreg.Registration, s *appreg.Settings) ([]byte, error) {
	if s == nil {
		def := defaultSettings()
		s = &def
	}
	if r.Observed == nil {
		return render(blocksOf(r, nil)), nil
	}
	want, notes := adoptable(r, s)
	blocks := blocksOf(want, notes)
	file := want.Name + ".yaml"
	for range len(blocks) + 1 {
		data := render(blocks)
		_, diags := ParseRegistration(file, data, s)
		if !diags.HasErrors() {
			return data, nil
		}
		if err := leaveOut(blocks, diags, data); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("encoding %s: the file does not validate", want.Name)
}

// block is one top-level key of a file with its value. A block without a
// value is only a comment; a dropped one is written commented out.
type block struct {
	key     string
	value   *yaml.Node
	comment []string // lines above the key, without "# "
	dropped string   // why the value is commented out
	first   int      // line range in the rendered file, 1-based
	last    int
}

// required are the keys without which the file means nothing.
var required = []string{"apiVersion", "name", "displayName", "adopt"}

// leaveOut comments out the blocks that diagnostics point into, naming the
// problem. It fails for a problem in a required key or outside any block.
func leaveOut(blocks []block, diags diag.Diagnostics, data []byte) error {
	for _, d := range diags {
		if d.Severity != diag.Error {
			continue
		}
		i := slices.IndexFunc(blocks, func(b block) bool { return b.value != nil && b.dropped == "" && d.Line >= b.first && d.Line <= b.last })
		if i < 0 || slices.Contains(required, blocks[i].key) {
			return fmt.Errorf("encoding: %s", d.String())
		}
		blocks[i].dropped = d.Summary
	}
	return nil
}

// render writes the blocks as a file.
func render(blocks []block) []byte {
	var b bytes.Buffer
	b.WriteString(SchemaComment + "\n")
	line := 2
	for i := range blocks {
		bl := &blocks[i]
		for _, c := range bl.comment {
			b.WriteString(strings.TrimRight("# "+c, " ") + "\n")
			line++
		}
		if bl.value == nil {
			continue
		}
		text := marshal(bl.key, bl.value)
		if bl.dropped != "" {
			fmt.Fprintf(&b, "# %s is left out (not managed): %s. Fix it in the tenant, or edit and uncomment:\n", bl.key, bl.dropped)
			line++
			for l := range strings.Lines(text) {
				b.WriteString("# " + l)
			}
		} else {
			b.WriteString(text)
		}
		n := strings.Count(text, "\n")
		bl.first, bl.last = line, line+n-1
		line += n
	}
	return b.Bytes()
}

// marshal writes one key and its value as YAML, indented by two spaces.
func marshal(key string, value *yaml.Node) string {
	var b bytes.Buffer
	e := yaml.NewEncoder(&b)
	e.SetIndent(2)
	if err := e.Encode(mapping(key, value)); err != nil {
		panic("spec: encoding " + key + ": " + err.Error()) // nodes built here always encode
	}
	e.Close()
	return b.String()
}

// Node builders.

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

func boolNode(v bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
}

func intNode(v int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}
}

// mapping builds a block mapping of key/value pairs.
func mapping(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Content = append(m.Content, scalar(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return m
}

// obj is a mapping built key by key, leaving nil values out.
type obj struct{ n *yaml.Node }

func newObj() *obj { return &obj{n: &yaml.Node{Kind: yaml.MappingNode}} }

func (o *obj) set(key string, v *yaml.Node) *obj {
	if v != nil {
		o.n.Content = append(o.n.Content, scalar(key), v)
	}
	return o
}

func (o *obj) str(key string, v *string) *obj {
	if v != nil {
		o.set(key, scalar(*v))
	}
	return o
}

func (o *obj) nonEmpty(key, v string) *obj {
	if v != "" {
		o.set(key, scalar(v))
	}
	return o
}

func (o *obj) boolean(key string, v *bool) *obj {
	if v != nil {
		o.set(key, boolNode(*v))
	}
	return o
}

// flow writes the mapping on one line when it is short.
func (o *obj) flow() *yaml.Node {
	if len(o.n.Content) == 0 || fits(o.n, 60) {
		o.n.Style = yaml.FlowStyle
	}
	return o.n
}

func (o *obj) node() *yaml.Node {
	if len(o.n.Content) == 0 {
		o.n.Style = yaml.FlowStyle // {}
	}
	return o.n
}

// strList is a list of strings, on one line when it is short; nil for nil.
func strList(xs []string) *yaml.Node {
	if xs == nil {
		return nil
	}
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for _, x := range xs {
		n.Content = append(n.Content, scalar(x))
	}
	if fits(n, 70) {
		n.Style = yaml.FlowStyle
	}
	return n
}

// fits reports whether n's scalars, written on one line, stay short.
func fits(n *yaml.Node, width int) bool {
	total := 0
	var walk func(*yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		if n.Kind == yaml.ScalarNode {
			if strings.ContainsAny(n.Value, "\n") {
				return false
			}
			total += len(n.Value) + 4
			return true
		}
		for _, c := range n.Content {
			if c.Kind == yaml.MappingNode && n.Kind == yaml.SequenceNode {
				return false // lists of objects read better as blocks
			}
			if !walk(c) {
				return false
			}
		}
		return true
	}
	return walk(n) && total <= width
}

func objList[T any](xs []T, each func(T) *yaml.Node) *yaml.Node {
	if xs == nil {
		return nil
	}
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for _, x := range xs {
		n.Content = append(n.Content, each(x))
	}
	if len(xs) == 0 {
		n.Style = yaml.FlowStyle // []
	}
	return n
}

// blocksOf turns a desired registration into the file's top-level blocks,
// in the order of the README's "Files" section. notes are comments placed above a key
// (written even when the key itself is absent).
func blocksOf(r *appreg.Registration, notes map[string][]string) []block {
	var blocks []block
	add := func(key string, v *yaml.Node) {
		if v == nil && len(notes[key]) == 0 {
			return
		}
		blocks = append(blocks, block{key: key, value: v, comment: notes[key]})
	}
	opt := func(p *string) *yaml.Node {
		if p == nil {
			return nil
		}
		return scalar(*p)
	}
	optBool := func(p *bool) *yaml.Node {
		if p == nil {
			return nil
		}
		return boolNode(*p)
	}
	add("apiVersion", scalar(APIVersion))
	add("name", scalar(r.Name))
	add("displayName", scalar(r.DisplayName))
	if r.Adopt != nil {
		add("adopt", newObj().set("appId", scalar(r.Adopt.AppID)).flow())
	} else {
		add("adopt", nil)
	}
	add("description", opt(r.Description))
	add("notes", opt(r.Notes))
	add("serviceManagementReference", opt(r.ServiceManagementReference))
	add("audience", opt(r.Audience))
	var owners []string
	if r.Owners != nil {
		owners = []string{}
		for _, o := range r.Owners {
			owners = append(owners, o.Ref)
		}
	}
	add("owners", strList(owners))
	add("tags", strList(r.Tags))
	add("identifierUris", strList(r.IdentifierURIs))
	if w := r.Web; w != nil {
		o := newObj().str("homePageUrl", w.HomePageURL).str("logoutUrl", w.LogoutURL).set("redirectUris", strList(w.RedirectURIs))
		if g := w.ImplicitGrant; g != nil {
			o.set("implicitGrant", newObj().boolean("accessTokens", g.AccessTokens).boolean("idTokens", g.IDTokens).flow())
		}
		add("web", o.node())
	} else {
		add("web", nil)
	}
	if p := r.SPA; p != nil {
		add("spa", newObj().set("redirectUris", strList(p.RedirectURIs)).flow())
	} else {
		add("spa", nil)
	}
	if p := r.PublicClient; p != nil {
		add("publicClient", newObj().set("redirectUris", strList(p.RedirectURIs)).boolean("allowPublicClientFlows", p.AllowPublicClientFlows).flow())
	} else {
		add("publicClient", nil)
	}
	add("api", apiNode(r.API))
	add("appRoles", objList(r.AppRoles, func(a appreg.AppRole) *yaml.Node {
		return newObj().set("value", scalar(a.Value)).nonEmpty("displayName", a.DisplayName).nonEmpty("description", a.Description).
			set("allowedMemberTypes", strList(nonNilList(a.AllowedMemberTypes))).node()
	}))
	add("permissions", objList(r.Permissions, func(p appreg.Permission) *yaml.Node {
		return newObj().set("api", scalar(p.API)).set("delegated", strList(p.Delegated)).set("application", strList(p.Application)).
			boolean("adminConsent", p.AdminConsent).node()
	}))
	if c := r.OptionalClaims; c != nil {
		claims := func(cs []appreg.OptionalClaim) *yaml.Node {
			return objList(cs, func(c appreg.OptionalClaim) *yaml.Node {
				return newObj().set("name", scalar(c.Name)).str("source", c.Source).boolean("essential", c.Essential).
					set("additionalProperties", strList(c.AdditionalProperties)).flow()
			})
		}
		add("optionalClaims", newObj().set("idToken", claims(c.IDToken)).set("accessToken", claims(c.AccessToken)).set("saml2Token", claims(c.SAML2Token)).node())
	} else {
		add("optionalClaims", nil)
	}
	add("groupMembershipClaims", opt(r.GroupMembershipClaims))
	if i := r.Info; i != nil {
		add("info", newObj().str("marketingUrl", i.MarketingURL).str("privacyStatementUrl", i.PrivacyStatementURL).
			str("supportUrl", i.SupportURL).str("termsOfServiceUrl", i.TermsOfServiceURL).node())
	} else {
		add("info", nil)
	}
	add("instanceLock", optBool(r.InstanceLock))
	if sp := r.ServicePrincipal; sp != nil {
		add("servicePrincipal", newObj().boolean("create", sp.Create).boolean("assignmentRequired", sp.AssignmentRequired).
			set("tags", strList(sp.Tags)).set("notificationEmails", strList(sp.NotificationEmails)).
			set("assignments", objList(sp.Assignments, assignmentNode)).
			set("memberOf", memberOfNode(sp.MemberOf)).
			set("azureRoles", objList(sp.AzureRoles, func(r appreg.AzureRole) *yaml.Node {
				return newObj().set("role", scalar(r.Role)).set("scope", scalar(r.Scope)).node()
			})).node())
	} else {
		add("servicePrincipal", nil)
	}
	add("credentials", credentialsNode(r.Credentials))
	if r.Advice != nil {
		add("advice", newObj().set("ignore", strList(nonNilList(r.Advice.Ignore))).flow())
	}
	return blocks
}

func apiNode(a *appreg.API) *yaml.Node {
	if a == nil {
		return nil
	}
	o := newObj()
	if a.AccessTokenVersion != nil {
		o.set("accessTokenVersion", intNode(*a.AccessTokenVersion))
	}
	o.set("scopes", objList(a.Scopes, func(s appreg.Scope) *yaml.Node {
		so := newObj().set("value", scalar(s.Value))
		if s.Consent != appreg.ConsentAdmin && s.Consent != "" {
			so.set("consent", scalar(s.Consent)) // admin is the default
		}
		return so.nonEmpty("adminConsentDisplayName", s.AdminConsentDisplayName).nonEmpty("adminConsentDescription", s.AdminConsentDescription).
			nonEmpty("userConsentDisplayName", s.UserConsentDisplayName).nonEmpty("userConsentDescription", s.UserConsentDescription).node()
	}))
	o.set("authorizedClients", objList(a.AuthorizedClients, func(c appreg.AuthorizedClient) *yaml.Node {
		return newObj().set("client", scalar(c.Client)).set("scopes", strList(nonNilList(c.Scopes))).flow()
	}))
	return o.node()
}

func credentialsNode(c *appreg.Credentials) *yaml.Node {
	if c == nil {
		return nil
	}
	o := newObj()
	o.set("federated", objList(c.Federated, func(f appreg.FederatedCredential) *yaml.Node {
		fo := newObj().set("name", scalar(f.Name)).str("description", f.Description)
		if g := githubShorthand(f.Issuer, f.Subject); g != nil {
			fo.set("github", g)
		} else {
			fo.set("issuer", scalar(f.Issuer)).set("subject", scalar(f.Subject))
		}
		if !slices.Equal(f.Audiences, []string{appreg.TokenExchangeAudience}) {
			fo.set("audiences", strList(nonNilList(f.Audiences)))
		}
		return fo.node()
	}))
	o.set("secrets", objList(c.Secrets, func(s appreg.Secret) *yaml.Node {
		so := newObj().set("name", scalar(s.Name))
		if s.Lifetime != defaultLifetime {
			so.set("lifetime", scalar(formatDuration(s.Lifetime)))
		}
		if s.RotateBefore != s.Lifetime/3 {
			so.set("rotateBefore", scalar(formatDuration(s.RotateBefore)))
		}
		if s.Overlap != defaultOverlap {
			so.set("overlap", scalar(formatDuration(s.Overlap)))
		}
		so.set("deliver", objList(s.Deliver, func(d appreg.Delivery) *yaml.Node {
			if d.Kind == appreg.DeliverOrg {
				return mapping("githubOrg", newObj().set("org", scalar(d.Org)).set("secret", scalar(d.Secret)).
					nonEmpty("visibility", d.Visibility).set("repos", strList(d.Repos)).flow())
			}
			return mapping("github", newObj().set("repo", scalar(d.Repo)).nonEmpty("environment", d.Environment).
				set("secret", scalar(d.Secret)).flow())
		}))
		return so.node()
	}))
	return o.node()
}

// githubShorthand returns the github: form of a GitHub Actions issuer and
// subject, or nil when they have another form (reference/apis.md §4).
func githubShorthand(issuer, subject string) *yaml.Node {
	if issuer != appreg.GitHubIssuer {
		return nil
	}
	rest, ok := strings.CutPrefix(subject, "repo:")
	if !ok {
		return nil
	}
	repo, tail, ok := strings.Cut(rest, ":")
	if !ok || !validRepo(repo) {
		return nil
	}
	ref := func(s string) bool { return s != "" && !hasSpace(s) && !strings.Contains(s, ":") }
	o := newObj().set("repo", scalar(repo))
	switch {
	case tail == "pull_request":
		o.set("pullRequest", boolNode(true))
	case strings.HasPrefix(tail, "ref:refs/heads/") && ref(strings.TrimPrefix(tail, "ref:refs/heads/")):
		o.set("branch", scalar(strings.TrimPrefix(tail, "ref:refs/heads/")))
	case strings.HasPrefix(tail, "ref:refs/tags/") && ref(strings.TrimPrefix(tail, "ref:refs/tags/")):
		o.set("tag", scalar(strings.TrimPrefix(tail, "ref:refs/tags/")))
	case strings.HasPrefix(tail, "environment:") && ref(strings.TrimPrefix(tail, "environment:")):
		o.set("environment", scalar(strings.TrimPrefix(tail, "environment:")))
	default:
		return nil
	}
	return o.flow()
}
