// Package feed keeps the hall display's board current: it subscribes to the
// server's events (resuming with since and epoch after any fault, falling
// back to the snapshot), folds them with protocol.Apply, hands every event to
// the announcer, and reports each new board and every change of connection.
package feed

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
)

// Announcer is told of every event applied (announce.Announcer.Handle); it
// must drop replays itself.
type Announcer interface {
	Handle(ev protocol.Event) bool
}

// Update is a new state of the display.
type Update struct {
	// Board is the board after Event.
	Board protocol.Board
	// Event is the event applied; its Type is "" for a change of connection only.
	Event protocol.Event
	// Online tells whether the display is connected.
	Online bool
	// Refused is true while the server refuses the display's token
	// (revoked or mistyped): reconnecting cannot help, an admin must.
	Refused bool
	// StorageDown is true while the server answers but cannot save: its
	// GET /healthz answers 503.
	StorageDown bool
}

// Config configures a Feed.
type Config struct {
	// Client talks to the server with the display's token.
	Client *client.Client
	// Announcer receives every event applied (nil: none).
	Announcer Announcer
	// OnUpdate is called with every new board and change of connection,
	// from the feed's goroutine; it must not block for long (a Fyne display
	// hands the update to fyne.Do).
	OnUpdate func(Update)
	// Logger (default: discarded).
	Logger *slog.Logger
	// Heartbeat is the interval of device heartbeats (default 60 s; <0: none).
	Heartbeat time.Duration
	// Version is reported in heartbeats.
	Version string
	// MinBackoff and MaxBackoff bound the reconnect delay (client defaults).
	MinBackoff, MaxBackoff time.Duration
	// HealthEvery is how often GET /healthz is asked whether the server
	// can save (default 10 s; <0: never).
	HealthEvery time.Duration
}

// Feed is the display's link to the server.
type Feed struct {
	cfg Config

	mu      sync.Mutex
	board   protocol.Board
	online  bool
	refused bool
	storage bool
	// healthNow asks the health loop for a check at once (on reconnecting).
	healthNow chan struct{}
}

// New returns a Feed; Run starts it.
func New(cfg Config) *Feed {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = time.Minute
	}
	if cfg.HealthEvery == 0 {
		cfg.HealthEvery = 10 * time.Second
	}
	if cfg.OnUpdate == nil {
		cfg.OnUpdate = func(Update) {}
	}
	return &Feed{cfg: cfg, healthNow: make(chan struct{}, 1)}
}

// Board returns the latest board and whether the feed is connected.
func (f *Feed) Board() (protocol.Board, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.board, f.online
}

// Run follows the server until ctx ends; it reconnects by itself and
// returns only ctx's error.
func (f *Feed) Run(ctx context.Context) error {
	if f.cfg.Heartbeat > 0 {
		go f.heartbeat(ctx)
	}
	if f.cfg.HealthEvery > 0 {
		go f.health(ctx)
	}
	opts := client.SubscribeOptions{
		MinBackoff: f.cfg.MinBackoff,
		MaxBackoff: f.cfg.MaxBackoff,
		OnState:    f.state,
	}
	return f.cfg.Client.Subscribe(ctx, opts, f.apply)
}

func (f *Feed) state(connected bool, err error) {
	var ce *client.Error
	refused := !connected && errors.As(err, &ce) && (ce.Status == http.StatusUnauthorized || ce.Status == http.StatusForbidden)
	f.mu.Lock()
	changed := f.online != connected || f.refused != refused
	f.online, f.refused = connected, refused
	b := f.board
	f.mu.Unlock()
	if refused && changed {
		f.cfg.Logger.Error("display: the server refuses this display's token; an admin must create a new one (Admin → Devices)")
	}
	// Logged once per outage, not once per retry.
	if changed && !connected && err != nil {
		f.cfg.Logger.Warn("display: disconnected; reconnecting", "err", err)
	}
	if changed && connected {
		f.cfg.Logger.Info("display: connected")
		select {
		case f.healthNow <- struct{}{}:
		default:
		}
	}
	if changed {
		f.cfg.OnUpdate(Update{Board: b, Online: connected, Refused: refused, StorageDown: f.storageDown()})
	}
}

func (f *Feed) storageDown() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.storage
}

// health asks GET /healthz now, every HealthEvery and on every reconnect
// whether the server can save. A 503 means it answers but cannot commit (its disk is full or
// failing): the hall is told, distinctly from a lost connection. An
// unreachable server changes nothing here; the subscription reports that.
func (f *Feed) health(ctx context.Context) {
	t := time.NewTicker(f.cfg.HealthEvery)
	defer t.Stop()
	for {
		hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := f.cfg.Client.Health(hctx)
		cancel()
		var ce *client.Error
		down := errors.As(err, &ce) && ce.Status == http.StatusServiceUnavailable
		if err == nil || down {
			f.mu.Lock()
			changed := f.storage != down
			f.storage = down
			b, online, refused := f.board, f.online, f.refused
			f.mu.Unlock()
			if changed {
				if down {
					f.cfg.Logger.Warn("display: the server cannot save (GET /healthz answers 503)")
				} else {
					f.cfg.Logger.Info("display: the server can save again")
				}
				f.cfg.OnUpdate(Update{Board: b, Online: online, Refused: refused, StorageDown: down})
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-f.healthNow:
		}
	}
}

// apply folds one event into the board. An event of another epoch (the
// server's store was restored from a backup) is refused: the subscription
// reconnects with the old epoch and the server answers with a snapshot.
func (f *Feed) apply(ev protocol.Event) error {
	f.mu.Lock()
	nb, err := protocol.Apply(f.board, ev)
	if errors.Is(err, protocol.ErrEpochChanged) {
		f.mu.Unlock()
		f.cfg.Logger.Warn("display: server history changed; taking a fresh snapshot", "epoch", ev.Epoch)
		return err
	}
	if err != nil {
		// A malformed event cannot be shown; the next snapshot repairs the
		// board. Skipping it keeps the display running.
		f.mu.Unlock()
		f.cfg.Logger.Warn("display: bad event", "seq", ev.Seq, "type", ev.Type, "err", err)
		return nil
	}
	f.board = nb
	online, storage := f.online, f.storage
	f.mu.Unlock()
	if f.cfg.Announcer != nil {
		f.cfg.Announcer.Handle(ev)
	}
	f.cfg.OnUpdate(Update{Board: nb, Event: ev, Online: online, StorageDown: storage})
	return nil
}

func (f *Feed) heartbeat(ctx context.Context) {
	t := time.NewTicker(f.cfg.Heartbeat)
	defer t.Stop()
	for {
		hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := f.cfg.Client.Heartbeat(hctx, protocol.DeviceStatus{Version: f.cfg.Version}); err != nil && ctx.Err() == nil {
			f.cfg.Logger.Debug("display: heartbeat failed", "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
