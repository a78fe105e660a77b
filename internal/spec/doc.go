// Package spec turns the files a user writes — appreg.yaml and
// registrations/<name>.yaml (README, "Files") — into the desired appreg.Set.
//
// Decoding is strict and works on yaml.v3 nodes, so that every problem is a
// diagnostic with file:line:column: unknown keys (with a suggestion for near
// misses), wrong types, duplicate keys, YAML syntax errors and extra
// documents. Validation then checks every rule of the format and reports all
// problems at once, each saying what is wrong and what to do.
//
// The decoded model follows the appreg package's invariant: a field absent
// from the file is nil (not managed); an explicit empty list or null is a
// non-nil empty slice (managed, meaning "none"). Defaults from appreg.yaml
// fill registration fields the file leaves absent.
//
// The accepted keys and enumerations live in one table (shape.go) that the
// decoder consults on every access; a test compares that table with the JSON
// Schema returned by Schema, so the two cannot drift apart.
package spec
