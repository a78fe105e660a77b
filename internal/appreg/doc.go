// Package appreg holds the domain model shared by every stage of appreg: the
// desired state read from registration files and the observed state read from
// Microsoft Graph are both a Set of Registrations, so that planning is a
// comparison of two values of one type.
//
// Invariant for every optional field: nil means "not managed" (appreg leaves
// whatever the tenant has), while a non-nil value is managed. For slices this
// means a nil slice is unmanaged and a non-nil empty slice ([]T{}) is managed
// and means "none". Observed registrations fill every field Graph returned, so
// their slices are non-nil even when empty.
package appreg
