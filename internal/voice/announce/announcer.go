package announce

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// Player plays a script: the clips one after the other, as one sentence.
// Play returns when the sound has finished, or when ctx is done; it must not
// block past ctx. The Announcer calls it from one goroutine only.
type Player interface {
	Play(ctx context.Context, clips []string) error
}

// Defaults of Config.
const (
	// DefaultTimeout bounds one call-out. A full call with English lasts
	// about ten seconds; a slow human recording may take twice that.
	DefaultTimeout = 30 * time.Second
	// DefaultShortenAfter: a call arriving while two are already waiting is
	// shortened.
	DefaultShortenAfter = 2
	// DefaultRemember is how many calls are remembered to drop replays; a
	// reconnect replays at most the events of the outage, far fewer.
	DefaultRemember = 1024
)

// Config configures an Announcer. Only Player is required.
type Config struct {
	// Player speaks the scripts.
	Player Player
	// Options say how to read calls; Options.Short is ignored (the Announcer
	// decides it). SetOptions changes them later.
	Options Options
	// Timeout bounds each Play (default DefaultTimeout): a stuck sound device
	// delays the next call by at most this much.
	Timeout time.Duration
	// ShortenAfter: a call that arrives while this many or more call-outs
	// are waiting (queued, not yet playing) is played short, with neither
	// chime nor English (default DefaultShortenAfter).
	ShortenAfter int
	// Remember is how many calls are remembered to drop replays (default
	// DefaultRemember).
	Remember int
	// Logger receives playback errors (default: discarded).
	Logger *slog.Logger
}

// Announcer speaks ticket calls: every call and recall exactly once, in the
// order they arrive, one at a time. Feed it every event from the server
// (Handle) or single calls (Announce); replays after a reconnect are
// recognised and dropped. Its one player goroutine runs until Close.
type Announcer struct {
	player       Player
	timeout      time.Duration
	shortenAfter int
	log          *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{} // cap 1: "the queue may have grown"
	done   chan struct{} // closed when the player goroutine has returned
	once   sync.Once

	mu     sync.Mutex
	opts   Options
	queue  []pending
	seen   recentSet
	closed bool
	// floorEpoch and floorSeq are the position of the last snapshot: calls
	// at or before it are history.
	floorEpoch string
	floorSeq   int64
}

// pending is a call waiting to be spoken.
type pending struct {
	call  protocol.Call
	short bool
}

