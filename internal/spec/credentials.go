package spec

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/appreg/appreg/internal/appreg"
)

// Secret defaults (README, "Client secrets").
const (
	defaultLifetime = 90 * day
	defaultOverlap  = day
)

// Federated credential limits (reference/apis.md §4).
const (
	maxIssuer  = 600
	maxSubject = 600
)

// credentials decodes federated credentials and client secrets.
func (rd *regDecoder) credentials(o *object) {
	c := o.object("credentials")
	if c == nil {
		return
	}
	rd.r.Credentials = &appreg.Credentials{
		Federated: rd.federated(c),
		Secrets:   rd.secrets(c),
	}
}

// federated decodes federated identity credentials, expanding the github:
// shorthand to GitHub Actions' issuer and subject.
func (rd *regDecoder) federated(c *object) []appreg.FederatedCredential {
	items := c.objects("federated")
	if items == nil {
		return nil
	}
	if len(items) > appreg.MaxFederatedCredentials {
		rd.report(items[appreg.MaxFederatedCredentials].node,
			fmt.Sprintf("more than %d federated credentials", appreg.MaxFederatedCredentials),
			fmt.Sprintf("Microsoft Graph allows at most %d per application; remove some, or use a GitHub environment shared by several workflows", appreg.MaxFederatedCredentials))
	}
	out := []appreg.FederatedCredential{}
	names, pairs := seen{}, seen{}
	for _, it := range items {
		name, n, ok := it.required("name", "deploy-main")
		if !ok {
			continue
		}
		if !validFederatedName(name) {
			rd.report(n, fmt.Sprintf("federated credential name %q is not valid", name),
				"use 3 to 120 letters, digits, - and _, starting with a letter or digit, e.g. deploy-main")
			continue
		}
		if !rd.first(names, name, n, fmt.Sprintf("federated credential name %q", name)) {
			continue
		}
		fc := appreg.FederatedCredential{
			Name:        name,
			Description: it.optStr("description"),
			Source:      rd.pos(it.node),
		}
		if g := it.object("github"); g != nil {
			if it.has("issuer") || it.has("subject") {
				rd.report(it.keyNode("github"), fmt.Sprintf("federated credential %q has both github: and issuer/subject", name),
					"use either the github: shorthand or the raw issuer: and subject:, not both")
				continue
			}
			issuer, subject, ok := rd.githubSubject(g, name)
			if !ok {
				continue
			}
			fc.Issuer, fc.Subject = issuer, subject
		} else if it.has("github") {
			continue // reported by the decoder
		} else {
			issuer, in, iok := it.required("issuer", appreg.GitHubIssuer)
			subject, sn, sok := it.required("subject", "repo:contoso/payments:environment:prod")
			if !iok || !sok {
				continue
			}
			if u, err := url.Parse(issuer); err != nil || u.Scheme != "https" || u.Host == "" || hasSpace(issuer) {
				rd.report(in, fmt.Sprintf("issuer %q is not an https URL", issuer),
					"write the identity provider's issuer URL exactly as it appears in its tokens, e.g. "+appreg.GitHubIssuer)
				continue
			}
			if !rd.maxLen(in, "issuer", issuer, maxIssuer) || !rd.maxLen(sn, "subject", subject, maxSubject) {
				continue
			}
			fc.Issuer, fc.Subject = issuer, subject
		}
		fc.Audiences = []string{appreg.TokenExchangeAudience}
		if list, nodes := it.strings("audiences"); list != nil {
			if len(list) != 1 {
				rd.report(it.at("audiences"), fmt.Sprintf("federated credential %q must have exactly one audience", name),
					"Microsoft Graph accepts one value; remove audiences to use "+appreg.TokenExchangeAudience)
			} else if list[0] == "" || hasSpace(list[0]) {
				rd.report(nodes[0], fmt.Sprintf("audience %q is not valid", list[0]), "use "+appreg.TokenExchangeAudience)
			} else {
				fc.Audiences = list
			}
		}
		if prev, dup := pairs[fc.Issuer+"\x00"+fc.Subject]; dup {
			rd.report(n, fmt.Sprintf("federated credential %q has the same issuer and subject as the one on line %d", name, prev.Line),
				"Microsoft Graph requires each issuer and subject pair to be unique per application; remove one of them")
			continue
		}
		pairs[fc.Issuer+"\x00"+fc.Subject] = n
		out = append(out, fc)
	}
	return out
}

