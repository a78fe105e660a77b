package gh

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/google/go-github/v62/github"
)

// Limits of DownloadTree: a repository of registration files is small, and
// a server must not fill its disk with someone else's monorepo.
const (
	maxTreeBytes = 256 << 20 // all files, uncompressed
	maxTreeFiles = 100_000
)

// DownloadTree writes the files of repo ("owner/name") at commit sha into
// dir (which must exist), from the tarball GitHub serves for it. The
// tarball's top-level folder ("owner-name-sha/") is stripped. Only regular
// files and folders are written; links and entries that would land outside
// dir are refused, and so is a tree larger than 256 MiB or 100,000 files.
//
// See https://docs.github.com/rest/repos/contents#download-a-repository-archive-tar.
func (c *Client) DownloadTree(ctx context.Context, repo, sha, dir string) error {
	if err := c.downloadTree(ctx, repo, sha, dir); err != nil {
		return fmt.Errorf("downloading %s at %s: %w", repo, sha, err)
	}
	return nil
}

func (c *Client) downloadTree(ctx context.Context, repo, sha, dir string) error {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return err
	}
	if sha == "" {
		return errors.New("no commit given")
	}
	var link string
	err = c.call(ctx, func() (*github.Response, error) {
		u, resp, err := c.gh.Repositories.GetArchiveLink(ctx, owner, name, github.Tarball, &github.RepositoryContentGetOptions{Ref: sha}, 0)
		if err == nil {
			link = u.String()
		}
		return resp, err
	})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return err
	}
	resp, err := c.gh.Client().Do(req)
	if err != nil {
		return redactURL(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the archive download answered %s", resp.Status)
	}
	return untar(resp.Body, dir)
}

// untar extracts a gzipped tarball into dir, stripping its top-level
// folder, with the guards DownloadTree documents.
func untar(r io.Reader, dir string) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("reading the archive: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var total int64
	files := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the archive: %w", err)
		}
		// Strip the top-level folder GitHub puts everything in.
		_, rel, ok := strings.Cut(strings.TrimPrefix(h.Name, "./"), "/")
		rel = strings.TrimSuffix(rel, "/")
		if !ok || rel == "" {
			continue
		}
		if !filepath.IsLocal(rel) || path.Clean(rel) != rel {
			return fmt.Errorf("the archive entry %q leaves the tree", h.Name)
		}
		target := filepath.Join(dir, filepath.FromSlash(rel))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			files++
			total += h.Size
			if files > maxTreeFiles || total > maxTreeBytes {
				return fmt.Errorf("the tree is larger than %d MiB or %d files", maxTreeBytes>>20, maxTreeFiles)
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, io.LimitReader(tr, h.Size))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		default:
			// Symbolic links, hard links, devices: a plan reads only
			// regular files, and a link could point outside dir.
		}
	}
}

// redactURL removes the query from the URL a transport error names: the
// archive link GitHub redirects to carries a download token there, and the
// error ends up in logs.
func redactURL(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil {
		return fmt.Errorf("%s (archive link): %w", ue.Op, ue.Err)
	}
	u.RawQuery, u.User, u.Fragment = "", nil, ""
	return &url.Error{Op: ue.Op, URL: u.String() + "?(redacted)", Err: ue.Err}
}
