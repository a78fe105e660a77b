package emulator

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultTenantID is the tenant id the emulator uses unless told otherwise.
const DefaultTenantID = "8d3d5a53-6c2c-4a6c-9b0e-4f5a2b1c9d7e"

// Options configure a new emulator.
type Options struct {
	// TenantID defaults to DefaultTenantID.
	TenantID string
	// Users are user principal names to seed as users.
	Users []string
	// Seed seeds the randomness of fault injection; 0 is a fixed default,
	// so runs are repeatable either way.
	Seed int64
	// Now is the clock (token lifetimes, secret expiry, timestamps, lag);
	// default time.Now.
	Now func() time.Time
	// Logger, when set, receives one line per request (never a body).
	Logger *slog.Logger
	// GrantRoles are Microsoft Graph application permissions the operator
	// (appreg's own identity) holds beyond LeastPrivilegeRoles.
	GrantRoles []string
}

// Credentials identify an application that can obtain tokens from the
// emulator with the client credentials flow.
type Credentials struct {
	TenantID, ClientID, ClientSecret, ServicePrincipalID string
}

// Server is a running emulator: an in-memory tenant behind an HTTPS
// listener that serves Microsoft Graph under /v1.0 and the identity platform
// (discovery and token endpoints) under /{tenant}.
type Server struct {
	tenantID string
	now      func() time.Time
	log      *slog.Logger

	ln    net.Listener
	srv   *http.Server
	url   string
	certs *certs
	http  *http.Client

	signKey *rsa.PrivateKey
	keyID   string

	mu       sync.Mutex // guards the tenant below and issued
	t        *tenant
	issued   []string
	operator Credentials
	// operatorRoles are the operator's Graph application permissions.
	operatorRoles []string

	fmu    sync.Mutex // guards faults, rules and rng
	faults Faults
	rules  []*FailRule
	rng    *rand.Rand

	smu   sync.Mutex // guards stats and total
	stats map[string]int
	total int

	closeOnce sync.Once
	closeErr  error
}

// Start starts an emulator on a random port of 127.0.0.1 with a freshly
// generated CA.
func Start(opts Options) (*Server, error) { return Listen("127.0.0.1:0", opts) }

// Listen starts an emulator on addr ("127.0.0.1:8443").
func Listen(addr string, opts Options) (*Server, error) {
	s, err := newServer(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	host, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("reading listener address: %w", err)
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	s.url = "https://" + net.JoinHostPort(host, port)
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s,
		TLSConfig:         s.certs.serverConfig(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	}
	go s.srv.ServeTLS(ln, "", "") //nolint:errcheck // ends with ErrServerClosed on Close
	return s, nil
}

func newServer(opts Options) (*Server, error) {
	if opts.TenantID == "" {
		opts.TenantID = DefaultTenantID
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c, err := newCerts()
	if err != nil {
		return nil, fmt.Errorf("starting emulator: %w", err)
	}
	key, kid, err := newSigningKey()
	if err != nil {
		return nil, fmt.Errorf("starting emulator: %w", err)
	}
	s := &Server{
		tenantID: strings.ToLower(opts.TenantID),
		now:      opts.Now,
		log:      opts.Logger,
		certs:    c,
		http:     c.client(),
		signKey:  key,
		keyID:    kid,
		rng:      newRand(opts.Seed),
		stats:    map[string]int{},
	}
	s.t = newTenant()
	s.operatorRoles = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(LeastPrivilegeRoles), opts.GrantRoles...))))
	if err := s.seed(opts.Users); err != nil {
		return nil, fmt.Errorf("seeding tenant: %w", err)
	}
	return s, nil
}

// URL returns the base URL, "https://127.0.0.1:PORT".
func (s *Server) URL() string { return s.url }

// GraphURL returns the Microsoft Graph base URL, URL()+"/v1.0".
func (s *Server) GraphURL() string { return s.url + "/v1.0" }

// AuthorityHost returns the identity platform authority host, URL()+"/".
func (s *Server) AuthorityHost() string { return s.url + "/" }

// TenantID returns the tenant id.
func (s *Server) TenantID() string { return s.tenantID }

// Client returns an HTTP client that trusts the emulator's CA.
func (s *Server) Client() *http.Client { return s.http }

// CACertPEM returns the emulator's CA certificate in PEM form.
func (s *Server) CACertPEM() []byte { return append([]byte(nil), s.certs.caPEM...) }

// Operator returns the credentials of appreg's own identity in the tenant:
// an application with a client secret whose service principal holds the
// Microsoft Graph application permissions appreg needs.
func (s *Server) Operator() Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.operator
}

// IssuedSecrets returns every secretText the emulator ever issued, so tests
// can scan logs and outputs for leaks.
func (s *Server) IssuedSecrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// Close stops the server and closes idle client connections.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := s.srv.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = s.srv.Close()
		}
		if err != nil {
			s.closeErr = fmt.Errorf("closing emulator: %w", err)
		}
		s.http.CloseIdleConnections()
	})
	return s.closeErr
}

// ServeHTTP routes a request to Microsoft Graph (/v1.0 and /beta) or the
// identity platform and cloud metadata (everything else).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var key string
	var status int
	if version, path, ok := s.splitGraphPath(r.URL.Path); ok {
		key, status = s.serveGraph(w, r, version, path)
	} else if isARMPath(r.URL.Path) {
		key, status = s.serveARM(w, r)
	} else {
		key, status = s.serveIdentity(w, r)
	}
	if s.log != nil {
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "emulator request",
			slog.String("route", key), slog.Int("status", status),
			slog.Duration("duration", time.Since(start)))
	}
}