// githubSubject expands the github: shorthand (reference/apis.md §4).
func (rd *regDecoder) githubSubject(g *object, name string) (issuer, subject string, ok bool) {
	repo, rn, ok := g.required("repo", "contoso/payments")
	if !ok {
		return "", "", false
	}
	if !validRepo(repo) {
		rd.report(rn, fmt.Sprintf("repo %q is not a GitHub repository", repo), "write owner/name, e.g. contoso/payments")
		return "", "", false
	}
	var parts []string
	var suffix string
	if b, n, ok := g.str("branch"); ok {
		parts = append(parts, "branch")
		suffix = ":ref:refs/heads/" + b
		if !rd.refPart(n, "branch", b) {
			return "", "", false
		}
	}
	if e, n, ok := g.str("environment"); ok {
		parts = append(parts, "environment")
		suffix = ":environment:" + e
		if !rd.refPart(n, "environment", e) {
			return "", "", false
		}
	}
	if pr := g.boolean("pullRequest"); pr != nil && *pr {
		parts = append(parts, "pullRequest")
		suffix = ":pull_request"
	}
	if t, n, ok := g.str("tag"); ok {
		parts = append(parts, "tag")
		suffix = ":ref:refs/tags/" + t
		if !rd.refPart(n, "tag", t) {
			return "", "", false
		}
	}
	if len(parts) != 1 {
		what := "none"
		if len(parts) > 1 {
			what = strings.Join(parts, " and ")
		}
		rd.report(g.node, fmt.Sprintf("federated credential %q must name exactly one of branch, environment, pullRequest or tag (it has %s)", name, what),
			"a GitHub token's subject names one of them; add one federated credential per branch, environment, pull requests or tag")
		return "", "", false
	}
	return appreg.GitHubIssuer, "repo:" + repo + suffix, true
}

// refPart checks a branch, environment or tag name used in a subject.
func (rd *regDecoder) refPart(n *yaml.Node, what, s string) bool {
	if s == "" || hasSpace(s) || strings.Contains(s, ":") {
		rd.report(n, fmt.Sprintf("%s %q is not valid in a GitHub subject", what, s),
			fmt.Sprintf("write the %s's exact name, without spaces or colons", what))
		return false
	}
	return true
}

// secrets decodes client secrets: their lifetimes and delivery targets.
func (rd *regDecoder) secrets(c *object) []appreg.Secret {
	items := c.objects("secrets")
	if items == nil {
		return nil
	}
	out := []appreg.Secret{}
	names := seen{}
	for _, it := range items {
		name, n, ok := it.required("name", "ci")
		if !ok {
			continue
		}
		if !validSecretName(name) {
			rd.report(n, fmt.Sprintf("secret name %q is not valid", name),
				"use up to 64 letters, digits, - and _, e.g. ci")
			continue
		}
		if !rd.first(names, name, n, fmt.Sprintf("secret %q", name)) {
			continue
		}
		s := appreg.Secret{Name: name, Source: rd.pos(it.node)}
		lifetime, lok := rd.duration(it, "lifetime", defaultLifetime)
		rotate, rok := rd.duration(it, "rotateBefore", lifetime/3)
		overlap, ook := rd.duration(it, "overlap", defaultOverlap)
		if lok {
			limit, by := appreg.MaxSecretLifetime, "appreg's limit of 2 years (730d)"
			if m := rd.s.Policy.Secrets.MaxLifetime; m > 0 && m < limit {
				limit, by = m, "policy.secrets.maxLifetime ("+formatDuration(m)+") in appreg.yaml"
			}
			if lifetime > limit {
				rd.report(it.at("lifetime"), fmt.Sprintf("secret %q lifetime %s is longer than %s", name, formatDuration(lifetime), by),
					"set lifetime: "+formatDuration(limit)+" or less; appreg rotates the secret before it expires")
			}
			if rok && rotate >= lifetime {
				rd.report(it.at("rotateBefore"), fmt.Sprintf("secret %q rotateBefore %s is not shorter than its lifetime %s", name, formatDuration(rotate), formatDuration(lifetime)),
					"set rotateBefore below the lifetime, e.g. a third of it ("+formatDuration(lifetime/3)+")")
			}
			if ook && overlap >= lifetime {
				rd.report(it.at("overlap"), fmt.Sprintf("secret %q overlap %s is not shorter than its lifetime %s", name, formatDuration(overlap), formatDuration(lifetime)),
					"set overlap well below the lifetime; it is how long the previous secret stays valid after a rotation")
			}
		}
		s.Lifetime, s.RotateBefore, s.Overlap = lifetime, rotate, overlap
		s.Deliver = rd.deliveries(it, name)
		out = append(out, s)
	}
	return out
}

// duration decodes an optional duration, returning def when it is absent.
func (rd *regDecoder) duration(o *object, key string, def time.Duration) (time.Duration, bool) {
	s, n, ok := o.str(key)
	if n == nil {
		return def, true
	}
	if !ok {
		return def, false
	}
	d, err := parseDuration(s)
	if err != nil {
		rd.report(n, fmt.Sprintf("%s %q is not a duration: %v", o.child(key), s, err),
			"write a number with a unit: 90d (days), 2w (weeks), 12h (hours) or 30m (minutes)")
		return def, false
	}
	return d, true
}

