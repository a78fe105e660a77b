package gh_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/appreg/appreg/internal/gh"
)

// TestDownloadErrorHidesTheArchiveToken: GitHub's archive link carries a
// download token in its query; a network error on it (logged by serve)
// must not repeat it.
func TestDownloadErrorHidesTheArchiveToken(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens there any more: the download fails to connect
	const token = "GHSAT0AAAAAAD0WNL0AD70KEN"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://"+dead+"/contoso/apps/legacy.tar.gz/abc?token="+token)
		w.WriteHeader(http.StatusFound)
	}))
	t.Cleanup(api.Close)
	c, err := gh.New(gh.Options{BaseURL: api.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	err = c.DownloadTree(t.Context(), "contoso/apps", "abc", t.TempDir())
	if err == nil {
		t.Fatal("the download succeeded")
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("the error repeats the download token: %v", err)
	}
	if !strings.Contains(err.Error(), dead) {
		t.Errorf("the error %q does not name the host it failed to reach", err)
	}
}

// TestGitHubCallsTimeOut: a GitHub that stops answering fails the call
// within the client's timeout instead of holding the caller forever.
func TestGitHubCallsTimeOut(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/tarball/") {
			w.Header().Set("Location", "http://"+r.Host+"/dl")
			w.WriteHeader(http.StatusFound)
			return
		}
		<-release // the archive never comes
	}))
	t.Cleanup(func() { close(release); api.Close() })
	c, err := gh.New(gh.Options{BaseURL: api.URL, Token: "t", Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.DownloadTree(t.Context(), "contoso/apps", "abc", t.TempDir()) }()
	select {
	case err := <-done:
		// net/http says "Client.Timeout exceeded" or, when the deadline
		// fires between its checks, just "context deadline exceeded".
		if err == nil || !strings.Contains(err.Error(), "Timeout") && !strings.Contains(err.Error(), "deadline exceeded") {
			t.Errorf("got %v, want a timeout", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the download still hangs after 30s")
	}
}
