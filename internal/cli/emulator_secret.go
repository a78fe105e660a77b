package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// runEmulatorSecret prints one secret delivered to the fake GitHub of a
// running `appreg emulator --github`, decrypted by the fake: the one way a
// delivered value is shown, asked for by name, to stdout only.
func runEmulatorSecret(ctx context.Context, e *factory, args []string) error {
	fs := flag.NewFlagSet("emulator secret", flag.ContinueOnError)
	var dir, environment string
	fs.StringVar(&dir, "dir", "", "the emulator's --dir (required)")
	fs.StringVar(&environment, "environment", "", "the repository environment of an environment secret")
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stdout, "Usage: appreg emulator secret --dir DIR [--environment ENV] OWNER/REPO NAME\n       appreg emulator secret --dir DIR ORG NAME\n\nPrints the value of one Actions secret delivered to the fake GitHub of 'appreg emulator --github'.\n\nFlags:")
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return silentError{code: ExitError}
	}
	if dir == "" || fs.NArg() != 2 {
		return usageError("appreg emulator secret --dir DIR OWNER/REPO NAME (or ORG NAME)")
	}
	apiURL, err := envFileValue(filepath.Join(dir, "env"), "GITHUB_API_URL")
	if err != nil {
		return err
	}
	token, err := os.ReadFile(filepath.Join(dir, "github-reveal-token"))
	if err != nil {
		return fmt.Errorf("reading the fake GitHub's reveal token (is 'appreg emulator --github --dir %s' running?): %w", dir, err)
	}
	q := url.Values{"name": {fs.Arg(1)}}
	if owner := fs.Arg(0); strings.Contains(owner, "/") {
		q.Set("repo", owner)
		if environment != "" {
			q.Set("environment", environment)
		}
	} else {
		q.Set("org", owner)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL+"/_ghtest/secret?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("reading secret %s: %w", fs.Arg(1), err)
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reading secret %s from the fake GitHub: %w", fs.Arg(1), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading secret %s from the fake GitHub: %w", fs.Arg(1), err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		fmt.Fprintln(e.stdout, string(body))
		return nil
	case http.StatusNotFound:
		return fmt.Errorf("the fake GitHub has no secret %s of %s (was it delivered? 'appreg apply --confirm' delivers new secrets)", fs.Arg(1), fs.Arg(0))
	}
	return fmt.Errorf("reading secret %s from the fake GitHub: HTTP %d", fs.Arg(1), resp.StatusCode)
}

// envFileValue reads KEY from a KEY=value file as the emulator writes it.
func envFileValue(path, key string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+"="); ok {
			return strings.Trim(v, "'"), nil
		}
	}
	return "", fmt.Errorf("%s has no %s: start the emulator with --github", path, key)
}
