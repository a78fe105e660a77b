package emulator

// Group permissions, from the API pages of each operation
// (https://learn.microsoft.com/graph/api/group-list, group-get,
// group-post-groups, group-delete, group-post-members,
// group-delete-members, serviceprincipal-list-memberof) and the
// permissions reference.
var (
	groupRead    = []string{"GroupMember.Read.All", "Group.Read.All", "GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	groupCreate  = []string{"Group.Create", "Group.ReadWrite.All", "Directory.ReadWrite.All"}
	groupWrite   = []string{"Group.ReadWrite.All", "Directory.ReadWrite.All"}
	memberWrite  = []string{"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}
	spMemberRead = []string{"Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.Read.All", "Directory.ReadWrite.All"}
)

func mayIf(r *request, perms []string) *apiError {
	if r.caller.has(perms...) {
		return nil
	}
	return errDenied()
}

func mayReadGroups(r *request) *apiError   { return mayIf(r, groupRead) }
func mayCreateGroup(r *request) *apiError  { return mayIf(r, groupCreate) }
func mayWriteGroups(r *request) *apiError  { return mayIf(r, groupWrite) }
func mayWriteMembers(r *request) *apiError { return mayIf(r, memberWrite) }

// mayListMemberOf checks the caller may list what a service principal
// (Application.Read.All or higher) or user (User.Read.All or higher) is a
// member of.
func mayListMemberOf(r *request, user bool) *apiError {
	if user {
		return mayReadUsers(r)
	}
	return mayIf(r, spMemberRead)
}

// limitedGroup is a group as a caller that may not read groups sees it in
// a directoryObject collection: "only the @odata.type property for the
// object type and the id is returned, while other properties are indicated
// as null" (serviceprincipal-list-memberof).
func limitedGroup(props map[string]any) map[string]any {
	out := map[string]any{}
	for k := range props {
		out[k] = nil
	}
	out["id"] = props["id"]
	return out
}
