package emulator

// Templates of the JSON forms Graph v1.0 returns, with every property at its
// default: null for unset scalars, [] for empty collections. The key sets
// double as the known properties for $select and for rejecting unknown
// properties on writes.

func infoTemplate() map[string]any {
	return map[string]any{
		"logoUrl": nil, "marketingUrl": nil, "privacyStatementUrl": nil,
		"supportUrl": nil, "termsOfServiceUrl": nil,
	}
}

func verifiedPublisherTemplate() map[string]any {
	return map[string]any{"displayName": nil, "verifiedPublisherId": nil, "addedDateTime": nil}
}

// applicationTemplate is a new application as GET returns it.
func applicationTemplate() map[string]any {
	return map[string]any{
		"id":                                nil,
		"deletedDateTime":                   nil,
		"appId":                             nil,
		"applicationTemplateId":             nil,
		"disabledByMicrosoftStatus":         nil,
		"createdDateTime":                   nil,
		"displayName":                       nil,
		"description":                       nil,
		"groupMembershipClaims":             nil,
		"identifierUris":                    []any{},
		"isDeviceOnlyAuthSupported":         nil,
		"isFallbackPublicClient":            nil,
		"nativeAuthenticationApisEnabled":   nil,
		"notes":                             nil,
		"publisherDomain":                   nil,
		"serviceManagementReference":        nil,
		"signInAudience":                    "AzureADMyOrg",
		"tags":                              []any{},
		"tokenEncryptionKeyId":              nil,
		"uniqueName":                        nil,
		"samlMetadataUrl":                   nil,
		"defaultRedirectUri":                nil,
		"certification":                     nil,
		"optionalClaims":                    nil,
		"servicePrincipalLockConfiguration": nil,
		"requestSignatureVerification":      nil,
		"addIns":                            []any{},
		"api": map[string]any{
			"acceptMappedClaims":          nil,
			"knownClientApplications":     []any{},
			"requestedAccessTokenVersion": nil,
			"oauth2PermissionScopes":      []any{},
			"preAuthorizedApplications":   []any{},
		},
		"appRoles":       []any{},
		"info":           infoTemplate(),
		"keyCredentials": []any{},
		"parentalControlSettings": map[string]any{
			"countriesBlockedForMinors": []any{},
			"legalAgeGroupRule":         "Allow",
		},
		"passwordCredentials":    []any{},
		"publicClient":           map[string]any{"redirectUris": []any{}},
		"requiredResourceAccess": []any{},
		"verifiedPublisher":      verifiedPublisherTemplate(),
		"web": map[string]any{
			"homePageUrl":         nil,
			"logoutUrl":           nil,
			"redirectUris":        []any{},
			"redirectUriSettings": []any{},
			"implicitGrantSettings": map[string]any{
				"enableAccessTokenIssuance": false,
				"enableIdTokenIssuance":     false,
			},
		},
		"spa":     map[string]any{"redirectUris": []any{}},
		"windows": nil,
	}
}

var applicationProps = keysOf(applicationTemplate())

// applicationReadOnly are the application properties a client cannot write
// (apis.md §1); uniqueName is handled apart (settable once, while null).
var applicationReadOnly = map[string]bool{
	"id": true, "appId": true, "applicationTemplateId": true, "createdDateTime": true,
	"deletedDateTime": true, "publisherDomain": true, "disabledByMicrosoftStatus": true,
	"certification": true, "verifiedPublisher": true, "passwordCredentials": true,
}

// nestedTemplates are the known keys of complex values, by property path;
// collection items are named with "[]".
var nestedTemplates = map[string]map[string]any{
	"api":                             applicationTemplate()["api"].(map[string]any),
	"info":                            infoTemplate(),
	"parentalControlSettings":         applicationTemplate()["parentalControlSettings"].(map[string]any),
	"publicClient":                    {"redirectUris": []any{}},
	"spa":                             {"redirectUris": []any{}},
	"web":                             applicationTemplate()["web"].(map[string]any),
	"web/implicitGrantSettings":       {"enableAccessTokenIssuance": false, "enableIdTokenIssuance": false},
	"web/redirectUriSettings[]":       {"uri": nil, "index": nil},
	"windows":                         {"redirectUris": []any{}, "packageSid": nil},
	"appRoles[]":                      appRoleTemplate(),
	"api/oauth2PermissionScopes[]":    scopeTemplate(),
	"api/preAuthorizedApplications[]": {"appId": nil, "delegatedPermissionIds": []any{}},
	"requiredResourceAccess[]":        {"resourceAppId": nil, "resourceAccess": []any{}},
	"requiredResourceAccess[]/resourceAccess[]": {"id": nil, "type": nil},
	"keyCredentials[]": {
		"customKeyIdentifier": nil, "displayName": nil, "endDateTime": nil, "key": nil,
		"keyId": nil, "startDateTime": nil, "type": nil, "usage": nil,
	},
	"optionalClaims":               {"accessToken": []any{}, "idToken": []any{}, "saml2Token": []any{}},
	"optionalClaims/accessToken[]": optionalClaimTemplate(),
	"optionalClaims/idToken[]":     optionalClaimTemplate(),
	"optionalClaims/saml2Token[]":  optionalClaimTemplate(),
	"servicePrincipalLockConfiguration": {
		"isEnabled": nil, "allProperties": nil, "credentialsWithUsageVerify": nil,
		"credentialsWithUsageSign": nil, "identifierUris": nil, "tokenEncryptionKeyId": nil,
	},
	"requestSignatureVerification": {"allowedWeakAlgorithms": nil, "isSignedRequestRequired": nil},
}

