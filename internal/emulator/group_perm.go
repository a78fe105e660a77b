package emulator

// Group permissions, from the Microsoft Graph permissions reference and the
// API pages of each operation (enforced once the caller model lands).

func mayReadGroups(r *request) *apiError   { return nil }
func mayCreateGroup(r *request) *apiError  { return nil }
func mayWriteGroups(r *request) *apiError  { return nil }
func mayWriteMembers(r *request) *apiError { return nil }
