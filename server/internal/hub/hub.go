// Package hub fans committed events out to websocket subscribers: Hub for
// /ws (the event history, with resume), TicketHub for /ws/ticket/{token}
// (each phone sees its own ticket's view).
//
// Every event is encoded once into a websocket frame shared by all clients.
// Delivery tries a non-blocking write straight into each client's socket (on
// Unix): a display that keeps up costs one system call per event, and no
// goroutine wakes up for it. Only a client whose socket is full gets a
// flusher goroutine and a bounded queue; when the queue overflows the client
// is disconnected and resumes later with ?since=. So a slow or dead client
// never delays the others, and an idle client holds one goroutine (its
// reader) and no write buffer. A ring of recent events (and the store behind
// it) lets a reconnecting client receive exactly the events it missed; when
// they are no longer kept it gets a fresh snapshot.
//
// The package decides who receives what and when: the ring, resume,
// revocation, the phones' views (folded by protocol.PhoneChange), and the
// connections both hubs share (conns.go: handshake, readers, pings, drops).
// How bytes reach a socket (frames, the non-blocking write, the per-client
// queue and flusher) is the subpackage wsconn.
//
// It imports protocol, hub/wsconn and gorilla/websocket (handshake and
// reading), never queue, a store or httpapi: the engine reaches it as a
// queue.Publisher. It is imported by server/internal/wiring,
// server/internal/httpapi (Serve, Subscribe, Revoke) and server/servertest
// (options).
package hub

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civiq/civiq/server/internal/hub/wsconn"
	"github.com/civiq/civiq/server/protocol"
)

// Source is where the hub gets snapshots and old events.
type Source interface {
	// Board is the current board; its Seq is the last event it reflects.
	Board() protocol.Board
	// Events returns up to limit stored events with seq > after.
	Events(ctx context.Context, after int64, limit int) ([]protocol.Event, error)
	// FirstSeq is the oldest stored seq (0 when none).
	FirstSeq(ctx context.Context) (int64, error)
}

// Options tune the hub; zero values take the defaults.
type Options struct {
	// SendQueue is how many frames may wait for a client whose socket is
	// full before it is disconnected (default 128).
	SendQueue int
	// RingSize is how many recent events are kept in memory (default 8192).
	RingSize int
	// WriteTimeout bounds one write to a client (default 10 s).
	WriteTimeout time.Duration
	// PingInterval is how often clients are pinged (default 25 s).
	PingInterval time.Duration
	// PongWait is how long a client may stay silent (default 60 s).
	PongWait time.Duration
	// MaxClientMessages is how many messages a client may send per minute
	// before it is disconnected (default 120).
	MaxClientMessages int
	Log               *slog.Logger
}

