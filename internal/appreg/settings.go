package appreg

import "time"

// Settings is the repository's appreg.yaml.
type Settings struct {
	TenantID      string   `json:"tenantId"`
	NamePrefix    string   `json:"namePrefix"`
	Registrations string   `json:"registrations"` // folder, relative to the settings file
	Defaults      Defaults `json:"defaults"`
	Deletion      Deletion `json:"deletion"`
	Policy        Policy   `json:"policy"`
	Azure         Azure    `json:"azure"`
	Limits        Limits   `json:"limits"`
	// Advice silences advice for every registration, or raises it to an
	// error.
	Advice AdviceSettings `json:"advice"`
	Source Pos            `json:"-"`
}

// Limits bound what appreg reads from a repository.
type Limits struct {
	// MaxFileSize is the most bytes a registration file may have; larger
	// ones are refused before they are parsed.
	MaxFileSize int64 `json:"maxFileSize"`
}

// Defaults apply to every registration that leaves the field absent.
type Defaults struct {
	Audience     *string  `json:"audience,omitempty"`
	InstanceLock *bool    `json:"instanceLock,omitempty"`
	Owners       []string `json:"owners,omitempty"`
	Tags         []string `json:"tags,omitempty"`
}

// Deletion holds the rails for deleting applications whose file was removed.
type Deletion struct {
	Allow     bool `json:"allow"`
	MaxPerRun int  `json:"maxPerRun"`
}

// Category is a kind of change that policy can require approval for.
type Category string

const (
	CategoryNewRegistration       Category = "new-registration"
	CategoryApplicationPermission Category = "application-permission"
	CategoryPrivilegedPermission  Category = "privileged-permission"
	CategoryAdminConsent          Category = "admin-consent"
	CategoryAudienceChange        Category = "audience-change"
	CategoryOwnerChange           Category = "owner-change"
	CategoryCredentialChange      Category = "credential-change"
	CategoryRedirectURIChange     Category = "redirect-uri-change"
	CategoryDeletion              Category = "deletion"
	CategoryAzureRole             Category = "azure-role"
	CategoryAssignmentChange      Category = "assignment-change"
	CategoryGroupMembership       Category = "group-membership"
	// CategoryAdoption is taking over an application appreg did not
	// create (adopt: {appId}).
	CategoryAdoption Category = "adoption"
	// CategoryPolicyChange is a change of appreg.yaml itself.
	CategoryPolicyChange Category = "policy-change"
	// CategoryRegistrationChange is any other change of a registration:
	// every change has a category, so that policy.require can gate all.
	CategoryRegistrationChange Category = "registration-change"
)

// BuiltInApproval are the categories that need approval whatever
// appreg.yaml says: secrets and where they go, adoption, the policy itself,
// deletion. policy.require may add categories, never remove these.
var BuiltInApproval = []Category{CategoryCredentialChange, CategoryAdoption, CategoryPolicyChange, CategoryDeletion}

// Categories lists every category in a stable order.
var Categories = []Category{
	CategoryNewRegistration, CategoryApplicationPermission, CategoryPrivilegedPermission,
	CategoryAdminConsent, CategoryAudienceChange, CategoryOwnerChange,
	CategoryCredentialChange, CategoryRedirectURIChange, CategoryDeletion, CategoryAdoption, CategoryPolicyChange, CategoryRegistrationChange,
	CategoryAzureRole, CategoryAssignmentChange, CategoryGroupMembership,
}

// Policy is who must approve which changes, and the limits on registrations.
type Policy struct {
	Reviewers  map[string]ReviewerGroup `json:"reviewers,omitempty"`
	Require    map[Category]string      `json:"require,omitempty"`
	Privileged []string                 `json:"privileged,omitempty"`
	// PrivilegedAzureRoles are Azure role names whose assignment needs the
	// azure-role approval at any scope (default DefaultPrivilegedAzureRoles).
	PrivilegedAzureRoles []string       `json:"privilegedAzureRoles,omitempty"`
	Secrets              SecretPolicy   `json:"secrets"`
	Redirects            RedirectPolicy `json:"redirectUris"`
}

// ReviewerGroup is a set of GitHub teams ("org/slug") and users; Required
// approvals from its members are needed.
type ReviewerGroup struct {
	Teams    []string `json:"teams,omitempty"`
	Users    []string `json:"users,omitempty"`
	Required int      `json:"required"`
}

// SecretPolicy bounds client secrets.
type SecretPolicy struct {
	MaxLifetime time.Duration `json:"maxLifetime"`
}

// RedirectPolicy relaxes the built-in redirect URI rules.
type RedirectPolicy struct {
	AllowHTTPLocalhost bool `json:"allowHttpLocalhost"`
}

// MaxSecretLifetime is the built-in upper bound for a secret's lifetime.
const MaxSecretLifetime = 2 * 365 * 24 * time.Hour

// MaxFederatedCredentials is Graph's limit per application.
const MaxFederatedCredentials = 20

// OrgPolicy is an organisation's policy (APPREG_ORG_POLICY on the server):
// reviewer groups and categories it pins for every repository, and the
// namePrefix each repository must use. A repository's appreg.yaml cannot
// loosen it.
type OrgPolicy struct {
	Reviewers map[string]ReviewerGroup `json:"reviewers,omitempty"`
	Require   map[Category]string      `json:"require,omitempty"`
	// Prefixes maps a repository ("owner/name", lower case) to its
	// namePrefix; when it is not empty, a repository not listed may not
	// plan or apply.
	Prefixes map[string]string `json:"repositories,omitempty"`
}
