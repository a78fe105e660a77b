package sdktest

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	msgraphcoreauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/appreg/appreg/internal/emulator"
)

const graphScope = "https://graph.microsoft.com/.default"

func init() {
	// Batch items are parsed with the registered error mappings (apis.md §8).
	msgraphgocore.RegisterError(msgraphgocore.BatchRequestErrorRegistryKey, abstractions.ErrorMappings{
		"4XX": odataerrors.CreateODataErrorFromDiscriminatorValue,
		"5XX": odataerrors.CreateODataErrorFromDiscriminatorValue,
	})
}

// env is an emulator with an SDK client authenticated as its operator.
type env struct {
	srv     *emulator.Server
	client  *msgraphsdk.GraphServiceClient
	adapter *msgraphsdk.GraphRequestAdapter
}

func start(t *testing.T, opts emulator.Options) *emulator.Server {
	t.Helper()
	srv, err := emulator.Start(opts)
	if err != nil {
		t.Fatalf("starting emulator: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// credential is a client secret credential with the emulator as authority
// (apis.md §14).
func credential(t *testing.T, srv *emulator.Server, clientID, secret string) *azidentity.ClientSecretCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(srv.TenantID(), clientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityHost()},
			Transport: srv.Client(),
			Retry:     policy.RetryOptions{MaxRetries: -1},
		},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatalf("NewClientSecretCredential: %v", err)
	}
	return cred
}

// setup starts an emulator and builds the SDK client the way internal/graph
// does (apis.md §12).
func setup(t *testing.T, opts emulator.Options) *env {
	t.Helper()
	srv := start(t, opts)
	op := srv.Operator()
	cred := credential(t, srv, op.ClientID, op.ClientSecret)
	auth, err := msgraphcoreauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, []string{graphScope}, []string{"127.0.0.1"})
	if err != nil {
		t.Fatalf("auth provider: %v", err)
	}
	middlewares := msgraphgocore.GetDefaultMiddlewaresWithOptions(&msgraphgocore.GraphClientOptions{})
	httpClient := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(srv.Client().Transport, middlewares...)}
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, httpClient)
	if err != nil {
		t.Fatalf("request adapter: %v", err)
	}
	adapter.SetBaseUrl(srv.GraphURL())
	// NewGraphServiceClient enables the backing store by writing a
	// package-level factory in kiota that every model constructor reads: it
	// races with any concurrent SDK use, so tests call setup before
	// t.Parallel.
	return &env{srv: srv, client: msgraphsdk.NewGraphServiceClient(adapter), adapter: adapter}
}

// odata returns the status and code of a Graph error, failing the test when
// err is not one.
func odata(t *testing.T, err error) (int, string, string) {
	t.Helper()
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) {
		t.Fatalf("error %v (%T) is not an ODataError", err, err)
	}
	main := oe.GetErrorEscaped()
	return oe.ResponseStatusCode, deref(main.GetCode()), deref(main.GetMessage())
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

func ctx(t *testing.T) context.Context { return t.Context() }