func (o *Options) defaults() {
	if o.SendQueue <= 0 {
		o.SendQueue = 128
	}
	if o.RingSize <= 0 {
		o.RingSize = 8192
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 25 * time.Second
	}
	if o.PongWait <= 0 {
		o.PongWait = 60 * time.Second
	}
	if o.MaxClientMessages <= 0 {
		o.MaxClientMessages = 120
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// preloadEvents is how many stored events a restart puts in the ring.
const preloadEvents = 1024

type entry struct {
	ev    protocol.Event
	frame []byte // the complete websocket text frame
}

// Hub is the fan-out. It is safe for concurrent use.
type Hub struct {
	*conns // the connections; its mu guards the fields below too
	src    Source

	ring  []entry // circular, ring[(start+i)%len] for i < n
	start int
	n     int
	last  int64
	epoch string
	// revoked remembers recent revocations, so that a handshake
	// authenticated just before one cannot join just after it.
	revoked map[string]revocation
}

// New returns a hub serving events after the source's current board.
func New(src Source, epoch string, opts Options) *Hub {
	cs := newConns(opts)
	return &Hub{conns: cs, src: src, epoch: epoch, revoked: map[string]revocation{},
		ring: make([]entry, cs.opts.RingSize), last: src.Board().Seq}
}

// Preload fills the ring with the newest stored events so that clients
// reconnecting after a server restart resume from memory.
func (h *Hub) Preload(ctx context.Context) error {
	h.mu.Lock()
	last := h.last
	h.mu.Unlock()
	// The newest events are enough: displays reconnecting after a restart
	// resume from just before it; older gaps are read from the store.
	n := min(h.opts.RingSize, preloadEvents)
	after := max(last-int64(n), 0)
	evs, err := h.src.Events(ctx, after, n)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range evs {
		if ev.Seq > last {
			break
		}
		if e, err := prepare(ev); err == nil {
			h.push(e)
		}
	}
	return nil
}

// encode writes an event as JSON. Data is already JSON (written by the
// store), so it is spliced in rather than re-parsed: a restart prepares
// a thousand events, a busy hall many per second.
func encode(ev protocol.Event) ([]byte, error) {
	if !json.Valid(ev.Data) {
		return nil, errors.New("hub: event data is not JSON")
	}
	at, err := ev.At.MarshalJSON()
	if err != nil {
		return nil, err
	}
	typ, _ := json.Marshal(ev.Type)
	epoch, _ := json.Marshal(ev.Epoch)
	b := make([]byte, 0, len(ev.Data)+len(typ)+len(epoch)+80)
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, ev.Seq, 10)
	b = append(b, `,"epoch":`...)
	b = append(b, epoch...)
	b = append(b, `,"type":`...)
	b = append(b, typ...)
	b = append(b, `,"at":`...)
	b = append(b, at...)
	b = append(b, `,"data":`...)
	b = append(b, ev.Data...)
	return append(b, '}'), nil
}

func prepare(ev protocol.Event) (entry, error) {
	raw, err := encode(ev)
	if err != nil {
		return entry{}, err
	}
	return entry{ev: ev, frame: wsconn.Frame(wsconn.OpText, raw)}, nil
}

// push appends to the ring; h.mu held.
func (h *Hub) push(e entry) {
	if h.n < len(h.ring) {
		h.ring[(h.start+h.n)%len(h.ring)] = e
		h.n++
	} else {
		h.ring[h.start] = e
		h.start = (h.start + 1) % len(h.ring)
	}
}

// ringFrom returns ring entries with seq > after, and whether the ring
// covers every seq after `after`; h.mu held.
func (h *Hub) ringFrom(after int64) ([]entry, bool) {
	if after >= h.last {
		return nil, true
	}
	if h.n == 0 || h.ring[h.start].ev.Seq > after+1 {
		return nil, false
	}
	var out []entry
	for i := range h.n {
		e := h.ring[(h.start+i)%len(h.ring)]
		if e.ev.Seq > after {
			out = append(out, e)
		}
	}
	return out, true
}

// Publish implements queue.Publisher. It never blocks on a client. It is
// called by one goroutine at a time (the store's poster), which keeps every
// client's events in order.
func (h *Hub) Publish(events []protocol.Event) {
	prepared := make([]entry, 0, len(events))
	for _, ev := range events {
		e, err := prepare(ev)
		if err != nil {
			h.opts.Log.Error("cannot encode event", "seq", ev.Seq, "err", err)
			continue
		}
		prepared = append(prepared, e)
	}
	// Decide who gets what under the lock; write outside it.
	var out []delivery
	h.mu.Lock()
	for _, e := range prepared {
		if e.ev.Seq <= h.last {
			continue
		}
		h.last = e.ev.Seq
		h.push(e)
		for c := range h.clients {
			if e.ev.Seq <= c.after {
				continue
			}
			out = append(out, delivery{c, e.frame})
		}
	}
	h.mu.Unlock()
	h.deliver(out)
}

// DeviceChanged tells the clients that asked for it (Request.Devices) that
// a device changed, with a device.updated message. The message is not an
// event of the history: it is not kept for resuming, and it carries the
// seq of the last event, so clients that keep the seq keep it unchanged.
func (h *Hub) DeviceChanged(ch protocol.DeviceChange) {
	data, err := json.Marshal(ch)
	if err != nil {
		return
	}
	var out []delivery
	h.mu.Lock()
	e, err := prepare(protocol.Event{Seq: h.last, Epoch: h.epoch, Type: protocol.EventDeviceUpdated, At: time.Now(), Data: data})
	if err == nil {
		for c := range h.clients {
			if c.devices {
				out = append(out, delivery{c, e.frame})
			}
		}
	}
	h.mu.Unlock()
	h.deliver(out)
}

// Close disconnects every client and waits for their goroutines.
func (h *Hub) Close() { h.conns.close() }

// Request is a subscription request.
type Request struct {
	// Since is the last seq the client saw; nil asks for a snapshot.
	Since *int64
	// Epoch is the epoch that seq belongs to ("" if unknown).
	Epoch string
	// Keys name the credentials the client signed in with (see Revoke);
	// AuthAt is when they were checked.
	Keys   []string
	AuthAt time.Time
	// ExpiresIn closes the connection when the credential expires (0: never).
	ExpiresIn time.Duration
	// OnClose, when set, is called once when a connection that Serve
	// accepted ends (not when Serve returns an error).
	OnClose func()
	// Devices makes the client receive the device.updated messages of
	// DeviceChanged (admins and supervisors only: devices are no business
	// of displays, kiosks and clerks).
	Devices bool
}

// revocation is one call of Revoke.
type revocation struct {
	at     time.Time
	except string
}

// Revoke closes every connection holding credential key, except those
// that also hold except (when not empty), with close code 1008 (policy
// violation) and the reason "credential revoked". When it returns, those
// connections receive no further event. A handshake authenticated before
// the call is refused when it completes after it.
func (h *Hub) Revoke(key, except string) {
	now := time.Now()
	h.mu.Lock()
	for k, r := range h.revoked {
		if now.Sub(r.at) > time.Minute { // longer than any handshake
			delete(h.revoked, k)
		}
	}
	h.revoked[key] = revocation{at: now, except: except}
	var cs []*client
	for c := range h.clients {
		if c.revokedBy(key, except) {
			cs = append(cs, c)
		}
	}
	for _, c := range cs {
		h.unregister(c)
	}
	h.mu.Unlock()
	for _, c := range cs {
		c.close(websocket.ClosePolicyViolation, "credential revoked")
		c.dropped()
	}
}

// Keys lists the distinct credential keys with prefix (e.g. "token:")
// that connected clients hold, for a periodic recheck against storage.
func (h *Hub) Keys(prefix string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for c := range h.clients {
		for _, k := range c.keys {
			if strings.HasPrefix(k, prefix) && !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// revokedBy reports whether revoking key (sparing except) concerns c.
func (c *client) revokedBy(key, except string) bool {
	return slices.Contains(c.keys, key) && (except == "" || !slices.Contains(c.keys, except))
}

// stale reports whether a revocation happened after c authenticated; h.mu held.
func (h *Hub) stale(c *client) bool {
	for _, k := range c.keys {
		if r, ok := h.revoked[k]; ok && !c.authAt.After(r.at) && c.revokedBy(k, r.except) {
			return true
		}
	}
	return false
}

// ErrClosed is returned when the hub is shutting down.
var ErrClosed = errors.New("hub: closed")

// Serve upgrades the request to a websocket and streams events until the
// client leaves. Authentication is the caller's job.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, req Request) error {
	ws, err := h.up.Upgrade(w, r, nil)
	if err != nil {
		return err // Upgrade already answered with an HTTP error.
	}
	c := h.newClient(ws)
	c.keys, c.authAt, c.expiresIn = req.Keys, req.AuthAt, req.ExpiresIn
	c.devices = req.Devices
	initial, err := h.register(r.Context(), c, req)
	if err != nil {
		c.close(websocket.CloseTryAgainLater, "try again")
		return err
	}
	c.onClose = req.OnClose
	go h.reader(c) // counted by add
	c.start(initial)
	return nil
}

// ErrRevoked is returned when the credential was revoked during the handshake.
var ErrRevoked = errors.New("hub: credential revoked")

// register computes what the client gets first (missed events or a
// snapshot) and adds it to the fan-out atomically with respect to Publish.
func (h *Hub) register(ctx context.Context, c *client, req Request) ([][]byte, error) {
	var initial [][]byte
	snapshot := func() error {
		b := h.src.Board()
		seq := b.Seq
		raw, err := json.Marshal(b)
		if err != nil {
			return err
		}
		e, err := prepare(protocol.Event{Seq: seq, Epoch: h.epoch, Type: protocol.EventSnapshot, At: time.Now(), Data: raw})
		if err != nil {
			return err
		}
		initial = [][]byte{e.frame}
		c.after = seq
		return nil
	}
	add := func(es []entry) {
		for _, e := range es {
			initial = append(initial, e.frame)
		}
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	if h.stale(c) {
		h.mu.Unlock()
		return nil, ErrRevoked
	}
	resumable := req.Since != nil && (req.Epoch == "" || req.Epoch == h.epoch) && *req.Since <= h.last && *req.Since >= 0
	if !resumable {
		err := snapshot()
		if err == nil {
			h.add(c)
		}
		h.mu.Unlock()
		return initial, err
	}
	after := *req.Since
	// Fast path: the ring covers the gap.
	if h.joinFrom(c, after, add) {
		h.mu.Unlock()
		return initial, nil
	}
	h.mu.Unlock()
	// Slow path: read older events from the store, then join the ring.
	first, err := h.src.FirstSeq(ctx)
	if err != nil {
		return nil, err
	}
	if first == 0 || first > after+1 {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.closed {
			return nil, ErrClosed
		}
		if h.stale(c) {
			return nil, ErrRevoked
		}
		if err := snapshot(); err != nil {
			return nil, err
		}
		h.add(c)
		return initial, nil
	}
	for {
		evs, err := h.src.Events(ctx, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			e, err := prepare(ev)
			if err != nil {
				return nil, err
			}
			add([]entry{e})
			after = ev.Seq
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return nil, ErrClosed
		}
		if h.stale(c) {
			h.mu.Unlock()
			return nil, ErrRevoked
		}
		if h.joinFrom(c, after, add) {
			h.mu.Unlock()
			return initial, nil
		}
		h.mu.Unlock()
		if len(evs) == 0 {
			return nil, errors.New("hub: events missing between store and ring")
		}
	}
}

// joinFrom registers c if the ring holds every event after seq after,
// handing those to add first; h.mu held. Under the lock no event can slip
// between the replay and the registration.
func (h *Hub) joinFrom(c *client, after int64, add func([]entry)) bool {
	es, ok := h.ringFrom(after)
	if !ok {
		return false
	}
	add(es)
	c.after = h.last
	h.add(c)
	return true
}
