package spec

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

const day = 24 * time.Hour

// durationUnits are the units a duration in a file may use. Go's
// time.ParseDuration has no days or weeks, which are what secret lifetimes
// are written in.
var durationUnits = map[byte]time.Duration{
	'w': 7 * day,
	'd': day,
	'h': time.Hour,
	'm': time.Minute,
	's': time.Second,
}

// maxDuration bounds parsed durations well below overflow; no setting needs
// more than a few years.
const maxDuration = 100 * 365 * day

// parseDuration parses a positive duration written as one or more
// number-unit pairs, e.g. "90d", "12h", "2w", "1d12h".
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("it is empty")
	}
	var total time.Duration
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j == i {
			return 0, fmt.Errorf("expected a number at %q", s[i:])
		}
		if j == len(s) {
			return 0, fmt.Errorf("%q has no unit", s[i:])
		}
		unit, ok := durationUnits[s[j]]
		if !ok {
			return 0, fmt.Errorf("unknown unit %q", s[j:j+1])
		}
		n, err := strconv.ParseInt(s[i:j], 10, 64)
		if err != nil || time.Duration(n) > maxDuration/unit {
			return 0, errors.New("it is too long")
		}
		total += time.Duration(n) * unit
		if total > maxDuration {
			return 0, errors.New("it is too long")
		}
		i = j + 1
	}
	if total <= 0 {
		return 0, errors.New("it must be longer than zero")
	}
	return total, nil
}

// formatDuration writes d in the units of the file format, using the
// largest units that divide it exactly ("90d", "36h", "1d30m").
func formatDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var out []byte
	for _, u := range []struct {
		c byte
		d time.Duration
	}{{'d', day}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}} {
		if n := d / u.d; n > 0 {
			out = strconv.AppendInt(out, int64(n), 10)
			out = append(out, u.c)
			d -= n * u.d
		}
	}
	if len(out) == 0 {
		return d.String()
	}
	return string(out)
}
