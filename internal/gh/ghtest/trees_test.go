package ghtest_test

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/gh/ghtest"
)

// TestTarball: the archive endpoint redirects, as GitHub does, and the
// download is a gzipped tarball of the seeded files under one top-level
// folder; both need a token; an unknown commit is 404.
func TestTarball(t *testing.T) {
	t.Parallel()
	srv := ghtest.New()
	t.Cleanup(srv.Close)
	srv.AddToken(token)
	srv.SetTree(repo, "abc123", map[string][]byte{"appreg.yaml": []byte("a"), "registrations/x.yaml": []byte("xx")})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(c *http.Client, url, tok string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if tok != "" {
			req.Header.Set("Authorization", "token "+tok)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	if resp := get(noRedirect, srv.URL()+"/repos/"+repo+"/tarball/abc123", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a token: %d", resp.StatusCode)
	}
	if resp := get(noRedirect, srv.URL()+"/repos/"+repo+"/tarball/feed", token); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown commit: %d", resp.StatusCode)
	}
	resp := get(noRedirect, srv.URL()+"/repos/"+repo+"/tarball/abc123", token)
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") == "" {
		t.Fatalf("archive link: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	dl := get(http.DefaultClient, resp.Header.Get("Location"), token)
	if dl.StatusCode != http.StatusOK {
		t.Fatalf("download: %d", dl.StatusCode)
	}
	zr, err := gzip.NewReader(dl.Body)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got = append(got, h.Name+"="+string(b))
	}
	want := []string{"contoso-payments-abc123/=", "contoso-payments-abc123/appreg.yaml=a", "contoso-payments-abc123/registrations/=", "contoso-payments-abc123/registrations/x.yaml=xx"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}
