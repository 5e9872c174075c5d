// Package httpapi serves the CiviQ wire contract v1 (REST + websocket), the
// Prometheus metrics and the embedded web pages.
package httpapi

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/hub"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/webhook"
	"github.com/civiq/civiq/server/protocol"
)

// Pinger checks storage health.
type Pinger interface {
	// Health is nil while the store can commit, else a
	// protocol.CodeUnavailable error whose message is the reason.
	Health(ctx context.Context) error
}

// Options configure the API.
type Options struct {
	// PublicURL is the base of track URLs printed on tickets (e.g.
	// https://hcc.example.gov.vn); empty means the URL the request came to.
	PublicURL string
	// BasePath is the path prefix the API and pages are served under
	// ("/c/huyen-a": one centre of a province, docs/API.md "Centres");
	// empty for the unprefixed paths. The handler itself sees paths
	// without it; it shows in ticket URLs, cookies and the pages.
	BasePath string
	// TrustProxy takes the client IP from X-Real-IP (behind a reverse proxy).
	TrustProxy bool
	// LoginPerMinute limits login attempts per client IP.
	LoginPerMinute float64
	// PublicPerSecond limits anonymous requests per client IP.
	PublicPerSecond float64
	// DevicePerSecond limits requests per kiosk or display.
	DevicePerSecond float64
	// BookPerMinute limits anonymous booking creations and cancellations
	// per client IP (default 6 a minute, bursts of 5; negative: unlimited).
	BookPerMinute float64
	// Web holds the embedded pages (assets web/ folder); nil serves none.
	Web fs.FS
	// Version is reported on /api/v1/version.
	Version string
	// StorageError maps errors from storage to protocol.CodeUnavailable
	// errors (full disk, read-only database…), so that such requests
	// answer 503, never 500; nil leaves errors as they are.
	StorageError func(error) error
	// MetricsElsewhere serves no /metrics on the main handler (the server
	// serves it on --metrics-addr instead).
	MetricsElsewhere bool
	// SharedLimits, when set, holds the login and pairing-code limits'
	// buckets for every instance of the centre (the PostgreSQL store), so
	// that N instances do not allow N times as many guesses; nil: this
	// instance's own.
	SharedLimits SharedLimiter
	// WaitsRefresh is how long a rendering of the public live-waits page
	// and its JSON is served before the next (default 2 s).
	WaitsRefresh time.Duration
}

// Server is the HTTP API.
type Server struct {
	engine *queue.Engine
	auth   *auth.Authority
	users  auth.Store
	hub    *hub.Hub
	phones *hub.TicketHub // ticket-scoped websockets (phone.go); nil: none
	// reports and disruptions feed GET /api/v1/reports (reports.go); nil: none
	reports     Reports
	disruptions DisruptionLister
	webhooks    *webhook.Dispatcher // webhooks.go; nil: none
	store       Pinger
	log         *slog.Logger
	opts        Options
	clock       queue.Clock

	m         *metrics
	reg       *prometheus.Registry
	loginLim  *limiter
	publicLim *limiter
	deviceLim *limiter
	bookLim   *limiter
	// The public live-waits page (waits.go): its cache, the history its
	// usual waits come from (nil: none) and its per-address limit.
	waits       waitsCache
	waitHistory WaitSampler
	waitsLim    *limiter
	pairs       *pairings // one-time pairing codes (pairing.go)
	beats       beats     // the last heartbeat of each device, to tell admins of changes
	mux         *http.ServeMux
}

// New returns the API server.
func New(engine *queue.Engine, authSvc *auth.Authority, users auth.Store, h *hub.Hub, store Pinger, clock queue.Clock, log *slog.Logger, opts Options) *Server {
	if opts.LoginPerMinute == 0 {
		opts.LoginPerMinute = 10
	}
	if opts.PublicPerSecond == 0 {
		opts.PublicPerSecond = 20
	}
	if opts.WaitsRefresh <= 0 {
		opts.WaitsRefresh = 2 * time.Second
	}
	if opts.DevicePerSecond == 0 {
		opts.DevicePerSecond = 50
	}
	if opts.BookPerMinute == 0 {
		opts.BookPerMinute = 6
	}
	s := &Server{engine: engine, auth: authSvc, users: users, hub: h, store: store, log: log, opts: opts, clock: clock,
		reg:      prometheus.NewRegistry(),
		loginLim: newLimiter(opts.LoginPerMinute/60, 5).sharedBy(opts.SharedLimits, "login", log),
		// A negative limit means unlimited (newLimiter treats rate <= 0 so).
		publicLim: newLimiter(opts.PublicPerSecond, int(max(opts.PublicPerSecond*2, 1))),
		deviceLim: newLimiter(opts.DevicePerSecond, int(max(opts.DevicePerSecond*2, 1))),
		bookLim:   newLimiter(opts.BookPerMinute/60, 5),
		// The live-waits page has its own budget per address, as large as
		// the public one: its polling never eats a phone's ticket tracking.
		waitsLim: newLimiter(opts.PublicPerSecond, int(max(opts.PublicPerSecond*2, 1))),
		pairs:    newPairings(opts.LoginPerMinute),
	}
	s.pairs.lim.sharedBy(opts.SharedLimits, "pair", log)
	waiting := func() map[string]int {
		out := map[string]int{}
		for _, sv := range engine.Services() {
			out[sv.ID] = sv.Waiting
		}
		return out
	}
	s.m = newMetrics(s.reg, waiting, h.Clients, h.Kicked)
	s.reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// Handler is the root handler with recovery, security headers and metrics.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panicked", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				if !sw.wrote {
					writeError(sw, errf(protocol.CodeInternal, "internal error"))
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			s.m.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Observe(time.Since(start).Seconds())
		}()
		h := sw.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		// Every answer, HTML or not, carries the policy: a page reached by
		// any path (a 404 page, a static file) runs nothing foreign.
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		s.mux.ServeHTTP(sw, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the connection to the websocket upgrader.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("httpapi: connection cannot be hijacked")
	}
	w.status, w.wrote = http.StatusSwitchingProtocols, true
	return h.Hijack()
}