// deliveries decodes where a secret's value is written.
func (rd *regDecoder) deliveries(it *object, secret string) []appreg.Delivery {
	items := it.objects("deliver")
	if items == nil {
		return nil
	}
	out := []appreg.Delivery{}
	if rd.targets == nil {
		rd.targets = seen{}
	}
	for _, d := range items {
		gh, org := d.object("github"), d.object("githubOrg")
		if (gh == nil) == (org == nil) {
			if !d.has("github") && !d.has("githubOrg") || d.has("github") && d.has("githubOrg") {
				rd.report(d.node, fmt.Sprintf("each deliver entry of secret %q needs exactly one of github: or githubOrg:", secret),
					"write - github: {repo: owner/name, secret: NAME} or - githubOrg: {org: owner, secret: NAME, visibility: private}")
			}
			continue
		}
		var dl appreg.Delivery
		var ok bool
		if gh != nil {
			dl, ok = rd.repoDelivery(gh)
		} else {
			dl, ok = rd.orgDelivery(org)
		}
		if !ok {
			continue
		}
		key := strings.ToLower(dl.String())
		if !rd.first(rd.targets, key, d.node, fmt.Sprintf("delivery to %s", dl)) {
			continue
		}
		rd.p.targets = append(rd.p.targets, targetRef{key: key, desc: dl.String(), node: d.node})
		out = append(out, dl)
	}
	return out
}

// repoDelivery decodes github: {repo, environment?, secret}.
func (rd *regDecoder) repoDelivery(g *object) (appreg.Delivery, bool) {
	dl := appreg.Delivery{Kind: appreg.DeliverRepo}
	repo, rn, rok := g.required("repo", "contoso/payments")
	secret, sok := rd.secretName(g)
	if rok && !validRepo(repo) {
		rd.report(rn, fmt.Sprintf("repo %q is not a GitHub repository", repo), "write owner/name, e.g. contoso/payments")
		rok = false
	}
	dl.Repo, dl.Secret = repo, secret
	if env, en, ok := g.str("environment"); ok {
		if strings.TrimSpace(env) == "" || len(env) > 255 || strings.ContainsAny(env, ",/:'\"") {
			rd.report(en, fmt.Sprintf("environment %q is not a valid GitHub environment name", env),
				"write the environment's name as shown in the repository's settings, e.g. production")
			return dl, false
		}
		dl.Kind, dl.Environment = appreg.DeliverEnvironment, env
	} else if g.has("environment") {
		return dl, false
	}
	return dl, rok && sok
}

// orgDelivery decodes githubOrg: {org, secret, visibility, repos}.
func (rd *regDecoder) orgDelivery(g *object) (appreg.Delivery, bool) {
	dl := appreg.Delivery{Kind: appreg.DeliverOrg}
	org, on, ok := g.required("org", "contoso")
	if ok && !validOwner(org) {
		rd.report(on, fmt.Sprintf("org %q is not a GitHub organisation name", org), "write the organisation's login, e.g. contoso")
		ok = false
	}
	secret, sok := rd.secretName(g)
	dl.Org, dl.Secret = org, secret
	vis, vn, vok := g.enum("visibility")
	if vn == nil {
		rd.report(g.node, "githubOrg needs visibility", "write visibility: selected with repos: [...], or private or all")
	}
	dl.Visibility = vis
	repos, nodes := g.strings("repos")
	switch {
	case vok && vis == "selected" && len(repos) == 0 && g.has("repos") && !rd.cleanList(g, "repos"):
		// Every item was invalid and already reported.
	case vok && vis == "selected" && len(repos) == 0:
		rd.report(g.at("repos"), "visibility: selected needs repos", "list the repositories of "+org+" that may read the secret, e.g. repos: [payments]")
		vok = false
	case vok && vis != "selected" && repos != nil:
		rd.report(g.keyNode("repos"), fmt.Sprintf("repos is only used with visibility: selected, not %s", vis),
			"remove repos, or set visibility: selected")
		vok = false
	}
	dups := seen{}
	for i, r := range repos {
		if !validRepoName(r) {
			rd.report(nodes[i], fmt.Sprintf("repository name %q is not valid", r),
				"write the repository's name within "+org+" without the owner, e.g. payments")
			vok = false
			continue
		}
		if rd.first(dups, strings.ToLower(r), nodes[i], fmt.Sprintf("repository %q", r)) {
			dl.Repos = append(dl.Repos, r)
		}
	}
	return dl, ok && sok && vok
}

// secretName decodes and checks the GitHub secret name of a delivery.
func (rd *regDecoder) secretName(g *object) (string, bool) {
	s, n, ok := g.required("secret", "AZURE_CLIENT_SECRET")
	if !ok {
		return s, false
	}
	if problem := secretNameProblem(s); problem != "" {
		rd.report(n, fmt.Sprintf("GitHub secret name %q is not valid: %s", s, problem),
			"use letters, digits and _, not starting with a digit or GITHUB_, e.g. AZURE_CLIENT_SECRET")
		return s, false
	}
	return s, true
}