// New starts an Announcer. Close it to stop its goroutine.
func New(cfg Config) *Announcer {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ShortenAfter <= 0 {
		cfg.ShortenAfter = DefaultShortenAfter
	}
	if cfg.Remember <= 0 {
		cfg.Remember = DefaultRemember
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Options.Short = false
	ctx, cancel := context.WithCancel(context.Background())
	a := &Announcer{
		player:       cfg.Player,
		timeout:      cfg.Timeout,
		shortenAfter: cfg.ShortenAfter,
		log:          cfg.Logger,
		ctx:          ctx,
		cancel:       cancel,
		wake:         make(chan struct{}, 1),
		done:         make(chan struct{}),
		opts:         cfg.Options,
		seen:         newRecentSet(2 * cfg.Remember), // an event key and a call key per call
	}
	go a.run()
	return a
}

// SetOptions changes how the next call-outs are read, for example when the
// centre switches between reading numbers and digits. Calls already playing
// are not affected.
func (a *Announcer) SetOptions(o Options) {
	o.Short = false
	a.mu.Lock()
	a.opts = o
	a.mu.Unlock()
}

// Handle queues the call of ev if ev is a ticket.called or ticket.recalled
// event not seen before, and reports whether it did. Every other event is
// ignored, so a display can pass it all of its event stream. An event is a
// replay when its epoch and seq were seen, or when its call was (same
// ticket, counter, call time and recall count): the second rule catches a
// replay under a new epoch.
//
// A snapshot is never announced, but it marks its history as heard: a call
// at or below the snapshot's seq in its epoch, or one of the snapshot's
// recent calls, is not announced when it comes again (a display that
// started with a snapshot and later reconnects with an older since, or
// receives the same calls under a new epoch, stays quiet about them).
func (a *Announcer) Handle(ev protocol.Event) bool {
	if ev.Type == protocol.EventSnapshot {
		a.snapshot(ev)
		return false
	}
	if ev.Type != protocol.EventTicketCalled && ev.Type != protocol.EventTicketRecalled {
		return false
	}
	var c protocol.Call
	if err := json.Unmarshal(ev.Data, &c); err != nil {
		a.log.Warn("announce: bad call event", "seq", ev.Seq, "type", ev.Type, "err", err)
		return false
	}
	if ev.Type == protocol.EventTicketRecalled {
		c.Recall = true
	}
	a.mu.Lock()
	old := ev.Epoch != "" && ev.Epoch == a.floorEpoch && ev.Seq <= a.floorSeq
	a.mu.Unlock()
	if old {
		return false
	}
	var evKey string
	if ev.Seq > 0 {
		evKey = "event\x00" + ev.Epoch + "\x00" + strconv.FormatInt(ev.Seq, 10)
	}
	return a.enqueue(c, evKey)
}

// snapshot records the history a snapshot covers as heard.
func (a *Announcer) snapshot(ev protocol.Event) {
	var b struct {
		Seq    int64           `json:"seq"`
		Epoch  string          `json:"epoch"`
		Recent []protocol.Call `json:"recent"`
	}
	if err := json.Unmarshal(ev.Data, &b); err != nil {
		a.log.Warn("announce: bad snapshot", "seq", ev.Seq, "err", err)
		return
	}
	if b.Seq == 0 {
		b.Seq = ev.Seq
	}
	if b.Epoch == "" {
		b.Epoch = ev.Epoch
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.floorEpoch, a.floorSeq = b.Epoch, b.Seq
	for _, c := range b.Recent {
		a.seen.add(callKey(c))
	}
}

// Announce queues call c unless the same call (ticket, counter, call time,
// recall count) was queued before, and reports whether it did.
func (a *Announcer) Announce(c protocol.Call) bool {
	return a.enqueue(c, "")
}

func (a *Announcer) enqueue(c protocol.Call, evKey string) bool {
	callKey := callKey(c)

	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	if (evKey != "" && a.seen.has(evKey)) || a.seen.has(callKey) {
		return false
	}
	if evKey != "" {
		a.seen.add(evKey)
	}
	a.seen.add(callKey)
	// Decided on arrival, so that the first calls of a burst keep their
	// chime (which catches the hall's attention) and the later ones are
	// quicker: the queue then drains in bounded time instead of growing.
	short := len(a.queue) >= a.shortenAfter
	a.queue = append(a.queue, pending{call: c, short: short})
	select {
	case a.wake <- struct{}{}:
	default: // a wake-up is already pending; the goroutine drains the queue
	}
	return true
}

// callKey identifies a call whatever event carries it.
func callKey(c protocol.Call) string {
	return "call\x00" + c.Ticket.ID + "\x00" + c.Ticket.Code + "\x00" + c.Counter.ID + "\x00" +
		c.At.UTC().Format(time.RFC3339Nano) + "\x00" + strconv.FormatBool(c.Recall) + "\x00" +
		strconv.Itoa(c.Ticket.Recalls)
}

// Waiting returns how many call-outs are queued and not yet playing.
func (a *Announcer) Waiting() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.queue)
}

// Close stops the Announcer: the call-out playing is cut off, the waiting
// ones are dropped, and Close returns when the player goroutine has ended.
// It is safe to call more than once.
func (a *Announcer) Close() error {
	a.once.Do(func() {
		a.mu.Lock()
		a.closed = true
		a.queue = nil
		a.mu.Unlock()
		a.cancel()
	})
	<-a.done
	return nil
}

func (a *Announcer) run() {
	defer close(a.done)
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-a.wake:
		}
		for {
			p, opts, ok := a.next()
			if !ok {
				break
			}
			a.play(p, opts)
		}
	}
}

// next takes the first waiting call-out.
func (a *Announcer) next() (pending, Options, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.queue) == 0 || a.ctx.Err() != nil {
		return pending{}, Options{}, false
	}
	p := a.queue[0]
	a.queue[0] = pending{} // let the call be collected
	a.queue = a.queue[1:]
	return p, a.opts, true
}

func (a *Announcer) play(p pending, o Options) {
	o.Short = p.short
	clips := Script(p.call, o)
	ctx, cancel := context.WithTimeout(a.ctx, a.timeout)
	defer cancel()
	if err := a.player.Play(ctx, clips); err != nil && a.ctx.Err() == nil {
		a.log.Warn("announce: playback failed", "code", p.call.Ticket.Code,
			"counter", p.call.Counter.Number, "err", err)
	}
}

// recentSet remembers the last n keys added.
type recentSet struct {
	keys  map[string]struct{}
	order []string // ring buffer of the keys in keys
	next  int
}

func newRecentSet(n int) recentSet {
	return recentSet{keys: make(map[string]struct{}, n), order: make([]string, 0, n)}
}

func (s *recentSet) has(k string) bool {
	_, ok := s.keys[k]
	return ok
}

func (s *recentSet) add(k string) {
	if len(s.order) < cap(s.order) {
		s.order = append(s.order, k)
	} else {
		delete(s.keys, s.order[s.next])
		s.order[s.next] = k
		s.next = (s.next + 1) % len(s.order)
	}
	s.keys[k] = struct{}{}
}
