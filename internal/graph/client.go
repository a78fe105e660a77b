// Package graph is appreg's adapter to Microsoft Graph, and the only package
// that imports msgraph-sdk-go. It reads the observed state of managed
// registrations with few, wide requests (paged lists with $select, $batch
// for sub-resources, each resource API's permission catalog once per run) and
// writes with idempotent operations: uniqueName upserts, owner references
// that tolerate "already exists", consent that checks before it grants.
//
// Retries: the SDK's middleware retries 429/503/504 honouring Retry-After,
// except for addPassword, which is not idempotent and is reconciled instead
// (AddPassword); this package retries the same for $batch items (which the
// SDK does not) and, with bounded backoff, the replication errors Graph
// documents: 404 or NoBackingApplicationObject right after a create, 409
// Error_MsaAppDoesNotExist after creating an app for personal accounts,
// CannotDeleteOrUpdateEnabledEntitlement right after disabling a scope or
// role (docs/graph-behaviour.md). Every other error surfaces with Graph's
// code, message and request id.
package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	msgraphauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/catalog"
)

// DefaultURL is the Microsoft Graph v1.0 endpoint of the global cloud.
const DefaultURL = "https://graph.microsoft.com/v1.0"

// Options configure a Client.
type Options struct {
	// URL is the Graph v1.0 base URL; national clouds and the emulator
	// differ from DefaultURL.
	URL string
	// Credential obtains tokens for Graph.
	Credential azcore.TokenCredential
	// Transport carries the requests (e.g. one that trusts the emulator's
	// CA); nil means http.DefaultTransport.
	Transport http.RoundTripper
	// MaxRetries bounds the SDK's retries of 429/503/504 (default 10).
	MaxRetries int
	// LagRetries bounds retries of replication lag (default 8); LagBackoff
	// is the first wait, doubled each time up to 10 s (default 1 s).
	LagRetries int
	LagBackoff time.Duration
	Logger     *slog.Logger
	// Repository is the GitHub repository ("owner/name") the client acts
	// for. Applications it writes carry its ownership tag
	// (appreg.RepoTag), and ReadManaged marks as Owned only the
	// applications tagged with it. Without it the client reads (nothing is
	// Owned) but refuses to write an application.
	Repository string
}

// Client reads and writes app registrations through Microsoft Graph.
type Client struct {
	sdk     *msgraphsdk.GraphServiceClient
	adapter *msgraphsdk.GraphRequestAdapter
	cred    azcore.TokenCredential
	scope   string
	opts    Options
	log     *slog.Logger

	mu        sync.Mutex
	resources map[string]*resource // by lower-case appId
	disabled  map[string]bool      // object ids whose scopes or roles DisableFirst disabled

	inflight chan struct{} // bounds the $batch requests in flight
	doneMu   sync.Mutex    // serialises $batch item callbacks

	userWarning sync.Once // says once that appreg signed in as a user
}

// resource is a resource API's service principal and permission catalog.
type resource struct {
	spID    string
	catalog *catalog.Catalog
}

var registerErrors = sync.OnceFunc(func() {
	msgraphgocore.RegisterError(msgraphgocore.BatchRequestErrorRegistryKey, abstractions.ErrorMappings{
		"4XX": odataerrors.CreateODataErrorFromDiscriminatorValue,
		"5XX": odataerrors.CreateODataErrorFromDiscriminatorValue,
	})
})

// New builds a Client. It does not contact Graph.
func New(o Options) (*Client, error) {
	registerErrors()
	if o.URL == "" {
		o.URL = DefaultURL
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 10
	}
	if o.LagRetries == 0 {
		o.LagRetries = 8
	}
	if o.LagBackoff == 0 {
		o.LagBackoff = time.Second
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Credential == nil {
		return nil, errors.New("graph: no credential")
	}
	u, err := url.Parse(strings.TrimSuffix(o.URL, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("graph URL %q is not an absolute URL", o.URL)
	}
	if u.Scheme != "https" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("graph URL %q must use https", o.URL)
	}
	// Tokens are for the Graph resource: a national cloud's own Graph host,
	// else (global cloud, the emulator, a proxy) graph.microsoft.com.
	scope := "https://graph.microsoft.com/.default"
	switch h := u.Hostname(); h {
	case "graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn":
		scope = "https://" + h + "/.default"
	}
	auth, err := msgraphauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(o.Credential, []string{scope}, []string{u.Hostname()})
	if err != nil {
		return nil, fmt.Errorf("creating graph authentication provider: %w", err)
	}
	middlewares, err := khttp.GetDefaultMiddlewaresWithOptions(&khttp.RetryHandlerOptions{
		MaxRetries:  o.MaxRetries,
		ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return true },
	}, khttp.NewCompressionOptionsReference(false))
	if err != nil {
		return nil, fmt.Errorf("creating graph middlewares: %w", err)
	}
	middlewares = append([]khttp.Middleware{msgraphgocore.NewGraphTelemetryHandler(&msgraphgocore.GraphClientOptions{})}, middlewares...)
	httpClient := &http.Client{
		Transport:     khttp.NewCustomTransportWithParentTransport(o.Transport, middlewares...),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       100 * time.Second,
	}
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, httpClient)
	if err != nil {
		return nil, fmt.Errorf("creating graph request adapter: %w", err)
	}
	adapter.SetBaseUrl(u.String()) // before NewGraphServiceClient, or batch URLs stay absolute
	// NewGraphServiceClient re-assigns the package-level backing store
	// factory that every model constructor reads (msgraph-sdk-go v1.89.0), a
	// data race once two clients exist. A nil factory keeps the default one.
	sdk := &msgraphsdk.GraphServiceClient{GraphBaseServiceClient: *msgraphsdk.NewGraphBaseServiceClient(adapter, nil)}
	return &Client{
		sdk: sdk, adapter: adapter,
		cred: o.Credential, scope: scope, opts: o, log: o.Logger,
		resources: map[string]*resource{},
		disabled:  map[string]bool{},
		inflight:  make(chan struct{}, batchConcurrency),
	}, nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// Self returns appreg's own service principal as an owner, from the oid
