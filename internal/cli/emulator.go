package cli

import (
	"context"
	"errors"
)

func runEmulator(ctx context.Context, e *env, args []string) error {
	return errors.New("emulator: not wired yet")
}
