package cli

import (
	"context"
	"flag"
	"strings"

	"github.com/appreg/appreg/internal/emulator"
)

// runEmulator serves an emulated Entra tenant until interrupted, for trying
// appreg (or any Graph client) without a tenant.
func runEmulator(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	var o emulator.RunOptions
	var users string
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:8443", "address to serve HTTPS on")
	fs.StringVar(&o.Dir, "dir", "", "directory that receives ca.pem and env (required)")
	fs.StringVar(&users, "users", "", "comma-separated user principal names to create")
	fs.DurationVar(&o.Latency, "latency", 0, "latency added to every request (e.g. 50ms)")
	fs.Float64Var(&o.ThrottleRate, "throttle-rate", 0, "fraction of requests answered 429 with Retry-After (0..1)")
	fs.DurationVar(&o.Lag, "lag", 0, "replication lag: new objects are invisible for this long (e.g. 2s)")
	fs.StringVar(&o.Stats, "stats", "", "write request counts per path as JSON to this file on exit")
	grant := fs.String("grant", "", "comma-separated Graph application permissions to grant the operator beyond the least privilege it has by default ("+strings.Join(emulator.LeastPrivilegeRoles, ", ")+"), e.g. Application.ReadWrite.All to adopt apps it does not own")
	if err := parse(fs, e, args); err != nil {
		return err
	}
	o.GrantRoles = splitList(*grant)
	if o.Dir == "" {
		return usageError("appreg emulator needs --dir DIR for the CA certificate and the env file")
	}
	o.Users = splitList(users)
	return emulator.Run(ctx, o, e.stdout)
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
