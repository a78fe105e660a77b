package gh_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"hash"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/gh"
	"github.com/appreg/appreg/internal/gh/ghtest"
)

func TestDownloadTree(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "/api/v3"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			t.Parallel()
			srv := ghtest.New(ghtest.WithPrefix(prefix))
			t.Cleanup(srv.Close)
			const sha = "0123456789abcdef0123456789abcdef01234567"
			files := map[string][]byte{
				"appreg.yaml":              []byte("apiVersion: appreg/v1\n"),
				"registrations/a.yaml":     []byte("name: a\n"),
				"deep/er/still/notes.txt":  []byte("x"),
				"registrations/b/c/d.yaml": nil,
			}
			srv.SetTree(repo, sha, files)
			pem := srv.AddAppKey(42)
			c, err := gh.NewInstallation(gh.Options{BaseURL: srv.URL()}, 42, 7, pem)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := c.DownloadTree(t.Context(), repo, sha, dir); err != nil {
				t.Fatal(err)
			}
			got := map[string][]byte{}
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(dir, p)
					b, _ := os.ReadFile(p)
					got[filepath.ToSlash(rel)] = b
				}
				return nil
			})
			if diff := cmp.Diff(files, got, cmp.Comparer(bytes.Equal)); diff != "" {
				t.Errorf("tree (-want +got):\n%s", diff)
			}
			for _, r := range srv.Requests() {
				if !strings.Contains(r.Path, "/access_tokens") && !strings.HasPrefix(r.Authorization, "token ghs_") {
					t.Errorf("%s %s authorised with %q, want an installation token", r.Method, r.Path, r.Authorization)
				}
			}
			tok, err := c.Token(t.Context())
			if err != nil || !strings.HasPrefix(tok, "ghs_") {
				t.Errorf("Token = %q, %v; want an installation token", tok, err)
			}
			if err := c.DownloadTree(t.Context(), repo, "feedface", t.TempDir()); err == nil || !strings.Contains(err.Error(), "404") {
				t.Errorf("an unknown commit: %v, want a 404", err)
			}
		})
	}
}

// TestDownloadTreeGuards serves hostile archives: entries that climb out of
// the folder, absolute paths and links are refused or skipped.
func TestDownloadTreeGuards(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		entries []tar.Header
		wantErr string
		want    []string
	}{
		{name: "dot dot", entries: []tar.Header{{Name: "top/../../evil", Typeflag: tar.TypeReg}}, wantErr: "leaves the tree"},
		{name: "absolute", entries: []tar.Header{{Name: "top//etc/passwd", Typeflag: tar.TypeReg}}, wantErr: "leaves the tree"},
		{name: "symlink skipped", entries: []tar.Header{{Name: "top/link", Typeflag: tar.TypeSymlink, Linkname: "/etc"}, {Name: "top/ok", Typeflag: tar.TypeReg}}, want: []string{"ok"}},
		{name: "too large", entries: []tar.Header{{Name: "top/big", Typeflag: tar.TypeReg, Size: 300 << 20}}, wantErr: "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			tw := tar.NewWriter(zw)
			for _, h := range tt.entries {
				h.Mode = 0o644
				tw.WriteHeader(&h)
			}
			tw.Close()
			zw.Close()
			data := buf.Bytes()
			if tt.name == "too large" {
				data = largeHeader(t)
			}
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "/tarball/") {
					w.Header().Set("Location", "http://"+r.Host+"/dl")
					w.WriteHeader(http.StatusFound)
					return
				}
				w.Write(data)
			}))
			t.Cleanup(api.Close)
			c, err := gh.New(gh.Options{BaseURL: api.URL, Token: "t"})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			err = c.DownloadTree(t.Context(), repo, "abc", dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				got = append(got, e.Name())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

// largeHeader is a tarball whose one file header claims 300 MiB.
func largeHeader(t *testing.T) []byte {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	tw.WriteHeader(&tar.Header{Name: "top/big", Typeflag: tar.TypeReg, Size: 300 << 20, Mode: 0o644})
	// Only the header: the extractor must refuse before reading the body.
	raw := tarBuf.Bytes()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	return buf.Bytes()
}

func TestVerifyWebhook(t *testing.T) {
	t.Parallel()
	secret := []byte("s3cret")
	body := []byte(`{"zen":"Keep it logically awesome."}`)
	sign := func(key, b []byte) string {
		m := hmac.New(sha256.New, key)
		m.Write(b)
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	tests := []struct {
		name      string
		signature string
		secret    []byte
		wantErr   bool
	}{
		{name: "good", signature: sign(secret, body), secret: secret},
		{name: "wrong secret", signature: sign([]byte("other"), body), secret: secret, wantErr: true},
		{name: "missing", signature: "", secret: secret, wantErr: true},
		{name: "garbage", signature: "sha256=zz", secret: secret, wantErr: true},
		{name: "no secret configured", signature: sign(nil, body), secret: nil, wantErr: true},
		{name: "sha1 in the sha256 header", signature: signWith(sha1.New, "sha1=", secret, body), secret: secret, wantErr: true},
		{name: "sha512 in the sha256 header", signature: signWith(sha512.New, "sha512=", secret, body), secret: secret, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-GitHub-Event", "ping")
			r.Header.Set("X-GitHub-Delivery", "d-1")
			if tt.signature != "" {
				r.Header.Set("X-Hub-Signature-256", tt.signature)
			}
			event, delivery, payload, err := gh.VerifyWebhook(r, tt.secret)
			if tt.wantErr {
				if !errors.Is(err, gh.ErrSignature) {
					t.Fatalf("err = %v, want ErrSignature", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if event != "ping" || delivery != "d-1" || !bytes.Equal(payload, body) {
				t.Errorf("got %q %q %q", event, delivery, payload)
			}
		})
	}
}

// signWith signs b with key as "<prefix><hex HMAC>".
func signWith(h func() hash.Hash, prefix string, key, b []byte) string {
	m := hmac.New(h, key)
	m.Write(b)
	return prefix + hex.EncodeToString(m.Sum(nil))
}