// claim of its Graph access token (no request to Graph needed).
func (c *Client) Self(ctx context.Context) (appreg.Owner, error) {
	tok, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}})
	if err != nil {
		return appreg.Owner{}, fmt.Errorf("getting a Graph token: %w", err)
	}
	var claims struct {
		OID   string `json:"oid"`
		AppID string `json:"appid"`
		AZP   string `json:"azp"`
		IDTyp string `json:"idtyp"`
		SCP   string `json:"scp"`
	}
	if err := jwtClaims(tok.Token, &claims); err != nil {
		return appreg.Owner{}, err
	}
	if claims.OID == "" {
		return appreg.Owner{}, errors.New("the Graph access token has no oid claim")
	}
	// A delegated token (Azure CLI, DefaultAzureCredential on a laptop)
	// names a user: oid is that person, not appreg's service principal
	// (access-token-claims-reference: idtyp "user", scp). appreg then keeps
	// no owner of its own: it neither labels the person sp:<appid> nor
	// makes them owner of every application it manages.
	if claims.IDTyp == "user" || claims.IDTyp == "" && claims.SCP != "" {
		c.userWarning.Do(func() {
			c.log.WarnContext(ctx, "signed in as a user, not as an application: appreg adds no owner of its own to the applications and service principals it manages (owners come from the files only); apply with an application identity to keep it an owner",
				"userObjectId", claims.OID)
		})
		return appreg.Owner{}, nil
	}
	appID := claims.AppID
	if appID == "" {
		appID = claims.AZP // v2.0 tokens
	}
	return appreg.Owner{Ref: "sp:" + appID, Kind: appreg.OwnerServicePrincipal, ID: claims.OID}, nil
}

// Error is a failed Graph request, with what Graph said about it.
type Error struct {
	Op        string // what appreg was doing
	Status    int
	Code      string
	Message   string
	RequestID string
	Err       error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	if e.Code != "" {
		b.WriteString(e.Code)
		b.WriteString(": ")
	}
	if e.Message != "" {
		b.WriteString(e.Message)
	} else if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.Status)
		if e.RequestID != "" {
			b.WriteString(", request-id " + e.RequestID)
		}
		b.WriteString(")")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// wrap turns an SDK error into an *Error naming the operation.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	e := &Error{Op: fmt.Sprintf(format, args...), Err: err}
	var odata *odataerrors.ODataError
	if errors.As(err, &odata) {
		e.Status = odata.ResponseStatusCode
		if m := odata.GetErrorEscaped(); m != nil {
			e.Code = deref(m.GetCode())
			e.Message = deref(m.GetMessage())
			if inner := m.GetInnerError(); inner != nil {
				e.RequestID = deref(inner.GetRequestId())
			}
		}
	}
	return e
}

// code returns Graph's error code of err, or "".
func code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var odata *odataerrors.ODataError
	if errors.As(err, &odata) && odata.GetErrorEscaped() != nil {
		return deref(odata.GetErrorEscaped().GetCode())
	}
	return ""
}

// status returns the HTTP status of a Graph error, or 0.
func status(err error) int {
	var e *Error
	if errors.As(err, &e) && e.Status != 0 {
		return e.Status
	}
	var odata *odataerrors.ODataError
	if errors.As(err, &odata) {
		return odata.ResponseStatusCode
	}
	return 0
}

// lagging reports whether err is what Graph answers while a just-created
// object has not replicated yet: 404 Request_ResourceNotFound for the
// object itself, NoBackingApplicationObject when creating the service
// principal of a new application (Terraform's service_principal_resource.go
// retries it), and 409 Error_MsaAppDoesNotExist when writing an application
// with a personal-account audience just created
// (hashicorp/terraform-provider-azuread#1764). Nothing else is retried.
func lagging(err error) bool {
	c := code(err)
	return c == "Request_ResourceNotFound" || c == "NoBackingApplicationObject" || status(err) == http.StatusNotFound ||
		c == "Error_MsaAppDoesNotExist" ||
		strings.Contains(strings.ToLower(errMessage(err)), "does not reference a valid application object")
}

// disabling reports whether err is Graph refusing to change a scope or app
// role that a write just disabled: the disable has not replicated yet
// (Terraform's application resource retries CannotDeleteOrUpdateEnabledEntitlement
// after disabling).
func disabling(err error) bool { return code(err) == "CannotDeleteOrUpdateEnabledEntitlement" }

func errMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}

// retryLag runs op until it succeeds, fails with something other than
// replication lag, or the bound is reached.
func (c *Client) retryLag(ctx context.Context, what string, op func() error) error {
	return c.retryWhile(ctx, what, lagging, op)
}

// retryWhile runs op until it succeeds, fails with an error retry does not
// accept, or the bound is reached.
func (c *Client) retryWhile(ctx context.Context, what string, retry func(error) bool, op func() error) error {
	wait := c.opts.LagBackoff
	var err error
	for attempt := 0; ; attempt++ {
		if err = op(); err == nil || !retry(err) || attempt >= c.opts.LagRetries {
			return err
		}
		c.log.DebugContext(ctx, "graph replication lag, retrying", "op", what, "attempt", attempt+1, "wait", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*time.Second)
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
