// Command server is the CiviQ central server: queue engine, storage, HTTP +
// websocket API and the embedded web pages.
//
//	server --addr HOST:PORT --data DIR [--db postgres://...] [--centre FILE]
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // the centre's time zone must load on Windows and minimal images too

	"github.com/civiq/civiq/assets"
	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/config"
	"github.com/civiq/civiq/server/internal/httpapi"
	"github.com/civiq/civiq/server/internal/hub"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/protocol"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// run starts the server and blocks until ctx ends. Tests call it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	var h slog.Handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})
	if cfg.LogJSON {
		h = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})
	}
	log := slog.New(h)
	return serve(ctx, cfg, log, stdout)
}

// hubSource joins the engine's board with the store's event history.
type hubSource struct {
	engine *queue.Engine
	store  queue.Store
}

func (s hubSource) Board() protocol.Board { return s.engine.Board() }
func (s hubSource) Events(ctx context.Context, after int64, limit int) ([]protocol.Event, error) {
	return s.store.Events(ctx, after, limit)
}
func (s hubSource) FirstSeq(ctx context.Context) (int64, error) { return s.store.FirstSeq(ctx) }

func loadCentre(cfg config.Config) (*config.Centre, error) {
	var b []byte
	var err error
	if cfg.CentreFile == "" {
		b, err = fs.ReadFile(assets.FS, "demo/centre.json")
	} else {
		b, err = os.ReadFile(cfg.CentreFile)
	}
	if err != nil {
		return nil, err
	}
	return config.ParseCentre(b)
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	started := time.Now()
	centre, err := loadCentre(cfg)
	if err != nil {
		return err
	}
	if cfg.DB != "" {
		return errors.New("the PostgreSQL store is not part of this build yet; leave --db empty to use SQLite")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	if cfg.UnsafeSynchronous != "" {
		log.Warn("UNSAFE: SQLite synchronous is overridden; acknowledged tickets may be lost in a power cut", "synchronous", cfg.UnsafeSynchronous)
	}
	store, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "civiq.db"), sqlite.Options{Log: log, Synchronous: cfg.UnsafeSynchronous})
	if err != nil {
		return err
	}
	defer store.Close()

	// The stored centre's time zone wins over the file's once a centre exists.
	loc, err := centre.Location()
	if err != nil {
		return err
	}
	if l, err := store.Load(ctx, ""); err == nil && l.Centre.TimeZone != "" {
		if sl, err := time.LoadLocation(l.Centre.TimeZone); err == nil {
			loc = sl
		}
	}
	clock := queue.SystemClock{}
	engine := queue.New(store, clock, log, queue.Options{Location: loc})
	if err := engine.Start(ctx); err != nil {
		return err
	}
	authSvc := auth.NewService(store, clock, 0)
	if err := bootstrap(ctx, engine, authSvc, store, centre, cfg, log, stdout); err != nil {
		return err
	}
	h := hub.New(hubSource{engine, store}, store.Epoch(), hub.Options{Log: log})
	engine.SetPublisher(h)
	if err := h.Preload(ctx); err != nil {
		return fmt.Errorf("preload events: %w", err)
	}
	web, err := fs.Sub(assets.FS, "web")
	if err != nil {
		return err
	}
	api := httpapi.New(engine, authSvc, store, h, store, clock, log, httpapi.Options{
		PublicURL: cfg.PublicURL, TrustProxy: cfg.TrustProxy, Web: web, Version: version,
	})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	bg, cancelBG := context.WithCancel(ctx)
	defer cancelBG()
	go engine.Run(bg, time.Minute)
	go maintain(bg, store, authSvc, store, cfg, log)

	seq, epoch := engine.Seq()
	log.Info("server ready", "addr", ln.Addr().String(), "version", version, "seq", seq, "epoch", epoch,
		"startup", time.Since(started).Round(time.Millisecond).String())
	printURLs(stdout, ln.Addr().String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	h.Close()
	cancelBG()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func printURLs(w io.Writer, addr string) {
	host, port, _ := net.SplitHostPort(addr)
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "127.0.0.1"
	}
	base := "http://" + net.JoinHostPort(host, port)
	fmt.Fprintf(w, "CiviQ is serving at %s\n", base)
	fmt.Fprintf(w, "  clerk console : %s/counter\n", base)
	fmt.Fprintf(w, "  admin         : %s/admin\n", base)
	fmt.Fprintf(w, "  web display   : %s/display\n", base)
	fmt.Fprintf(w, "  API           : %s/api/v1/services  (docs/API.md)\n", base)
	fmt.Fprintf(w, "  metrics       : %s/metrics\n", base)
}