func appRoleTemplate() map[string]any {
	return map[string]any{
		"allowedMemberTypes": []any{}, "description": nil, "displayName": nil,
		"id": nil, "isEnabled": true, "origin": "Application", "value": nil,
	}
}

func scopeTemplate() map[string]any {
	return map[string]any{
		"adminConsentDescription": nil, "adminConsentDisplayName": nil, "id": nil,
		"isEnabled": true, "type": "User", "userConsentDescription": nil,
		"userConsentDisplayName": nil, "value": nil,
	}
}

func optionalClaimTemplate() map[string]any {
	return map[string]any{"additionalProperties": []any{}, "essential": false, "name": nil, "source": nil}
}

// servicePrincipalTemplate is a new service principal as GET returns it.
func servicePrincipalTemplate() map[string]any {
	return map[string]any{
		"id":                                     nil,
		"deletedDateTime":                        nil,
		"accountEnabled":                         true,
		"alternativeNames":                       []any{},
		"appDisplayName":                         nil,
		"appDescription":                         nil,
		"appId":                                  nil,
		"applicationTemplateId":                  nil,
		"appOwnerOrganizationId":                 nil,
		"appRoleAssignmentRequired":              false,
		"description":                            nil,
		"disabledByMicrosoftStatus":              nil,
		"displayName":                            nil,
		"homepage":                               nil,
		"loginUrl":                               nil,
		"logoutUrl":                              nil,
		"notes":                                  nil,
		"notificationEmailAddresses":             []any{},
		"preferredSingleSignOnMode":              nil,
		"preferredTokenSigningKeyThumbprint":     nil,
		"publisherName":                          nil,
		"replyUrls":                              []any{},
		"resourceSpecificApplicationPermissions": []any{},
		"samlSingleSignOnSettings":               nil,
		"servicePrincipalNames":                  []any{},
		"servicePrincipalType":                   "Application",
		"signInAudience":                         nil,
		"tags":                                   []any{},
		"tokenEncryptionKeyId":                   nil,
		"addIns":                                 []any{},
		"appRoles":                               []any{},
		"endpoints":                              []any{},
		"info":                                   infoTemplate(),
		"keyCredentials":                         []any{},
		"oauth2PermissionScopes":                 []any{},
		"passwordCredentials":                    []any{},
		"verifiedPublisher":                      verifiedPublisherTemplate(),
	}
}

var servicePrincipalProps = keysOf(servicePrincipalTemplate())

// servicePrincipalWritable are the properties POST and PATCH accept (appId
// only on POST, or equal to the key on an upsert).
var servicePrincipalWritable = map[string]bool{
	"accountEnabled": true, "alternativeNames": true, "appRoleAssignmentRequired": true,
	"description": true, "displayName": true, "homepage": true, "loginUrl": true,
	"logoutUrl": true, "notes": true, "notificationEmailAddresses": true,
	"preferredSingleSignOnMode": true, "preferredTokenSigningKeyThumbprint": true,
	"replyUrls": true, "samlSingleSignOnSettings": true, "servicePrincipalNames": true,
	"tags": true, "tokenEncryptionKeyId": true, "addIns": true, "keyCredentials": true,
	"info": true, "appId": true,
}

// userTemplate is a user with the default v1.0 properties.
func userTemplate() map[string]any {
	return map[string]any{
		"id": nil, "businessPhones": []any{}, "displayName": nil, "givenName": nil,
		"jobTitle": nil, "mail": nil, "mobilePhone": nil, "officeLocation": nil,
		"preferredLanguage": nil, "surname": nil, "userPrincipalName": nil,
	}
}

var userProps = func() map[string]bool {
	p := keysOf(userTemplate())
	p["accountEnabled"] = true
	p["mailNickname"] = true
	return p
}()

func ficTemplate() map[string]any {
	return map[string]any{
		"id": nil, "name": nil, "issuer": nil, "subject": nil,
		"description": nil, "audiences": []any{},
	}
}

var ficProps = keysOf(ficTemplate())

func assignmentTemplate() map[string]any {
	return map[string]any{
		"id": nil, "deletedDateTime": nil, "appRoleId": nil, "createdDateTime": nil,
		"principalDisplayName": nil, "principalId": nil, "principalType": nil,
		"resourceDisplayName": nil, "resourceId": nil,
	}
}

var assignmentProps = keysOf(assignmentTemplate())

func grantTemplate() map[string]any {
	return map[string]any{
		"id": nil, "clientId": nil, "consentType": nil, "principalId": nil,
		"resourceId": nil, "scope": nil,
	}
}

var grantProps = keysOf(grantTemplate())
