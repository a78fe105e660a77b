package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/appreg/appreg/internal/graph"
	"github.com/appreg/appreg/internal/spec"
)

// checkDomains reads the tenant's verified domains and refuses identifier
// URIs that Entra ID would refuse, before plan or apply reads or writes
// anything else. Only registrations that declare identifier URIs need it;
// without Domain.Read.All it warns and leaves the check to Graph.
func checkDomains(ctx context.Context, e *factory, g *graph.Client, loaded *spec.Result, config string) error {
	any := false
	for _, r := range loaded.Desired.Registrations {
		any = any || len(r.IdentifierURIs) > 0
	}
	if !any {
		return nil
	}
	verified, err := g.VerifiedDomains(ctx)
	if graph.IsForbidden(err) {
		fmt.Fprintln(e.stderr, "appreg: warning: cannot read the tenant's verified domains (grant Domain.Read.All): identifier URIs are checked only when they are written")
		return nil
	}
	if err != nil {
		return err
	}
	dir := filepath.Dir(config)
	return spec.CheckIdentifierURIs(loaded, loaded.Settings.TenantID, verified, func(file string) ([]byte, error) {
		return os.ReadFile(filepath.Join(dir, filepath.FromSlash(file)))
	}).Err()
}
