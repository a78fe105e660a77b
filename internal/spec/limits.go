package spec

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
)

// Size limits of the files appreg reads. A registration file is a few
// kilobytes; a pull request from anyone must not make the loader hold
// gigabytes (the YAML parser needs many times a file's size).
const (
	// DefaultMaxFileSize is limits.maxFileSize when appreg.yaml does not set it.
	DefaultMaxFileSize = 1 << 20
	// MaxMaxFileSize is the most limits.maxFileSize may be raised to.
	MaxMaxFileSize = 16 << 20
	// maxSettingsSize bounds appreg.yaml itself.
	maxSettingsSize = 1 << 20
)

// errTooLarge reports a file over its limit.
var errTooLarge = errors.New("file too large")

// readLimited reads name from fsys, refusing, before parsing, a file that
// is not a regular file or is larger than limit (as stat says, and as
// read: a file can grow between the two).
func readLimited(fsys fs.FS, name string, limit int64) ([]byte, int64, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if !info.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%w: it is not a regular file (%s)", fs.ErrInvalid, info.Mode().Type())
	}
	if info.Size() > limit {
		return nil, info.Size(), errTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, 0, err
	}
	if int64(len(data)) > limit {
		return nil, int64(len(data)), errTooLarge
	}
	return data, int64(len(data)), nil
}

// tooLarge is the diagnostic for a file over its limit.
func tooLarge(file string, size, limit int64, setting string) diag.Diagnostic {
	d := diag.Diagnostic{Severity: diag.Error, File: file,
		Summary: fmt.Sprintf("%s is %s, more than the %s a file may have", file, bytesString(size), bytesString(limit))}
	if setting != "" {
		d.Detail = fmt.Sprintf("appreg does not read it; a registration file is a few kilobytes: split it, or raise %s in appreg.yaml (at most %s)", setting, bytesString(MaxMaxFileSize))
	} else {
		d.Detail = "appreg does not read it; appreg.yaml is a few kilobytes"
	}
	return d
}

// symlinkIn returns the first element of dir (slash-separated, within
// fsys), dir itself included, that is a symbolic link, or "". A link in
// the registrations folder could point outside the repository (to a
// credentials file whose keys a plan comment would echo), so appreg never
// follows one. File systems that cannot tell links apart report none.
func symlinkIn(fsys fs.FS, dir string) string {
	rl, ok := fsys.(fs.ReadLinkFS)
	if !ok || dir == "." {
		return ""
	}
	p := ""
	for _, part := range strings.Split(dir, "/") {
		p = path.Join(p, part)
		if info, err := rl.Lstat(p); err == nil && info.Mode()&fs.ModeSymlink != 0 {
			return p
		}
	}
	return ""
}

// symlinkDiag is the diagnostic for a link where appreg reads files.
func symlinkDiag(file, settingsFile string) diag.Diagnostic {
	return diag.Diagnostic{Severity: diag.Error, File: file,
		Summary: file + " is a symbolic link",
		Detail:  "appreg reads only regular files in the registrations folder and never follows links (one could point outside the repository): replace it with the file itself, or set registrations: in " + path.Base(settingsFile) + " to the real folder"}
}

// parseSize reads a size such as 1MiB, 512KiB or 2000000 (bytes).
func parseSize(s string) (int64, error) {
	num, mult := s, int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"MiB", 1 << 20}, {"KiB", 1 << 10}, {"MB", 1000 * 1000}, {"KB", 1000}, {"B", 1}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("write a positive number of bytes with a unit, e.g. 1MiB or 512KiB")
	}
	if n > MaxMaxFileSize/mult+1 {
		return 0, fmt.Errorf("it is more than appreg's limit of %s", bytesString(MaxMaxFileSize))
	}
	return n * mult, nil
}

// bytesString writes n bytes for people: 1 MiB, 512 KiB, 1,234 bytes.
func bytesString(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// limits decodes the limits section of appreg.yaml.
func limits(d *decoder, l *object, out *appreg.Limits) {
	if s, n, ok := l.str("maxFileSize"); ok {
		size, err := parseSize(s)
		if err != nil {
			d.report(n, fmt.Sprintf("limits.maxFileSize %q is not valid: %v", s, err), "write a size such as 1MiB (the default) or 2MiB")
			return
		}
		if size > MaxMaxFileSize {
			d.report(n, fmt.Sprintf("limits.maxFileSize %s is more than appreg's limit of %s", s, bytesString(MaxMaxFileSize)), "write 16MiB or less")
			return
		}
		out.MaxFileSize = size
	}
}