// bootstrap loads the centre file into an empty store and creates the first
// users. It is idempotent, so a crash half-way is finished on the next start.
func bootstrap(ctx context.Context, e *queue.Engine, a *auth.Service, users auth.Store, c *config.Centre, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	if e.Centre().Name.Vi != "" {
		return nil
	}
	log.Info("empty store: loading the centre definition", "file", cmpOr(cfg.CentreFile, "embedded demo centre"))
	for _, s := range c.ProtocolServices() {
		if _, err := e.PutService(ctx, s); err != nil {
			return fmt.Errorf("service %s: %w", s.ID, err)
		}
	}
	for _, k := range c.ProtocolCounters() {
		if _, err := e.PutCounter(ctx, k); err != nil {
			return fmt.Errorf("counter %s: %w", k.ID, err)
		}
	}
	pw := cfg.AdminPassword
	printed := pw == ""
	if printed {
		pw = randomPassword()
	}
	type account struct {
		in    auth.UserInput
		print bool
	}
	accounts := []account{{auth.UserInput{Username: "admin", Name: "Quản trị", Role: protocol.RoleAdmin, Password: pw}, printed}}
	for _, u := range c.Users {
		accounts = append(accounts, account{auth.UserInput{Username: u.Username, Name: u.Name, Role: u.Role, CounterIDs: u.CounterIDs, Password: randomPassword()}, true})
	}
	for _, acc := range accounts {
		if _, err := users.UserByName(ctx, acc.in.Username); err == nil {
			continue
		}
		if _, err := a.CreateUser(ctx, acc.in); err != nil {
			return fmt.Errorf("user %s: %w", acc.in.Username, err)
		}
		if acc.print {
			fmt.Fprintf(stdout, "created user %-10s role %-5s password %s   (shown once; change it in /admin)\n", acc.in.Username, acc.in.Role, acc.in.Password)
		} else {
			fmt.Fprintf(stdout, "created user %-10s role %-5s password from CIVIQ_ADMIN_PASSWORD\n", acc.in.Username, acc.in.Role)
		}
	}
	if _, err := e.PutCentre(ctx, c.ProtocolCentre()); err != nil {
		return fmt.Errorf("centre: %w", err)
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// randomPassword is 16 characters from an alphabet without look-alikes.
func randomPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	var sb strings.Builder
	for _, x := range b {
		sb.WriteByte(alphabet[int(x)%len(alphabet)])
	}
	return sb.String()
}

// pruner deletes old events.
type pruner interface {
	PruneEvents(ctx context.Context, before time.Time, keep int) (int64, error)
}

// maintain prunes old events and expired sessions once an hour.
func maintain(ctx context.Context, p pruner, a *auth.Service, users auth.Store, cfg config.Config, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		now := time.Now()
		if n, err := p.PruneEvents(ctx, now.Add(-cfg.EventRetention), 10000); err != nil && ctx.Err() == nil {
			log.Warn("pruning events failed", "err", err)
		} else if n > 0 {
			log.Info("pruned old events", "count", n)
		}
		if err := users.DeleteExpiredSessions(ctx, now); err != nil && ctx.Err() == nil {
			log.Warn("deleting expired sessions failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
