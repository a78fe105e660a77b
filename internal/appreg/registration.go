package appreg

import (
	"strings"
	"time"
)

// MarkerTag is the tag appreg sets on every application it manages. appreg
// only ever modifies or deletes applications that carry it.
const MarkerTag = "appreg:managed"

// RepoTagPrefix starts the tag that records which repository owns a managed
// application: "appreg:repo:<owner>/<name>", lower case. A repository
// reads, changes, rotates and deletes only the applications tagged with its
// own name; taking one tagged with another name (or with none, as
// applications managed before ownership was recorded are) is an adoption.
const RepoTagPrefix = "appreg:repo:"

// RepoTag is the ownership tag of repository ("owner/name").
func RepoTag(repo string) string { return RepoTagPrefix + strings.ToLower(repo) }

// IsOwnTag reports whether t is one of appreg's own tags (the marker or an
// ownership tag): they are never shown as differences, never declared in a
// file, and always set by appreg itself.
func IsOwnTag(t string) bool {
	return strings.EqualFold(t, MarkerTag) || len(t) >= len(RepoTagPrefix) && strings.EqualFold(t[:len(RepoTagPrefix)], RepoTagPrefix)
}

// NameIn returns the registration name that uniqueName has under a
// repository's namePrefix: what follows the prefix, provided it is a whole
// registration name ([a-z0-9-], 3–64 characters). A prefix match alone
// never makes an application a repository's: "contoso-" matches
// "contoso-eu-payments" as the name "eu-payments" just as "contoso-eu-"
// matches it as "payments", and no rule on the string can tell which
// repository meant it. Ownership is the RepoTag; the name only says which
// file of a repository would declare the application.
func NameIn(prefix, uniqueName string) (string, bool) {
	name, ok := strings.CutPrefix(uniqueName, prefix)
	if !ok || !ValidName(name) {
		return "", false
	}
	return name, true
}

