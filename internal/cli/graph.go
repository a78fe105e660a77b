package cli

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/appreg/appreg/internal/graph"
)

// graphConfig is how appreg reaches Microsoft Graph.
type graphConfig struct {
	url        string
	credential azcore.TokenCredential
	transport  http.RoundTripper
	logger     *slog.Logger
	// repository is the GitHub repository ("owner/name") the run acts
	// for: the owner recorded on what it writes (graph.Options.Repository).
	repository string
}

// credential builds the Graph credential from the environment: a client
// secret or federated token file when AZURE_CLIENT_ID and AZURE_TENANT_ID
// come with one (EnvironmentCredential / WorkloadIdentityCredential), else
// DefaultAzureCredential (managed identity, Azure CLI, …) for local use.
// AZURE_AUTHORITY_HOST points it at a national cloud or the emulator; then
// instance discovery, which only Microsoft's hosts answer, is off.
func credential(getenv func(string) string) (azcore.TokenCredential, error) {
	opts, disableDiscovery, err := authority(getenv("AZURE_AUTHORITY_HOST"), "AZURE_AUTHORITY_HOST")
	if err != nil {
		return nil, err
	}
	tenant, client := getenv("AZURE_TENANT_ID"), getenv("AZURE_CLIENT_ID")
	switch {
	case tenant != "" && client != "" && getenv("AZURE_CLIENT_SECRET") != "":
		return azidentity.NewClientSecretCredential(tenant, client, getenv("AZURE_CLIENT_SECRET"), &azidentity.ClientSecretCredentialOptions{
			ClientOptions: opts, DisableInstanceDiscovery: disableDiscovery,
		})
	case tenant != "" && client != "" && getenv("AZURE_FEDERATED_TOKEN_FILE") != "":
		return azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: opts, ClientID: client, TenantID: tenant, TokenFilePath: getenv("AZURE_FEDERATED_TOKEN_FILE"),
			DisableInstanceDiscovery: disableDiscovery,
		})
	}
	return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
		ClientOptions: opts, DisableInstanceDiscovery: disableDiscovery, TenantID: tenant,
	})
}

// authority returns the client options for an authority host (empty:
// Microsoft's public cloud) and whether instance discovery, which only
// Microsoft's hosts answer, must be off. what names the setting in errors.
func authority(host, what string) (azcore.ClientOptions, bool, error) {
	if host == "" {
		return azcore.ClientOptions{}, false, nil
	}
	u, err := url.Parse(host)
	if err != nil || u.Scheme != "https" {
		return azcore.ClientOptions{}, false, fmt.Errorf("%s %q must be an https URL", what, host)
	}
	disableDiscovery := !strings.HasSuffix(u.Hostname(), ".microsoftonline.com") && !strings.HasSuffix(u.Hostname(), ".microsoftonline.us") &&
		!strings.HasSuffix(u.Hostname(), ".chinacloudapi.cn")
	return azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: host}}, disableDiscovery, nil
}

// newGraph builds the Graph client. APPREG_LAG_BACKOFF shortens the wait
// between replication-lag retries (tests and the emulator use milliseconds).
func newGraph(c graphConfig, getenv func(string) string) (*graph.Client, error) {
	opts := graph.Options{URL: c.url, Credential: c.credential, Transport: c.transport, Logger: c.logger, Repository: c.repository}
	if v := getenv("APPREG_LAG_BACKOFF"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, fmt.Errorf("APPREG_LAG_BACKOFF %q is not a duration like 50ms", v)
		}
		opts.LagBackoff = d
	}
	return graph.New(opts)
}
