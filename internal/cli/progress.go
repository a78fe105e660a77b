package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/appreg/appreg/internal/appreg"
)

// progressHandler prints one line per registration as apply finishes it
// ("applied"/"apply failed" records of package apply), so that a long apply
// on a terminal shows it is moving; every record also goes to next (the -v
// log, or nowhere).
type progressHandler struct {
	next  slog.Handler
	w     io.Writer
	mu    *sync.Mutex
	attrs []slog.Attr
}

func newProgressLogger(w io.Writer, next *slog.Logger) *slog.Logger {
	return slog.New(&progressHandler{next: next.Handler(), w: w, mu: &sync.Mutex{}})
}

func (h *progressHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *progressHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "applied" || r.Message == "apply failed" {
		var reg, action string
		collect := func(a slog.Attr) bool {
			switch a.Key {
			case "registration":
				reg = a.Value.String()
			case "action":
				action = a.Value.String()
			}
			return true
		}
		for _, a := range h.attrs {
			collect(a)
		}
		r.Attrs(collect)
		mark := "✓"
		if r.Message != "applied" {
			mark = "✗"
		}
		h.mu.Lock()
		fmt.Fprintf(h.w, "  %s %s %s (%s)\n", mark, action, reg, time.Now().Format("15:04:05"))
		h.mu.Unlock()
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *progressHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &progressHandler{next: h.next.WithAttrs(as), w: h.w, mu: h.mu, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}

func (h *progressHandler) WithGroup(name string) slog.Handler {
	return &progressHandler{next: h.next.WithGroup(name), w: h.w, mu: h.mu, attrs: h.attrs}
}

// progressDeliverer prints a line per delivered secret during rotate on a
// terminal (names only, never a value).
type progressDeliverer struct {
	deliverer
	w io.Writer
}

func (d progressDeliverer) Deliver(ctx context.Context, t appreg.Delivery, v appreg.SecretValue) error {
	err := d.deliverer.Deliver(ctx, t, v)
	mark := "✓"
	if err != nil {
		mark = "✗"
	}
	where := t.Repo
	if t.Kind == appreg.DeliverOrg {
		where = t.Org
	}
	if t.Environment != "" {
		where += " environment " + t.Environment
	}
	fmt.Fprintf(d.w, "  %s delivered %s to %s (%s)\n", mark, t.Secret, where, time.Now().Format("15:04:05"))
	return err
}
