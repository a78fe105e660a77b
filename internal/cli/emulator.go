package cli

import (
	"context"
	"flag"
	"strings"

	"github.com/appreg/appreg/internal/emulator"
)

// runEmulator serves an emulated Entra tenant until interrupted, for trying
// appreg (or any Graph client) without a tenant.
func runEmulator(ctx context.Context, e *factory, args []string) error {
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
	if err := parse(fs, e, args); err != nil {
		return err
	}
	if o.Dir == "" {
		return usageError("appreg emulator needs --dir DIR for the CA certificate and the env file")
	}
	for _, u := range strings.Split(users, ",") {
		if u = strings.TrimSpace(u); u != "" {
			o.Users = append(o.Users, u)
		}
	}
	return emulator.Run(ctx, o, e.stdout)
}