// handlerFunc is an API handler: it returns an error instead of writing one.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p auth.Principal) error

const sessionCookie = "civiq_session"

// token finds the request's credentials: a bearer token, else the session
// cookie (then CSRF applies), else ?token= where allowed (websockets).
func token(r *http.Request, allowQuery bool) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t), false
		}
		return "", false
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		return c.Value, true
	}
	if allowQuery {
		return r.URL.Query().Get("token"), false
	}
	return "", false
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// authenticate resolves the principal; an empty role list means anyone.
func (s *Server) authenticate(r *http.Request, allowQuery bool, roles []string) (auth.Principal, error) {
	tok, viaCookie := token(r, allowQuery)
	if tok == "" {
		if len(roles) == 0 {
			return auth.Principal{}, nil
		}
		return auth.Principal{}, errf(protocol.CodeUnauthorized, "this request needs a token: Authorization: Bearer TOKEN")
	}
	p, err := s.auth.Authenticate(r.Context(), tok)
	if err != nil {
		if len(roles) == 0 && viaCookie {
			return auth.Principal{}, nil // a stale cookie on a public route is ignored
		}
		return p, err
	}
	if viaCookie && !safeMethod(r.Method) && r.Header.Get("X-CSRF-Token") != p.CSRF {
		return p, errf(protocol.CodeForbidden, "missing or wrong X-CSRF-Token header")
	}
	if len(roles) > 0 && !p.Is(roles...) {
		return p, errf(protocol.CodeForbidden, "a %s may not do this", p.Role)
	}
	return p, nil
}

// api wraps a handler with authentication, role check and error writing.
func (s *Server) api(roles []string, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = withClientIP(r, s.opts.TrustProxy)
		p, err := s.authenticate(r, false, roles)
		if err == nil && p.Role == "" {
			if ok, wait := s.publicLim.take(clientIP(r, s.opts.TrustProxy)); !ok {
				err = tooMany(wait, "too many requests; slow down")
			}
		}
		if err == nil && p.Kind == "device" {
			if ok, wait := s.deviceLim.take(p.ID); !ok {
				err = tooMany(wait, "too many requests from this device")
			}
		}
		if err == nil {
			err = fn(w, r, p)
		}
		err = s.storageError(err)
		if err != nil {
			if r.Context().Err() != nil {
				// The client went away; nothing to answer, nothing broken.
				s.log.Debug("request abandoned by the client", "method", r.Method, "path", r.URL.Path)
				writeError(w, errf(protocol.CodeUnavailable, "request cancelled"))
				return
			}
			if status := writeError(w, err); status >= 500 {
				s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
		}
	})
}

// contentSecurityPolicy allows only the server's own scripts, styles,
// images and websockets.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// storageError maps a failure of storage to a 503 (Options.StorageError).
func (s *Server) storageError(err error) error {
	if err != nil && s.opts.StorageError != nil {
		return s.opts.StorageError(err)
	}
	return err
}

// Registry is the metrics registry (for tests and extra collectors).
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// MetricsHandler serves the Prometheus metrics to anyone who reaches it:
// for the separate --metrics-addr listener.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
}

// metricsHandler serves /metrics on the main port to loopback and private
// addresses only (the centre's LAN, a monitoring host), never to the
// internet; with --metrics-addr it is not served here at all.
func (s *Server) metricsHandler() http.Handler {
	h := s.MetricsHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.MetricsElsewhere {
			writeError(w, errf(protocol.CodeNotFound, "metrics are served on the metrics address"))
			return
		}
		if !privateAddr(clientIP(r, s.opts.TrustProxy)) {
			writeError(w, errf(protocol.CodeForbidden, "metrics are served to loopback and private addresses only"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// privateAddr reports whether ip is loopback, private (RFC 1918, fc00::/7)
// or link-local.
func privateAddr(ip string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return false
	}
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast()
}

// trackURL is the phone page address of a ticket token. Its base is the
// configured public URL; without one, the address the request reached the
// server on (its socket, never the Host header, which the client chooses).
func (s *Server) trackURL(r *http.Request, tok string) string {
	base := strings.TrimRight(s.opts.PublicURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		host := "localhost"
		if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			if ap, err := netip.ParseAddrPort(a.String()); err == nil {
				host = net.JoinHostPort(ap.Addr().Unmap().WithZone("").String(), strconv.Itoa(int(ap.Port())))
			}
		}
		base = scheme + "://" + host
	}
	return base + s.opts.BasePath + "/t/" + tok
}

// cookiePath is the path of the session cookie: the centre's prefix, so
// sessions of two centres in one browser do not overwrite each other.
func (s *Server) cookiePath() string { return s.opts.BasePath + "/" }

// secureRequest reports whether the browser reached the server over
// HTTPS: directly, through the https public URL, or through a trusted
// proxy that says so. A browser refuses a Secure cookie over plain http,
// so staff signing in on the LAN address (http://192.168.1.10:8080) of a
// server whose public URL is https still get a working cookie: the public
// URL counts only for requests addressed to its host.
func (s *Server) secureRequest(r *http.Request) bool {
	if r.TLS != nil || s.opts.TrustProxy && strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https") {
		return true
	}
	if u, err := url.Parse(s.opts.PublicURL); err == nil && u.Scheme == "https" {
		return strings.EqualFold(u.Host, r.Host) || strings.EqualFold(u.Hostname(), r.Host)
	}
	return false
}
