package spec

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
)

// Settings defaults (README, "appreg.yaml: repository settings").
const (
	defaultRegistrations = "registrations"
	defaultMaxPerRun     = 3
)

// defaultSettings is what an empty appreg.yaml means.
func defaultSettings() appreg.Settings {
	return appreg.Settings{
		Registrations: defaultRegistrations,
		Deletion:      appreg.Deletion{MaxPerRun: defaultMaxPerRun},
		Policy:        appreg.Policy{Redirects: appreg.RedirectPolicy{AllowHTTPLocalhost: true}},
		Limits:        appreg.Limits{MaxFileSize: DefaultMaxFileSize},
	}
}

// parseSettings decodes and validates appreg.yaml. Whatever the problems,
// it returns usable settings (defaults where the file is wrong), so that
// registrations can still be checked and every problem reported at once.
func parseSettings(file string, data []byte) (appreg.Settings, diag.Diagnostics) {
	s := defaultSettings()
	d := &decoder{file: file, shape: settingsShape, enums: settingsEnums}
	root := d.parse(data)
	if root == nil {
		return s, d.diags
	}
	s.Source = d.pos(root)
	o := d.object(root, "", "")

	v, n, ok := o.str("apiVersion")
	switch {
	case n == nil:
		d.report(o.node, "apiVersion is required", "add apiVersion: "+APIVersion+" as the first key")
	case ok && v != APIVersion:
		d.report(n, fmt.Sprintf("apiVersion %q is not supported", v), "write apiVersion: "+APIVersion)
	}
	if id, n, ok := o.required("tenantId", "YOUR-TENANT-ID, the Tenant ID (a GUID) on the Overview page of Microsoft Entra ID or from az account show --query tenantId"); ok {
		if !appreg.IsGUID(id) {
			d.report(n, fmt.Sprintf("tenantId %q is not a tenant id", id),
				"copy the Tenant ID, a GUID, from the Overview page of Microsoft Entra ID; domain names are not accepted")
		}
		s.TenantID = strings.ToLower(id)
	}
	if p, n, ok := o.str("namePrefix"); ok {
		if !validPrefix(p) {
			d.report(n, fmt.Sprintf("namePrefix %q is not valid", p),
				"use at most 64 letters, digits, '.', '_' and '-', e.g. contoso-")
		} else {
			s.NamePrefix = p
		}
	}
	if dir, n, ok := o.str("registrations"); ok {
		if clean := path.Clean(dir); dir == "" {
			d.report(n, "registrations must not be empty", "name the folder holding the registration files, e.g. registrations")
		} else if path.IsAbs(dir) || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(dir, `\`) {
			d.report(n, fmt.Sprintf("registrations folder %q is outside the folder of %s", dir, path.Base(file)),
				"write a folder below the settings file, e.g. registrations")
		} else {
			s.Registrations = clean
		}
	}
	if def := o.object("defaults"); def != nil {
		if a, _, ok := def.enum("audience"); ok {
			s.Defaults.Audience = &a
		}
		s.Defaults.InstanceLock = def.boolean("instanceLock")
		if list, nodes := def.strings("owners"); list != nil {
			s.Defaults.Owners = []string{}
			for _, o := range d.owners(list, nodes, "defaults.owners") {
				s.Defaults.Owners = append(s.Defaults.Owners, o.Ref)
			}
		}
		if list, nodes := def.strings("tags"); list != nil {
			d.tags(list, nodes, "defaults.tags", true)
			s.Defaults.Tags = list
		}
	}
	if a := o.object("advice"); a != nil {
		s.Advice = appreg.AdviceSettings{Source: d.pos(o.keyNode("advice"))}
		s.Advice.Ignore = d.adviceIDs(a, "advice.ignore")
		s.Advice.Errors = d.adviceIDs(a, "advice.errors")
	}
	if del := o.object("deletion"); del != nil {
		if b := del.boolean("allow"); b != nil {
			s.Deletion.Allow = *b
		}
		if m, n := del.integer("maxPerRun"); m != nil {
			if *m < 0 {
				d.report(n, fmt.Sprintf("deletion.maxPerRun %d is negative", *m),
					"write 0 to never delete, or the most applications one run may delete")
			} else {
				s.Deletion.MaxPerRun = *m
			}
		}
	}
	if p := o.object("policy"); p != nil {
		policy(d, p, &s.Policy)
	}
	if az := o.object("azure"); az != nil {
		azureSettings(d, az, &s.Azure)
	}
	if l := o.object("limits"); l != nil {
		limits(d, l, &s.Limits)
	}
	return s, d.diags
}

// policy decodes the policy section: reviewers, what they must approve,
// privileged permissions and the secret and redirect URI rules.
func policy(d *decoder, p *object, out *appreg.Policy) {
	var groups []string
	for _, e := range p.mapping("reviewers", kObjectMap) {
		name := e.key.Value
		if name == "" || hasSpace(name) {
			d.report(e.key, fmt.Sprintf("reviewer group name %q is not valid", name), "use a name without spaces, e.g. identity-admins")
			continue
		}
		g := d.object(e.val, "policy.reviewers.*", "policy.reviewers."+name)
		if g == nil {
			continue
		}
		rg := appreg.ReviewerGroup{Required: 1}
		teams, tnodes := g.strings("teams")
		for i, t := range teams {
			org, slug, ok := strings.Cut(t, "/")
			if !ok || !validOwner(org) || slug == "" || !only(slug, func(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }) {
				d.report(tnodes[i], fmt.Sprintf("team %q of reviewer group %q is not a GitHub team", t, name),
					"write org/team-slug, e.g. contoso/identity-admins")
				continue
			}
			rg.Teams = append(rg.Teams, t)
		}
		users, unodes := g.strings("users")
		for i, u := range users {
			if !validOwner(u) {
				d.report(unodes[i], fmt.Sprintf("user %q of reviewer group %q is not a GitHub login", u, name),
					"write the user's GitHub login without @, e.g. octocat")
				continue
			}
			rg.Users = append(rg.Users, u)
		}
		if r, n := g.integer("required"); r != nil {
			if *r < 1 {
				d.report(n, fmt.Sprintf("reviewer group %q requires %d approvals", name, *r),
					"write required: 1 or more; to require no approval, remove the category from policy.require")
			} else {
				rg.Required = *r
			}
		}
		if len(teams)+len(users) == 0 {
			d.report(e.key, fmt.Sprintf("reviewer group %q has no members", name),
				"list GitHub teams under teams: [org/slug] or logins under users: [login]")
		}
		if out.Reviewers == nil {
			out.Reviewers = map[string]appreg.ReviewerGroup{}
		}
		out.Reviewers[name] = rg
		groups = append(groups, name)
	}
	slices.Sort(groups)

	categories := make([]string, len(appreg.Categories))
	for i, c := range appreg.Categories {
		categories[i] = string(c)
	}
	for _, e := range p.mapping("require", kStringMap) {
		cat := e.key.Value
		if !slices.Contains(categories, cat) {
			detail := "use one of: " + strings.Join(categories, ", ")
			if s := suggest(cat, categories); s != "" {
				detail = fmt.Sprintf("did you mean %q? Use one of: %s", s, strings.Join(categories, ", "))
			}
			d.report(e.key, fmt.Sprintf("policy.require names an unknown change category %q", cat), detail)
			continue
		}
		if e.val.Kind != yaml.ScalarNode || e.val.ShortTag() != "!!str" {
			d.wrongType(e.val, "policy.require."+cat, kString)
			continue
		}
		group := e.val.Value
		if _, ok := out.Reviewers[group]; !ok {
			detail := "define it under policy.reviewers, e.g. " + group + ": {teams: [org/team]}"
			if len(groups) > 0 {
				detail = "define it under policy.reviewers or use one of: " + strings.Join(groups, ", ")
				if s := suggest(group, groups); s != "" {
					detail = fmt.Sprintf("did you mean %q? Define it under policy.reviewers or use one of: %s", s, strings.Join(groups, ", "))
				}
			}
			d.report(e.val, fmt.Sprintf("policy.require.%s names reviewer group %q, which is not defined", cat, group), detail)
			continue
		}
		if out.Require == nil {
			out.Require = map[appreg.Category]string{}
		}
		out.Require[appreg.Category(cat)] = group
	}

	if list, nodes := p.strings("privileged"); list != nil {
		out.Privileged = []string{}
		for i, pat := range list {
			if problem := privilegedProblem(pat); problem != "" {
				d.report(nodes[i], fmt.Sprintf("privileged pattern %q is not valid: %s", pat, problem),
					"write api:Permission with * as a wildcard, e.g. microsoft-graph:Directory.*")
				continue
			}
			out.Privileged = append(out.Privileged, pat)
		}
	}
	if list, nodes := p.strings("privilegedAzureRoles"); list != nil {
		out.PrivilegedAzureRoles = []string{}
		for i, role := range list {
			if strings.TrimSpace(role) == "" {
				d.report(nodes[i], "a role in policy.privilegedAzureRoles is empty", "write an Azure role name such as Owner, or remove the entry")
				continue
			}
			out.PrivilegedAzureRoles = append(out.PrivilegedAzureRoles, role)
		}
	}
	if sec := p.object("secrets"); sec != nil {
		if s, n, ok := sec.str("maxLifetime"); ok {
			switch m, err := parseDuration(s); {
			case err != nil:
				d.report(n, fmt.Sprintf("policy.secrets.maxLifetime %q is not a duration: %v", s, err),
					"write a number with a unit: 180d (days), 26w (weeks)")
			case m > appreg.MaxSecretLifetime:
				d.report(n, fmt.Sprintf("policy.secrets.maxLifetime %s is longer than appreg's limit of 2 years (730d)", s),
					"write 730d or less")
			default:
				out.Secrets.MaxLifetime = m
			}
		}
	}
	if r := p.object("redirectUris"); r != nil {
		if b := r.boolean("allowHttpLocalhost"); b != nil {
			out.Redirects.AllowHTTPLocalhost = *b
		}
	}
}

// privilegedProblem explains why pat is not an "api:Permission" pattern,
// or returns "".
func privilegedProblem(pat string) string {
	api, perm, ok := strings.Cut(pat, ":")
	switch {
	case !ok:
		return "it has no colon between the API and the permission"
	case api == "":
		return "the API before the colon is empty"
	case perm == "":
		return "the permission after the colon is empty"
	}
	if _, kind := resolveApp(api); kind == appUnknown {
		return fmt.Sprintf("%q is not a well-known alias, an application id or a registration name", api)
	}
	if !only(perm, func(c byte) bool { return isAlnum(c) || c == '.' || c == '_' || c == '-' || c == '*' }) {
		return "the permission may contain only letters, digits, '.', '_', '-' and *"
	}
	return ""
}
