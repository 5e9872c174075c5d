// Command server is the CiviQ central server: queue engine, storage, HTTP +
// websocket API and the embedded web pages.
//
//	server --addr HOST:PORT --data DIR [--db postgres://...] [--centre FILE]
//	server backup [--data DIR] DEST-FOLDER
//	server restore [--data DIR] BACKUP-FILE
//	server migrate --from sqlite:///path/to/civiq.db --to postgres://...
//	server restored --db postgres://...
//	server service install|uninstall|run [flags]   (Windows)
//	server device --kind kiosk|display --name NAME
//	server simulate ...
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // the centre's time zone must load on Windows and minimal images too

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/config"
	"github.com/civiq/civiq/server/internal/province"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/store"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/internal/wiring"
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
// "server device …" registers a kiosk or display instead; "server user …"
// creates users and resets passwords; "server simulate …" runs the
// staffing simulator; "server backup" and "server restore" copy the store
// out and back; "server migrate" copies a SQLite store to PostgreSQL;
// "server restored" gives a restored PostgreSQL database a new epoch;
// "server service …" runs it as a Windows service.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "device" {
		return device(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "user" {
		return user(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "simulate" {
		return simulate(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "backup" {
		return backup(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "restore" {
		return restore(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "restored" {
		return restored(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "migrate" {
		return migrate(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "service" {
		return service(ctx, args[1:], getenv, stdout, stderr)
	}
	cfg, err := config.Parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	var h slog.Handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})
	if cfg.LogJSON {
		h = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})
	}
	return serve(ctx, cfg, slog.New(h), stdout)
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	started := time.Now()
	for _, w := range cfg.Warnings {
		log.Warn(w, "file", cfg.File)
	}
	a, err := wiring.Open(ctx, cfg, log, wiring.Options{Version: version, Stdout: stdout})
	if err != nil {
		return err
	}
	handler := a.Handler()
	if cfg.Province {
		// Every centre of the province, each under /c/{centre}/, beside
		// the default one (docs/API.md, "Centres and the province").
		p, err := wiring.OpenProvince(ctx, cfg, log, a, wiring.Options{Version: version, Stdout: stdout})
		if err != nil {
			a.Close()
			return err
		}
		defer p.Close()
		handler = p.Handler()
	} else {
		defer a.Close()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.DebugAddr != "" {
		dbg := &http.Server{Addr: cfg.DebugAddr, Handler: pprofMux(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := dbg.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Warn("debug server stopped", "err", err)
			}
		}()
		defer dbg.Close()
		log.Info("profiling enabled", "addr", cfg.DebugAddr)
	}
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics address: %w", err)
		}
		mm := http.NewServeMux()
		mm.Handle("GET /metrics", a.API.MetricsHandler())
		msrv := &http.Server{Handler: mm, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := msrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Warn("metrics server stopped", "err", err)
			}
		}()
		defer msrv.Close()
		log.Info("metrics served", "addr", mln.Addr().String())
	}
	seq, epoch := a.Engine.Seq()
	log.Info("server ready", "addr", ln.Addr().String(), "version", version, "seq", seq, "epoch", epoch,
		"startup", time.Since(started).Round(time.Millisecond).String())
	printURLs(stdout, ln.Addr().String(), cfg)

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
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// openStore opens the store of a command-line tool: the PostgreSQL
// database at db (centreID: that centre of the province, which must be in
// its registry; empty: the default centre), or else the SQLite store in
// the data folder, which must exist.
func openStore(ctx context.Context, data, db, centreID string) (store.Store, error) {
	if centreID != "" && centreID != province.DefaultID && db == "" {
		return nil, errors.New("--centre-id needs --db postgres://… (centres of a province share one PostgreSQL database)")
	}
	if db != "" {
		if !strings.HasPrefix(db, "postgres://") && !strings.HasPrefix(db, "postgresql://") {
			return nil, errors.New("--db must be a postgres:// URL")
		}
		var schema string
		if centreID != "" && centreID != province.DefaultID {
			if err := province.ValidID(centreID); err != nil {
				return nil, err
			}
			// Only a centre of the registry: a mistyped id must not
			// create a schema of its own.
			pv, err := postgres.OpenProvince(ctx, db)
			if err != nil {
				return nil, err
			}
			cs, err := pv.Centres(ctx)
			pv.Close()
			if err != nil {
				return nil, err
			}
			if !slices.ContainsFunc(cs, func(c province.Centre) bool { return c.ID == centreID }) {
				return nil, fmt.Errorf("no centre %q in the province registry of this database", centreID)
			}
			schema = province.SchemaOf(centreID)
		}
		// Existing: a centre deleted since the registry was read is not
		// made again, empty.
		return postgres.Open(ctx, db, postgres.Options{Schema: schema, Existing: schema != ""})
	}
	if _, err := os.Stat(filepath.Join(data, "civiq.db")); err != nil {
		return nil, fmt.Errorf("no store in %s: start the server once first", data)
	}
	return sqlite.Open(ctx, filepath.Join(data, "civiq.db"), sqlite.Options{})
}

// device registers a kiosk or display directly in the data folder's store
// and prints its token: for scripted set-ups (make run pairs its kiosk and
// display this way). It works while the server runs.
func device(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server device", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", cmp.Or(getenv("CIVIQ_DATA"), "./data"), "data folder of the SQLite store")
	db := fs.String("db", getenv("CIVIQ_DB"), "postgres://… URL of the PostgreSQL store instead (env CIVIQ_DB)")
	centreID := fs.String("centre-id", getenv("CIVIQ_CENTRE_ID"), "with --db: the province's centre (its id, as in /c/{id}/); empty: the default centre")
	kind := fs.String("kind", "", "kiosk or display")
	name := fs.String("name", "", "device name shown to admins")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := openStore(ctx, *data, *db, *centreID)
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := auth.NewAuthority(st, queue.SystemClock{}, 0, 0).CreateDevice(ctx, protocol.DeviceRequest{Kind: *kind, Name: *name})
	if err != nil {
		return err
	}
	if err := st.AddAudit(ctx, auth.AuditEntry{At: time.Now(), Actor: "command line", Action: "device.create", Subject: d.ID,
		Changes: []auth.Change{{Field: "kind", After: d.Kind}, {Field: "name", After: d.Name}}}); err != nil {
		return err
	}
	fmt.Fprintln(stdout, d.Token)
	return nil
}

// pprofMux serves the Go profiler on its own mux, never on the public one.
func pprofMux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("/debug/pprof/", pprof.Index)
	m.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	m.HandleFunc("/debug/pprof/profile", pprof.Profile)
	m.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	m.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return m
}

func printURLs(w io.Writer, addr string, cfg config.Config) {
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
	if cfg.Province {
		fmt.Fprintf(w, "  province      : %s/province  (each centre under %s/c/{centre}/)\n", base, base)
	}
	if cfg.MetricsAddr != "" {
		fmt.Fprintf(w, "  metrics       : http://%s/metrics\n", cfg.MetricsAddr)
	} else {
		fmt.Fprintf(w, "  metrics       : %s/metrics  (loopback and private addresses only)\n", base)
	}
	switch {
	case !cfg.PublicURLDefault:
		fmt.Fprintf(w, "  ticket QR codes: %s/t/… (--public-url)\n", cfg.PublicURL)
	case cfg.PublicURLReachable:
		fmt.Fprintf(w, "  ticket QR codes: %s/t/… (this machine's LAN address; phones on the same network open it; --public-url to change)\n", cfg.PublicURL)
	case strings.HasPrefix(cfg.Addr, ":") || strings.HasPrefix(cfg.Addr, "0.0.0.0:") || strings.HasPrefix(cfg.Addr, "[::]:"):
		fmt.Fprintf(w, "  ticket QR codes: %s/t/… — phones cannot open this address: this machine has no LAN address (private IPv4); set --public-url\n", cfg.PublicURL)
	default:
		fmt.Fprintf(w, "  ticket QR codes: %s/t/… — phones cannot open this address: listen on the LAN (--addr 0.0.0.0:PORT) or set --public-url\n", cfg.PublicURL)
	}
}
