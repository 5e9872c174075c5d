// Package servertest starts a real CiviQ server (SQLite in a temporary
// folder, the demo centre, a loopback port) for end-to-end tests of the
// server, the kiosk, the display and the web pages.
package servertest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/internal/config"
	"github.com/civiq/civiq/server/internal/httpapi"
	"github.com/civiq/civiq/server/internal/hub"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/internal/wiring"
	"github.com/civiq/civiq/server/protocol"
)

// AdminPassword is the admin password of every test server.
const AdminPassword = "test-admin-password"

// Options configure a test server.
type Options struct {
	// Dir is the data folder (default: t.TempDir()).
	Dir string
	// CentreFile is a centre definition (default: the demo centre).
	CentreFile string
	// Clock is injected into the server (default: the system clock).
	Clock queue.Clock
	// Hub tunes the websocket hub (ping interval, queue length).
	Hub hub.Options
	// NoRateLimits lifts the login and public rate limits (load tests).
	NoRateLimits bool
	// Log receives the server's log (default: only warnings, to t.Log).
	Log *slog.Logger
	// SessionTTL overrides how long a login lasts.
	SessionTTL time.Duration
	// Phones tunes the phones' websocket limits.
	Phones hub.TicketOptions
	// Store tunes the SQLite store (health probe interval, injected faults).
	Store sqlite.Options
	// MetricsElsewhere serves no /metrics on the main port (as with --metrics-addr).
	MetricsElsewhere bool
	// TrustProxy and PublicURL are the flags of the same names.
	TrustProxy bool
	PublicURL  string
	// WebhookBackoff shortens the wait between webhook attempts.
	WebhookBackoff func(n int) time.Duration
	// DB is a postgres:// URL: the server runs on that PostgreSQL
	// database instead of the data folder's SQLite store.
	DB string
	// BasePath serves the centre under a path prefix ("/c/huyen-a") as a
	// province's server does (wiring.Province): the API knows its prefix,
	// requests under it reach the centre with the prefix removed, and the
	// unprefixed paths keep serving it too (the shared /static/ files).
	BasePath string
}

// Server is a running test server.
type Server struct {
	// URL is the base URL, http://127.0.0.1:PORT.
	URL string
	// Dir is the data folder.
	Dir string
	// App gives tests access to the engine and store.
	App *wiring.App

	t          testing.TB
	opts       Options
	adminToken string
	addr       string
	srv        *http.Server
	ln         net.Listener
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s := &Server{t: t, opts: opts, Dir: opts.Dir, addr: "127.0.0.1:0"}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	t := s.t
	t.Helper()
	cfg := config.Config{Addr: s.addr, DataDir: s.opts.Dir, DB: s.opts.DB, CentreFile: s.opts.CentreFile, AdminPassword: AdminPassword,
		EventRetention: 90 * 24 * time.Hour, ShutdownTimeout: 5 * time.Second, TrustProxy: s.opts.TrustProxy, PublicURL: s.opts.PublicURL}
	if s.opts.MetricsElsewhere {
		cfg.MetricsAddr = "elsewhere"
	}
	ao := httpapi.Options{BasePath: s.opts.BasePath}
	if s.opts.NoRateLimits {
		ao.LoginPerMinute, ao.PublicPerSecond, ao.DevicePerSecond, ao.BookPerMinute = -1, -1, -1, -1
	}
	a, err := wiring.Open(context.Background(), cfg, s.opts.Log, wiring.Options{Clock: s.opts.Clock, Version: "test", HubOptions: s.opts.Hub, APIOptions: ao, BcryptCost: bcrypt.MinCost,
		SessionTTL: s.opts.SessionTTL, TicketOptions: s.opts.Phones, Store: s.opts.Store, WebhookBackoff: s.opts.WebhookBackoff})
	if err != nil {
		t.Fatalf("servertest: open: %v", err)
	}
	var ln net.Listener
	for i := 0; ; i++ {
		ln, err = net.Listen("tcp", s.addr)
		if err == nil || i > 50 {
			break
		}
		time.Sleep(100 * time.Millisecond) // the old socket may linger a moment after a restart
	}
	if err != nil {
		a.Close()
		t.Fatalf("servertest: listen %s: %v", s.addr, err)
	}
	s.addr = ln.Addr().String()
	s.URL = "http://" + s.addr
	s.App, s.ln = a, ln
	var h http.Handler = a.Handler()
	if b := s.opts.BasePath; b != "" {
		m := http.NewServeMux()
		m.Handle(b+"/", http.StripPrefix(b, a.Handler()))
		m.Handle("/", a.Handler())
		h = m
	}
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
}

// Stop stops the server (idempotent).
func (s *Server) Stop() {
	if s.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.t.Logf("servertest: shutdown: %v", err)
	}
	s.App.Close()
	s.srv, s.App = nil, nil
}

// Restart stops the server and starts it again on the same port and data.
func (s *Server) Restart() {
	s.Stop()
	s.start()
}

// Client returns a client with token (may be empty).
func (s *Server) Client(token string) *client.Client {
	c, err := client.New(s.URL, token)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// AdminToken returns a session token of the admin.
func (s *Server) AdminToken() string {
	s.t.Helper()
	if s.adminToken == "" {
		// Straight through auth.Authority: the HTTP login is rate-limited.
		tok, _, _, err := s.App.Auth.Login(context.Background(), "admin", AdminPassword)
		if err != nil {
			s.t.Fatalf("servertest: admin login: %v", err)
		}
		s.adminToken = tok
	}
	return s.adminToken
}

// DeviceToken registers a device ("kiosk" or "display") and returns its token.
func (s *Server) DeviceToken(kind, name string) string {
	s.t.Helper()
	d, err := s.Client(s.AdminToken()).CreateDevice(context.Background(), kind, name)
	if err != nil {
		s.t.Fatalf("servertest: create device: %v", err)
	}
	return d.Token
}

// ClerkToken sets a known password for a demo clerk (canbo1 serves q1, …)
// and returns a login token; the password is "clerk-" + username.
func (s *Server) ClerkToken(username string) string {
	s.t.Helper()
	ctx := context.Background()
	// Known password already set: a new password would end the user's
	// other sessions (tests may hold one), so log in with it.
	if tok, _, _, err := s.App.Auth.Login(ctx, username, ClerkPassword(username)); err == nil {
		return tok
	}
	u, err := s.App.Store.UserByName(ctx, username)
	if err != nil {
		s.t.Fatalf("servertest: user %s: %v", username, err)
	}
	if err := s.App.Auth.SetPassword(ctx, u.ID, ClerkPassword(username)); err != nil {
		s.t.Fatal(err)
	}
	tok, _, _, err := s.App.Auth.Login(ctx, username, ClerkPassword(username))
	if err != nil {
		s.t.Fatalf("servertest: login %s: %v", username, err)
	}
	return tok
}

// ClerkPassword is the password ClerkToken sets.
func ClerkPassword(username string) string { return "clerk-" + username }

// WriteCentre writes a centre file into dir for Options.CentreFile.
func WriteCentre(t testing.TB, dir, json string) string {
	t.Helper()
	p := filepath.Join(dir, "centre.json")
	if err := os.WriteFile(p, []byte(json), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Issue issues a ticket as admin and fails the test on error.
func (s *Server) Issue(serviceID string, priority bool) protocol.Ticket {
	s.t.Helper()
	tk, err := s.Client(s.AdminToken()).IssueTicket(context.Background(), protocol.IssueRequest{ServiceID: serviceID, Priority: priority, Lang: "vi"}, "")
	if err != nil {
		s.t.Fatalf("servertest: issue: %v", err)
	}
	return tk
}
