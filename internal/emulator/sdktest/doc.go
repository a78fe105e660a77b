// Package sdktest holds the conformance tests of the emulator: they drive
// every endpoint through the real msgraph-sdk-go client (typed request
// builders, the page iterator, msgraph-sdk-go-core batches) authenticated by
// azidentity with the emulator as authority. It has no non-test code beyond
// this comment; it lives apart so that the emulator itself never imports
// msgraph-sdk-go and compiles in seconds.
package sdktest
