// Package emulator is an in-memory Microsoft Entra ID tenant behind a real
// HTTPS server: the Microsoft Graph v1.0 endpoints appreg uses (applications,
// service principals, federated credentials, owners, consent grants, users,
// deleted items, $batch) and the token endpoint of the Microsoft identity
// platform, speaking the wire format exactly as msgraph-sdk-go and azidentity
// send and expect it (gzip request bodies, OData errors, absolute
// @odata.nextLink, alternate keys, upsert 201/204, $batch with dependsOn).
//
// It also serves Terraform's azuread provider (go-azure-sdk): the cloud
// metadata endpoint it is pointed at (/metadata/endpoints), tokens for the
// emulator's own host as scope, /beta with the same objects plus the
// beta-only properties the provider reads, owners@odata.bind on create and
// service principal owners (terraform_test.go replays its requests).
//
// It is as strict as Graph: it enforces the permissions in the caller's
// token (roles, or scp for a signed-in user), with the operator holding
// LeastPrivilegeRoles unless told otherwise, and the rules of Graph that
// appreg depends on (docs/graph-behaviour.md), each written from Graph's
// documentation and cited where it is enforced.
//
// It serves tests, `appreg emulator` and `appreg demo`. It injects faults on
// demand (latency, 429 with Retry-After, 503, replication lag, one-off
// failures), counts requests for benchmarks, and is safe for concurrent use.
// It speaks JSON itself with net/http and encoding/json and never imports
// msgraph-sdk-go, so it compiles in seconds.
//
// Graph reference: https://learn.microsoft.com/graph/api/resources/application
// and the wire facts in reference/apis.md of the design notes.
package emulator
