package spec

import "github.com/appreg/appreg/internal/appreg"

// kind is the YAML type a key accepts.
type kind int

const (
	kString     kind = iota + 1 // a string scalar
	kDuration                   // a string scalar such as 90d
	kBool                       // true or false
	kInt                        // an integer
	kObject                     // a mapping with known keys (null = empty)
	kStringList                 // a list of strings (null = empty list)
	kObjectList                 // a list of mappings (null = empty list)
	kStringMap                  // a mapping of arbitrary keys to strings
	kObjectMap                  // a mapping of arbitrary keys to mappings
)

// shape maps an object path to the keys it accepts and their kinds. Paths
// are dotted key names; "[]" marks the items of a list and "*" the values
// of a map with arbitrary keys. The root object has the path "".
type shape map[string]map[string]kind

// registrationShape is every key a registration file may contain. The
// decoder looks each key up here, so a key missing from this table cannot
// be decoded, and TestSchemaMatchesDecoder compares the table with the JSON
// Schema.
var registrationShape = shape{
	"": {
		"apiVersion": kString, "name": kString, "displayName": kString, "adopt": kObject,
		"description": kString, "notes": kString, "serviceManagementReference": kString,
		"audience": kString, "owners": kStringList, "tags": kStringList, "identifierUris": kStringList,
		"web": kObject, "spa": kObject, "publicClient": kObject, "api": kObject,
		"appRoles": kObjectList, "permissions": kObjectList, "optionalClaims": kObject,
		"groupMembershipClaims": kString, "info": kObject, "instanceLock": kBool,
		"servicePrincipal": kObject, "credentials": kObject, "advice": kObject,
	},
	"advice":            {"ignore": kStringList},
	"adopt":             {"appId": kString},
	"web":               {"homePageUrl": kString, "logoutUrl": kString, "redirectUris": kStringList, "implicitGrant": kObject},
	"web.implicitGrant": {"accessTokens": kBool, "idTokens": kBool},
	"spa":               {"redirectUris": kStringList},
	"publicClient":      {"redirectUris": kStringList, "allowPublicClientFlows": kBool},
	"api":               {"accessTokenVersion": kInt, "scopes": kObjectList, "authorizedClients": kObjectList},
	"api.scopes[]": {
		"value": kString, "consent": kString,
		"adminConsentDisplayName": kString, "adminConsentDescription": kString,
		"userConsentDisplayName": kString, "userConsentDescription": kString,
	},
	"api.authorizedClients[]":      {"client": kString, "scopes": kStringList},
	"appRoles[]":                   {"value": kString, "displayName": kString, "description": kString, "allowedMemberTypes": kStringList},
	"permissions[]":                {"api": kString, "delegated": kStringList, "application": kStringList, "adminConsent": kBool},
	"optionalClaims":               {"idToken": kObjectList, "accessToken": kObjectList, "saml2Token": kObjectList},
	"optionalClaims.idToken[]":     optionalClaimKeys,
	"optionalClaims.accessToken[]": optionalClaimKeys,
	"optionalClaims.saml2Token[]":  optionalClaimKeys,
	"info":                         {"marketingUrl": kString, "privacyStatementUrl": kString, "supportUrl": kString, "termsOfServiceUrl": kString},
	"servicePrincipal": {
		"create": kBool, "assignmentRequired": kBool, "tags": kStringList, "notificationEmails": kStringList,
		"assignments": kObjectList, "memberOf": kStringList, "azureRoles": kObjectList,
	},
	"servicePrincipal.assignments[]": {"group": kString, "user": kString, "role": kString},
	"servicePrincipal.azureRoles[]":  {"role": kString, "scope": kString},
	"credentials":                    {"federated": kObjectList, "secrets": kObjectList},
	"credentials.federated[]": {
		"name": kString, "github": kObject, "issuer": kString, "subject": kString,
		"audiences": kStringList, "description": kString,
	},
	"credentials.federated[].github": {
		"repo": kString, "branch": kString, "environment": kString, "pullRequest": kBool, "tag": kString,
	},
	"credentials.secrets[]": {
		"name": kString, "lifetime": kDuration, "rotateBefore": kDuration, "overlap": kDuration, "deliver": kObjectList,
	},
	"credentials.secrets[].deliver[]":        {"github": kObject, "githubOrg": kObject},
	"credentials.secrets[].deliver[].github": {"repo": kString, "environment": kString, "secret": kString},
	"credentials.secrets[].deliver[].githubOrg": {
		"org": kString, "secret": kString, "visibility": kString, "repos": kStringList,
	},
}

var optionalClaimKeys = map[string]kind{
	"name": kString, "source": kString, "essential": kBool, "additionalProperties": kStringList,
}

// settingsShape is every key appreg.yaml may contain.
var settingsShape = shape{
	"": {
		"apiVersion": kString, "tenantId": kString, "namePrefix": kString, "registrations": kString,
		"defaults": kObject, "deletion": kObject, "policy": kObject, "azure": kObject, "limits": kObject, "advice": kObject,
	},
	"azure":    {"scopes": kStringList},
	"limits":   {"maxFileSize": kString},
	"advice":   {"ignore": kStringList, "errors": kStringList},
	"defaults": {"audience": kString, "instanceLock": kBool, "owners": kStringList, "tags": kStringList},
	"deletion": {"allow": kBool, "maxPerRun": kInt},
	"policy": {
		"reviewers": kObjectMap, "require": kStringMap, "privileged": kStringList,
		"privilegedAzureRoles": kStringList, "secrets": kObject, "redirectUris": kObject,
	},
	"policy.reviewers.*":  {"teams": kStringList, "users": kStringList, "required": kInt},
	"policy.secrets":      {"maxLifetime": kDuration},
	"policy.redirectUris": {"allowHttpLocalhost": kBool},
}

// APIVersion is the only apiVersion of registration and settings files.
const APIVersion = "appreg/v1"

// Enumerated values, shared by the decoder and (through the enums table)
// checked against the JSON Schema.
var (
	consentValues         = []string{appreg.ConsentAdmin, appreg.ConsentUser}
	memberTypes           = []string{appreg.MemberUser, appreg.MemberApplication}
	visibilityValues      = []string{"all", "private", "selected"}
	groupMembershipValues = []string{"None", "SecurityGroup", "DirectoryRole", "ApplicationGroup", "All"}
	claimSourceValues     = []string{"user"}
)

// registrationEnums maps a registration key path (object path + "." + key,
// with "[]" for list items) to its allowed values.
var registrationEnums = map[string][]string{
	"apiVersion":                                           {APIVersion},
	"audience":                                             appreg.Audiences,
	"groupMembershipClaims":                                groupMembershipValues,
	"api.scopes[].consent":                                 consentValues,
	"appRoles[].allowedMemberTypes[]":                      memberTypes,
	"optionalClaims.idToken[].source":                      claimSourceValues,
	"optionalClaims.accessToken[].source":                  claimSourceValues,
	"optionalClaims.saml2Token[].source":                   claimSourceValues,
	"credentials.secrets[].deliver[].githubOrg.visibility": visibilityValues,
}

// settingsEnums is registrationEnums for appreg.yaml.
var settingsEnums = map[string][]string{
	"apiVersion":        {APIVersion},
	"defaults.audience": appreg.Audiences,
}