// ValidName reports whether s is a registration name: [a-z0-9-], 3–64.
func ValidName(s string) bool {
	if len(s) < 3 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// RepoOf returns the repository an application's tags name as its owner,
// or "" when they name none. An application with two ownership tags (made
// by hand) is owned by none of them.
func RepoOf(tags []string) string {
	owner := ""
	for _, t := range tags {
		if len(t) > len(RepoTagPrefix) && strings.EqualFold(t[:len(RepoTagPrefix)], RepoTagPrefix) {
			if owner != "" {
				return ""
			}
			owner = strings.ToLower(t[len(RepoTagPrefix):])
		}
	}
	return owner
}

// Audience values are Graph's signInAudience values.
const (
	AudienceMyOrg                    = "AzureADMyOrg"
	AudienceMultipleOrgs             = "AzureADMultipleOrgs"
	AudienceMultipleOrgsAndPersonal  = "AzureADandPersonalMicrosoftAccount"
	AudiencePersonalMicrosoftAccount = "PersonalMicrosoftAccount"
)

// Audiences lists the valid signInAudience values in documentation order.
var Audiences = []string{AudienceMyOrg, AudienceMultipleOrgs, AudienceMultipleOrgsAndPersonal, AudiencePersonalMicrosoftAccount}

// Set is a collection of registrations, desired or observed, ordered by Name.
type Set struct {
	Registrations []*Registration
}

// Get returns the registration with the given name, or nil.
func (s *Set) Get(name string) *Registration {
	for _, r := range s.Registrations {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Registration is one app registration: the application object, its service
// principal (enterprise application) and its credentials.
//
// Name is the key from the file; UniqueName is Settings.NamePrefix + Name and
// is the application's uniqueName in the tenant. Source is where a desired
// registration was declared (empty for observed ones).
type Registration struct {
	Name        string `json:"name"`
	UniqueName  string `json:"uniqueName"`
	DisplayName string `json:"displayName"`
	Source      Pos    `json:"-"`

	// Adopt, in a desired registration, names an existing application to take
	// over (README, "Adopting existing apps").
	Adopt *Adopt `json:"adopt,omitempty"`

	Description                *string           `json:"description,omitempty"`
	Notes                      *string           `json:"notes,omitempty"`
	ServiceManagementReference *string           `json:"serviceManagementReference,omitempty"`
	Audience                   *string           `json:"audience,omitempty"`
	Owners                     []Owner           `json:"owners,omitempty"`
	Tags                       []string          `json:"tags,omitempty"`
	IdentifierURIs             []string          `json:"identifierUris,omitempty"`
	Web                        *Web              `json:"web,omitempty"`
	SPA                        *SPA              `json:"spa,omitempty"`
	PublicClient               *PublicClient     `json:"publicClient,omitempty"`
	API                        *API              `json:"api,omitempty"`
	AppRoles                   []AppRole         `json:"appRoles,omitempty"`
	Permissions                []Permission      `json:"permissions,omitempty"`
	OptionalClaims             *OptionalClaims   `json:"optionalClaims,omitempty"`
	GroupMembershipClaims      *string           `json:"groupMembershipClaims,omitempty"`
	Info                       *Info             `json:"info,omitempty"`
	InstanceLock               *bool             `json:"instanceLock,omitempty"`
	ServicePrincipal           *ServicePrincipal `json:"servicePrincipal,omitempty"`
	Credentials                *Credentials      `json:"credentials,omitempty"`
	// Advice silences advice (AR001…) for this registration.
	Advice *AdviceSettings `json:"advice,omitempty"`

	// Observed holds what only the tenant knows. It is nil for desired
	// registrations.
	Observed *Observed `json:"observed,omitempty"`
}

// Adopt names an existing application to take over.
type Adopt struct {
	AppID string `json:"appId"`
}

// Pos is a position in a source file. Line and Column are 1-based; zero
// means unknown.
type Pos struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// OwnerKind says what kind of directory object an owner is.
type OwnerKind string

const (
	OwnerUser             OwnerKind = "user"
	OwnerServicePrincipal OwnerKind = "servicePrincipal"
)

// Owner is an owner of the application. Ref is the reference as written:
// a user principal name, an object id, or "sp:<appId>" for a service
// principal. ID is the directory object id once resolved.
type Owner struct {
	Ref    string    `json:"ref"`
	Kind   OwnerKind `json:"kind"`
	ID     string    `json:"id,omitempty"`
	Source Pos       `json:"-"`
}

// Web is the application's web platform configuration.
type Web struct {
	HomePageURL   *string        `json:"homePageUrl,omitempty"`
	LogoutURL     *string        `json:"logoutUrl,omitempty"`
	RedirectURIs  []string       `json:"redirectUris,omitempty"`
	ImplicitGrant *ImplicitGrant `json:"implicitGrant,omitempty"`
}

// ImplicitGrant is web.implicitGrantSettings.
type ImplicitGrant struct {
	AccessTokens *bool `json:"accessTokens,omitempty"`
	IDTokens     *bool `json:"idTokens,omitempty"`
}

// SPA is the single-page application platform configuration.
type SPA struct {
	RedirectURIs []string `json:"redirectUris,omitempty"`
}

// PublicClient is the public (mobile/desktop) client configuration;
// AllowPublicClientFlows is the application's isFallbackPublicClient.
type PublicClient struct {
	RedirectURIs           []string `json:"redirectUris,omitempty"`
	AllowPublicClientFlows *bool    `json:"allowPublicClientFlows,omitempty"`
}

// API is what the application exposes as a resource.
type API struct {
	AccessTokenVersion *int               `json:"accessTokenVersion,omitempty"`
	Scopes             []Scope            `json:"scopes,omitempty"`
	AuthorizedClients  []AuthorizedClient `json:"authorizedClients,omitempty"`
}

// Consent values say who may consent to a delegated scope.
const (
	ConsentAdmin = "admin"
	ConsentUser  = "user"
)

// Scope is a delegated permission the application exposes
// (api.oauth2PermissionScopes). ID is Graph's id; a desired scope has one only
// when the planner assigned or matched it. Enabled is nil in desired scopes
// (appreg enables every declared scope).
type Scope struct {
	Value                   string `json:"value"`
	Consent                 string `json:"consent,omitempty"`
	AdminConsentDisplayName string `json:"adminConsentDisplayName,omitempty"`
	AdminConsentDescription string `json:"adminConsentDescription,omitempty"`
	UserConsentDisplayName  string `json:"userConsentDisplayName,omitempty"`
	UserConsentDescription  string `json:"userConsentDescription,omitempty"`
	ID                      string `json:"id,omitempty"`
	Enabled                 *bool  `json:"enabled,omitempty"`
	Source                  Pos    `json:"-"`
}

// AuthorizedClient is a pre-authorized client application
// (api.preAuthorizedApplications). Client is as written (alias, appId or a
// registration name); AppID is the resolved application id.
type AuthorizedClient struct {
	Client string   `json:"client"`
	AppID  string   `json:"appId,omitempty"`
	Scopes []string `json:"scopes"`
	Source Pos      `json:"-"`
}

// Member types an app role may be assigned to.
const (
	MemberUser        = "User"
	MemberApplication = "Application"
)

// AppRole is a role the application defines.
type AppRole struct {
	Value              string   `json:"value"`
	DisplayName        string   `json:"displayName"`
	Description        string   `json:"description,omitempty"`
	AllowedMemberTypes []string `json:"allowedMemberTypes"`
	ID                 string   `json:"id,omitempty"`
	Enabled            *bool    `json:"enabled,omitempty"`
	Source             Pos      `json:"-"`
}

// Permission is the set of permissions requested on one resource API
// (requiredResourceAccess), by name. API is the reference as written (a
// well-known alias, an appId, or another registration's name); ResourceAppID
// is the resolved application id when known.
//
// AdminConsent is whether tenant-wide consent is managed and granted. In an
// observed registration Consented* hold what is actually granted.
type Permission struct {
	API                  string   `json:"api"`
	ResourceAppID        string   `json:"resourceAppId,omitempty"`
	Delegated            []string `json:"delegated,omitempty"`
	Application          []string `json:"application,omitempty"`
	AdminConsent         *bool    `json:"adminConsent,omitempty"`
	ConsentedDelegated   []string `json:"consentedDelegated,omitempty"`
	ConsentedApplication []string `json:"consentedApplication,omitempty"`
	Source               Pos      `json:"-"`
}

// OptionalClaims are the optional claims per token type.
type OptionalClaims struct {
	IDToken     []OptionalClaim `json:"idToken,omitempty"`
	AccessToken []OptionalClaim `json:"accessToken,omitempty"`
	SAML2Token  []OptionalClaim `json:"saml2Token,omitempty"`
}

// OptionalClaim is one optional claim.
type OptionalClaim struct {
	Name                 string   `json:"name"`
	Source               *string  `json:"source,omitempty"`
	Essential            *bool    `json:"essential,omitempty"`
	AdditionalProperties []string `json:"additionalProperties,omitempty"`
}

// Info is the application's informational URLs.
type Info struct {
	MarketingURL        *string `json:"marketingUrl,omitempty"`
	PrivacyStatementURL *string `json:"privacyStatementUrl,omitempty"`
	SupportURL          *string `json:"supportUrl,omitempty"`
	TermsOfServiceURL   *string `json:"termsOfServiceUrl,omitempty"`
}

// ServicePrincipal is the enterprise application. Create is nil or true to
// create it, false to leave the application without one.
type ServicePrincipal struct {
	Create             *bool    `json:"create,omitempty"`
	AssignmentRequired *bool    `json:"assignmentRequired,omitempty"`
	Tags               []string `json:"tags,omitempty"`
	NotificationEmails []string `json:"notificationEmails,omitempty"`
	// Assignments, MemberOf and AzureRoles are who may use the app and what
	// it may touch (access.go); nil means unmanaged.
	Assignments []Assignment      `json:"assignments,omitempty"`
	MemberOf    []GroupMembership `json:"memberOf,omitempty"`
	AzureRoles  []AzureRole       `json:"azureRoles,omitempty"`
}

// Credentials are the application's federated and password credentials.
type Credentials struct {
	Federated []FederatedCredential `json:"federated,omitempty"`
	Secrets   []Secret              `json:"secrets,omitempty"`
}

// GitHubIssuer is the issuer of GitHub Actions OIDC tokens.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

// TokenExchangeAudience is the audience Entra expects in federated tokens.
const TokenExchangeAudience = "api://AzureADTokenExchange"

// FederatedCredential is a federated identity credential. The `github:`
// shorthand of the file format is resolved to Issuer and Subject by the
// loader.
type FederatedCredential struct {
	Name        string   `json:"name"`
	Issuer      string   `json:"issuer"`
	Subject     string   `json:"subject"`
	Audiences   []string `json:"audiences"`
	Description *string  `json:"description,omitempty"`
	Source      Pos      `json:"-"`
}

// Secret is a client secret appreg creates, rotates and delivers. Only its
// policy lives here: the value never enters the domain model.
type Secret struct {
	Name         string        `json:"name"`
	Lifetime     time.Duration `json:"lifetime"`
	RotateBefore time.Duration `json:"rotateBefore"`
	Overlap      time.Duration `json:"overlap"`
	Deliver      []Delivery    `json:"deliver,omitempty"`
	Source       Pos           `json:"-"`
}

// DeliveryKind is where a secret value is written.
type DeliveryKind string

const (
	DeliverRepo        DeliveryKind = "repository"
	DeliverEnvironment DeliveryKind = "environment"
	DeliverOrg         DeliveryKind = "organization"
)

// Delivery is one GitHub Actions secret a client secret is written to.
// Repo is "owner/name" for repository and environment secrets; Org,
// Visibility (all, private, selected) and Repos (names within Org) are for
// organisation secrets.
type Delivery struct {
	Kind        DeliveryKind `json:"kind"`
	Repo        string       `json:"repo,omitempty"`
	Environment string       `json:"environment,omitempty"`
	Org         string       `json:"org,omitempty"`
	Secret      string       `json:"secret"`
	Visibility  string       `json:"visibility,omitempty"`
	Repos       []string     `json:"repos,omitempty"`
}

// String names the target without any value, e.g.
// "contoso/payments environment production secret AZURE_CLIENT_SECRET".
func (d Delivery) String() string {
	switch d.Kind {
	case DeliverEnvironment:
		return d.Repo + " environment " + d.Environment + " secret " + d.Secret
	case DeliverOrg:
		return "org " + d.Org + " secret " + d.Secret
	default:
		return d.Repo + " secret " + d.Secret
	}
}

// Observed is the part of a registration only the tenant knows.
type Observed struct {
	ObjectID string `json:"objectId"`
	AppID    string `json:"appId"`
	Managed  bool   `json:"managed"` // carries MarkerTag
	// Repository is the repository the application's ownership tag names
	// (RepoTag), empty when it has none.
	Repository string `json:"repository,omitempty"`
	// Owned reports that Repository is the repository the run acts for:
	// only then may the run change, rotate or delete the application
	// without adopting it first.
	Owned bool `json:"owned,omitempty"`
	// ServicePrincipalID is the object id of the service principal, empty
	// when there is none.
	ServicePrincipalID string `json:"servicePrincipalId,omitempty"`
	// Passwords is the metadata of every password credential; never values.
	Passwords []PasswordCredential `json:"passwords,omitempty"`
}

// PasswordCredential is the metadata of a client secret. Graph returns the
// value only once, from addPassword, and it never enters this type.
type PasswordCredential struct {
	KeyID       string    `json:"keyId"`
	DisplayName string    `json:"displayName"`
	Hint        string    `json:"hint,omitempty"`
	Start       time.Time `json:"startDateTime"`
	End         time.Time `json:"endDateTime"`
}

// ResourceAccess is the permissions an application requests on one resource
// API, resolved to ids (requiredResourceAccess). ResourceAppID is empty when
// the resource is a registration created in the same run, named by
// Registration; apply fills it in once that application exists.
type ResourceAccess struct {
	ResourceAppID string
	Registration  string
	Items         []AccessItem
}

// AccessItem is one resolved permission: Type is "Role" for an application
// permission and "Scope" for a delegated one, as in requiredResourceAccess.
type AccessItem struct {
	ID    string
	Type  string
	Value string
}
