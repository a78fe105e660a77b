package appreg

import "strings"

// MicrosoftGraphAppID is the application id of Microsoft Graph.
const MicrosoftGraphAppID = "00000003-0000-0000-c000-000000000000"

// KnownAPIs maps the well-known aliases usable in `api:` and `client:` to
// first-party application ids.
var KnownAPIs = map[string]string{
	"microsoft-graph":        MicrosoftGraphAppID,
	"azure-cli":              "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
	"azure-powershell":       "1950a258-227b-4e31-a9cf-717495945fc2",
	"azure-resource-manager": "797f4846-ba00-4fd7-ba43-dac1f8f63013",
	"azure-key-vault":        "cfa8b339-82a2-471a-a3c9-0fc0be7a4093",
	"azure-storage":          "e406a681-f3d4-42a8-90b6-c2b029497af1",
	"azure-devops":           "499b84ac-1321-427f-aa17-267ca6975798",
	"sharepoint":             "00000003-0000-0ff1-ce00-000000000000",
	"exchange-online":        "00000002-0000-0ff1-ce00-000000000000",
	"microsoft-teams":        "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
	"power-bi":               "00000009-0000-0000-c000-000000000000",
}

// AliasFor returns the well-known alias of an application id, or "".
func AliasFor(appID string) string {
	for alias, id := range KnownAPIs {
		if strings.EqualFold(id, appID) {
			return alias
		}
	}
	return ""
}

// IsGUID reports whether s has the 8-4-4-4-12 hexadecimal form of a GUID.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
