package ghtest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"net/http"
	"sort"
	"strings"
	"time"
)

// SetTree seeds the files of repo at commit sha (paths slash-separated,
// relative to the repository root), creating the repository if needed.
// GET /repos/{owner}/{repo}/tarball/{sha} then redirects, as GitHub does, to
// a download URL that serves them as a gzipped tarball under a top-level
// folder "owner-repo-sha/".
func (s *Server) SetTree(repo, sha string, files map[string][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.addRepo(repo)
	if r.trees == nil {
		r.trees = map[string]map[string][]byte{}
	}
	cp := make(map[string][]byte, len(files))
	for k, v := range files {
		cp[k] = append([]byte(nil), v...)
	}
	r.trees[sha] = cp
}

// getTarball answers with a 302 to the download URL, like
// https://docs.github.com/rest/repos/contents#download-a-repository-archive-tar.
func (s *Server) getTarball(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rp, ok := s.repoOf(r)
	if ok {
		_, ok = rp.trees[r.PathValue("ref")]
	}
	s.mu.Unlock()
	if !ok {
		notFound(w)
		return
	}
	loc := s.apiRoot(r) + "/_codeload/" + rp.owner + "/" + rp.name + "/legacy.tar.gz/" + r.PathValue("ref")
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusFound)
}

// getCodeload serves the tarball the redirect names.
func (s *Server) getCodeload(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rp, ok := s.repoOf(r)
	var files map[string][]byte
	if ok {
		files, ok = rp.trees[r.PathValue("ref")]
	}
	s.mu.Unlock()
	if !ok {
		notFound(w)
		return
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	top := rp.owner + "-" + rp.name + "-" + r.PathValue("ref") + "/"
	now := time.Now()
	tw.WriteHeader(&tar.Header{Name: top, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: now})
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	dirs := map[string]bool{}
	for _, n := range names {
		parts := strings.Split(n, "/")
		for i := 1; i < len(parts); i++ {
			d := strings.Join(parts[:i], "/") + "/"
			if !dirs[d] {
				dirs[d] = true
				tw.WriteHeader(&tar.Header{Name: top + d, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: now})
			}
		}
		tw.WriteHeader(&tar.Header{Name: top + n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[n])), ModTime: now})
		tw.Write(files[n])
	}
	tw.Close()
	zw.Close()
	w.Header().Set("Content-Type", "application/x-gzip")
	w.Header().Set("Content-Disposition", "attachment; filename="+strings.TrimSuffix(top, "/")+".tar.gz")
	w.Write(buf.Bytes())
}
