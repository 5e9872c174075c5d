// Package wiring wires the server's parts together: store, queue engine, auth,
// websocket hub and HTTP API. The server command and end-to-end tests
// (servertest) both start the real thing through it.
package wiring

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/civiq/civiq/assets"
	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/config"
	"github.com/civiq/civiq/server/internal/dirlock"
	"github.com/civiq/civiq/server/internal/httpapi"
	"github.com/civiq/civiq/server/internal/hub"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/report"
	"github.com/civiq/civiq/server/internal/store"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/internal/webhook"
	"github.com/civiq/civiq/server/protocol"
)

// App is a running server without its listener.
type App struct {
	Config config.Config
	// Store is the storage, behind the one storage contract.
	Store  store.Store
	Engine *queue.Engine
	Auth   *auth.Authority
	Hub    *hub.Hub
	// Phones is the ticket-scoped websocket hub of the phone pages.
	Phones *hub.TicketHub
	API    *httpapi.Server
	// Webhooks delivers the events to registered endpoints.
	Webhooks *webhook.Dispatcher
	Log      *slog.Logger

	cancel context.CancelFunc
	wg     sync.WaitGroup
	lock   *dirlock.Lock
	// history is closed when the demo history is loaded (nil: none asked).
	history chan struct{}
}

// Options are what the command line does not set.
type Options struct {
	// Clock defaults to the system clock; tests inject a fake one.
	Clock queue.Clock
	// Version is reported by the API.
	Version string
	// HubOptions tune the websocket hub.
	HubOptions hub.Options
	// APIOptions override rate limits and the like (Web, PublicURL,
	// TrustProxy and Version are taken from Config and Options).
	APIOptions httpapi.Options
	// Stdout receives the first-start passwords (default: discarded).
	Stdout io.Writer
	// BcryptCost overrides the password hashing cost (tests only).
	BcryptCost int
	// SessionTTL overrides how long a login lasts (default auth.DefaultSessionTTL).
	SessionTTL time.Duration
	// TicketOptions tune the phones' websocket hub (limits); its Hub
	// field is taken from HubOptions.
	TicketOptions hub.TicketOptions
	// Store tunes the SQLite store (health probe interval, injected
	// faults); Log and Synchronous are taken from the config.
	Store sqlite.Options
	// WebhookBackoff overrides the wait between webhook attempts (tests only).
	WebhookBackoff func(n int) time.Duration
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

// LoadCentre reads the centre file of cfg, or the embedded demo centre.
func LoadCentre(cfg config.Config) (*config.Centre, error) {
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

// Open opens the store, starts the engine (loading the centre file into an
// empty store) and builds the API. Call Close when done.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (*App, error) {
	if opts.Clock == nil {
		opts.Clock = queue.SystemClock{}
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	centre, err := LoadCentre(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.DB != "" {
		// PostgreSQL: several instances share the database, so there is
		// no data folder lock; the database itself decides every call.
		st, err := postgres.Open(ctx, cfg.DB, postgres.Options{Log: log})
		if err != nil {
			return nil, err
		}
		return start(ctx, cfg, log, opts, centre, st)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	// One server per data folder: two would each keep their own view of
	// the queues in memory and hand out conflicting calls.
	lock, err := dirlock.Acquire(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	a, err := open(ctx, cfg, log, opts, centre)
	if err != nil {
		lock.Release()
		return nil, err
	}
	a.lock = lock
	return a, nil
}

func open(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options, centre *config.Centre) (*App, error) {
	if cfg.UnsafeSynchronous != "" {
		log.Warn("UNSAFE: SQLite synchronous is overridden; acknowledged tickets may be lost in a power cut", "synchronous", cfg.UnsafeSynchronous)
	}
	so := opts.Store
	so.Log, so.Synchronous = log, cfg.UnsafeSynchronous
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "civiq.db"), so)
	if err != nil {
		return nil, err
	}
	return start(ctx, cfg, log, opts, centre, st)
}

// start runs the server's parts on an open store; it closes st when it
// fails.
func start(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options, centre *config.Centre, st store.Store) (*App, error) {
	a := &App{Config: cfg, Store: st, Log: log}
	// fail stops what was started so far: a failed Open leaves no
	// goroutine behind and the database closed.
	fail := func(err error) (*App, error) {
		if a.Hub != nil {
			a.Hub.Close()
		}
		if a.Phones != nil {
			a.Phones.Close()
		}
		st.Close()
		return nil, err
	}
	// The file's time zone applies to an empty store; the engine switches
	// to the stored centre's once one exists.
	loc, err := centre.Location()
	if err != nil {
		return fail(err)
	}
	a.Engine = queue.New(st, opts.Clock, log, queue.Options{Location: loc})
	if err := a.Engine.Start(ctx); err != nil {
		return fail(err)
	}
	a.Auth = auth.NewAuthority(st, opts.Clock, opts.SessionTTL, opts.BcryptCost)
	fresh := a.Engine.Centre().Name.Vi == ""
	if err := bootstrap(ctx, a.Engine, a.Auth, st, centre, cfg, log, opts.Stdout); err != nil {
		return fail(err)
	}
	ho := opts.HubOptions
	ho.Log = log
	a.Hub = hub.New(hubSource{a.Engine, st}, st.Epoch(), ho)
	to := opts.TicketOptions
	to.Hub = ho
	a.Phones = hub.NewTicketHub(ticketSource{a.Engine}, st.Epoch(), to)
	// A revoked credential closes its websockets at once.
	a.Auth.SetRevoker(a.Hub.Revoke)
	a.Webhooks = webhook.New(st, webhook.Options{Log: log, Backoff: opts.WebhookBackoff})
	a.Engine.SetPublisher(publishers{a.Hub, a.Phones, a.Webhooks})
	if err := a.Hub.Preload(ctx); err != nil {
		return fail(fmt.Errorf("preload events: %w", err))
	}
	web, err := fs.Sub(assets.FS, "web")
	if err != nil {
		return fail(err)
	}
	ao := opts.APIOptions
	ao.PublicURL, ao.TrustProxy, ao.Web, ao.Version = cfg.PublicURL, cfg.TrustProxy, web, opts.Version
	ao.StorageError = st.StorageError
	ao.MetricsElsewhere = cfg.MetricsAddr != ""
	if cfg.LoginPerMinute != 0 {
		ao.LoginPerMinute = cfg.LoginPerMinute
	}
	if cfg.PublicPerSecond != 0 {
		ao.PublicPerSecond = cfg.PublicPerSecond
	}
	if cfg.DevicePerSecond != 0 {
		ao.DevicePerSecond = cfg.DevicePerSecond
	}
	if sl, ok := st.(httpapi.SharedLimiter); ok {
		ao.SharedLimits = sl // several instances share the guessing limits
	}
	a.API = httpapi.New(a.Engine, a.Auth, st, a.Hub, st, opts.Clock, log, ao)
	a.API.SetTicketHub(a.Phones)
	if err := a.Webhooks.Start(ctx); err != nil {
		return fail(fmt.Errorf("webhooks: %w", err))
	}
	a.API.SetWebhooks(a.Webhooks)
	a.API.SetReports(st, func(ctx context.Context, from, to time.Time) ([]report.Disruption, error) {
		return st.ReportDisruptions(ctx, from, to, opts.Clock.Now())
	})
	a.API.SetWaitHistory(st)
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel = cancel
	a.wg.Add(3)
	go func() { defer a.wg.Done(); a.Engine.Run(bg, time.Minute) }()
	go func() { defer a.wg.Done(); a.maintain(bg) }()
	go func() { defer a.wg.Done(); a.recheck(bg, recheckEvery) }()
	if wantsDemoHistory(fresh, cfg) {
		a.history = make(chan struct{})
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			if err := a.demoHistory(bg, cfg.DemoHistory, centre); err != nil && bg.Err() == nil {
				log.Warn("demo history failed", "err", err)
				return
			}
			close(a.history)
		}()
	}
	return a, nil
}

// Handler is the HTTP handler of the API and pages.
func (a *App) Handler() http.Handler { return a.API.Handler() }

// Close disconnects websocket clients, stops background jobs and closes the
// store. Stop the HTTP server first.
func (a *App) Close() error { return a.close(true) }

// closeDeleted closes the App of a centre whose data was deleted (by this
// instance or another): as Close, without saving anything into the
// tables that are gone.
func (a *App) closeDeleted() error { return a.close(false) }

func (a *App) close(save bool) error {
	a.Hub.Close()
	a.Phones.Close()
	a.Webhooks.Close()
	a.cancel()
	a.wg.Wait()
	// The wait calibration is saved every minute; once more now, so a
	// restart starts with all of it.
	if save {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.Engine.SaveCalibration(ctx); err != nil {
			a.Log.Warn("saving the wait calibration failed", "err", err)
		}
	}
	err := a.Store.Close()
	a.lock.Release()
	return err
}

// bootstrap loads the centre file into an empty store and creates the first
// users. It is idempotent, so a crash half-way is finished on the next start.
func bootstrap(ctx context.Context, e *queue.Engine, a *auth.Authority, users auth.Store, c *config.Centre, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	if e.Centre().Name.Vi != "" {
		return nil
	}
	src := cfg.CentreFile
	if src == "" {
		src = "embedded demo centre"
	}
	log.Info("empty store: loading the centre definition", "file", src)
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
		pw = RandomPassword()
	}
	type account struct {
		in    auth.UserInput
		print bool
	}
	accounts := []account{{auth.UserInput{Username: "admin", Name: "Quản trị", Role: protocol.RoleAdmin, Password: pw}, printed}}
	for _, u := range c.Users {
		accounts = append(accounts, account{auth.UserInput{Username: u.Username, Name: u.Name, Role: u.Role, CounterIDs: u.CounterIDs, Password: RandomPassword()}, true})
	}
	for _, acc := range accounts {
		if _, err := users.UserByName(ctx, acc.in.Username); err == nil {
			continue
		}
		if _, err := a.CreateUser(ctx, acc.in); queue.CodeOf(err) == protocol.CodeConflict {
			continue // another instance on the same database created it meanwhile
		} else if err != nil {
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

// RandomPassword is 16 characters from an alphabet without look-alikes,
// each drawn uniformly (about 92 bits).
func RandomPassword() string { return randomPassword(rand.Reader) }

// passwordAlphabet has no look-alikes (no l, o, B, I, O, 0, 1).
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"

// randomPassword draws 16 symbols from random bytes (passwordSymbol). A
// failing reader panics: a password must never be predictable.
func randomPassword(r io.Reader) string {
	var sb strings.Builder
	buf := make([]byte, 32)
	for sb.Len() < 16 {
		if _, err := io.ReadFull(r, buf); err != nil {
			panic(fmt.Sprintf("app: no randomness for a password: %v", err))
		}
		for _, x := range buf {
			if c, ok := passwordSymbol(x); ok && sb.Len() < 16 {
				sb.WriteByte(c)
			}
		}
	}
	return sb.String()
}

// passwordSymbol maps a random byte to a symbol by rejection: a byte at or
// above the largest multiple of the alphabet's size (220) is thrown away,
// so every symbol comes from exactly 4 byte values and is equally likely
// (a plain modulo would favour the first 256 mod 55 = 36 symbols).
func passwordSymbol(x byte) (byte, bool) {
	const n = len(passwordAlphabet)
	if int(x) >= 256-256%n {
		return 0, false
	}
	return passwordAlphabet[int(x)%n], true
}

// recheckEvery is how often open websockets' credentials are checked
// against storage.
const recheckEvery = 5 * time.Second

// recheck closes websockets whose credential was revoked outside this
// process (server user on the shell, another instance): revocations made
// here close them at once; these within recheckEvery.
func (a *App) recheck(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, k := range append(a.Hub.Keys("token:"), a.Hub.Keys("province-token:")...) {
			ok, err := a.Auth.Recheck(ctx, k)
			if err != nil {
				if ctx.Err() == nil {
					a.Log.Debug("credential recheck failed", "err", err)
				}
				break // storage trouble: try again next round, close nothing
			}
			if !ok {
				a.Hub.Revoke(k, "")
			}
		}
	}
}

// maintain prunes old events and expired sessions and computes the report
// summaries of finished days once an hour.
func (a *App) maintain(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		now := time.Now()
		if n, err := a.Store.PruneEvents(ctx, now.Add(-a.Config.EventRetention), 10000); err != nil && ctx.Err() == nil {
			a.Log.Warn("pruning events failed", "err", err)
		} else if n > 0 {
			a.Log.Info("pruned old events", "count", n)
		}
		if err := a.Store.DeleteExpiredSessions(ctx, now); err != nil && ctx.Err() == nil {
			a.Log.Warn("deleting expired sessions failed", "err", err)
		}
		// Summaries of finished days, so a year's report reads 365 small rows.
		if n, err := a.Store.WarmReports(ctx, a.Engine.Location(), queue.Day(now, a.Engine.Location())); err != nil && ctx.Err() == nil {
			a.Log.Warn("report summaries failed", "err", err)
		} else if n > 0 {
			a.Log.Info("report summaries computed", "days", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
