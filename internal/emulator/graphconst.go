package emulator

import "regexp"

// Values of Microsoft Graph's signInAudience (resources/application:
// signInAudience), written here from Graph's documentation rather than taken
// from appreg, so that the emulator checks appreg instead of agreeing with it.
const (
	audienceMyOrg        = "AzureADMyOrg"
	audienceMultipleOrgs = "AzureADMultipleOrgs"
	audienceOrgsAndMSA   = "AzureADandPersonalMicrosoftAccount"
	audiencePersonalMSA  = "PersonalMicrosoftAccount"
	maxFederatedPerApp   = 20 // federatedidentitycredential-post: "A maximum of 20 objects can be added to an application."
)

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// isGUID reports whether s is a GUID in its 8-4-4-4-12 form (Edm.Guid).
func isGUID(s string) bool { return guidRE.MatchString(s) }
