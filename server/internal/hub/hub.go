// Package hub fans committed events out to websocket subscribers.
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
package hub

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

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

// maxClientMessage is the largest message a client may send; clients have
// nothing to say beyond pings.
const maxClientMessage = 512

type entry struct {
	ev    protocol.Event
	frame []byte // the complete websocket text frame
}

// Filter decides what one client receives: it returns the payload to send
// for ev, or nil to skip it. The default sends every event as is.
type Filter func(ev protocol.Event, raw []byte) []byte

// Hub is the fan-out. It is safe for concurrent use.
type Hub struct {
	src  Source
	opts Options
	up   websocket.Upgrader

	mu      sync.Mutex
	clients map[*client]struct{}
	ring    []entry // circular, ring[(start+i)%len] for i < n
	start   int
	n       int
	last    int64
	epoch   string
	closed  bool
	// revoked remembers recent revocations, so that a handshake
	// authenticated just before one cannot join just after it.
	revoked map[string]revocation

	wg       sync.WaitGroup // readers, flushers and drops under way (dropLater)
	stopPing chan struct{}
	pingDone chan struct{}
	count    atomic.Int64
	kicked   atomic.Int64
}

// New returns a hub serving events after the source's current board.
func New(src Source, epoch string, opts Options) *Hub {
	opts.defaults()
	h := &Hub{src: src, opts: opts, clients: map[*client]struct{}{}, epoch: epoch, revoked: map[string]revocation{},
		ring: make([]entry, opts.RingSize), stopPing: make(chan struct{}), pingDone: make(chan struct{})}
	h.up = websocket.Upgrader{
		// A small read buffer: clients send almost nothing. The hub writes
		// frames itself, so gorilla's write buffers stay unused.
		ReadBufferSize:  256,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     func(*http.Request) bool { return true }, // auth is by token, not cookie, on /ws
	}
	h.last = src.Board().Seq
	go h.pinger()
	return h
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
	return entry{ev: ev, frame: frame(opText, raw)}, nil
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

// delivery is one frame for one client.
type delivery struct {
	c     *client
	frame []byte
}

// parallelFrom is the number of deliveries above which Publish spreads the
// socket writes over the CPUs.
const parallelFrom = 256

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
			f := e.frame
			if c.filter != nil {
				raw, _ := encode(e.ev)
				b := c.filter(e.ev, raw)
				if b == nil {
					continue
				}
				f = frame(opText, b)
			}
			out = append(out, delivery{c, f})
		}
	}
	h.mu.Unlock()
	h.deliver(out)
}

// deliver writes frames, in order per client, spread over the CPUs.
func (h *Hub) deliver(out []delivery) {
	workers := min(len(out)/parallelFrom+1, runtimeCPUs())
	if workers <= 1 {
		for _, d := range out {
			d.c.send(d.frame)
		}
		return
	}
	// Shard by client so each client's frames stay in order.
	shards := make([][]delivery, workers)
	idx := map[*client]int{}
	for _, d := range out {
		i, ok := idx[d.c]
		if !ok {
			i = len(idx) % workers
			idx[d.c] = i
		}
		shards[i] = append(shards[i], d)
	}
	var wg sync.WaitGroup
	for _, sh := range shards[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, d := range sh {
				d.c.send(d.frame)
			}
		}()
	}
	for _, d := range shards[0] {
		d.c.send(d.frame)
	}
	wg.Wait()
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

// pinger pings every client; a client that does not answer within PongWait
// is dropped by its reader.
func (h *Hub) pinger() {
	defer close(h.pingDone)
	t := time.NewTicker(h.opts.PingInterval)
	defer t.Stop()
	ping := frame(opPing, nil)
	for {
		select {
		case <-h.stopPing:
			return
		case <-t.C:
			h.mu.Lock()
			out := make([]delivery, 0, len(h.clients))
			for c := range h.clients {
				out = append(out, delivery{c, ping})
			}
			h.mu.Unlock()
			h.deliver(out)
		}
	}
}

// Clients is the number of connected subscribers.
func (h *Hub) Clients() int { return int(h.count.Load()) }

// Kicked counts clients disconnected for being too slow.
func (h *Hub) Kicked() int64 { return h.kicked.Load() }

// Close disconnects every client and waits for their goroutines.
func (h *Hub) Close() {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.stopPing)
	}
	cs := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		cs = append(cs, c)
	}
	h.mu.Unlock()
	<-h.pingDone
	for _, c := range cs {
		h.drop(c, websocket.CloseGoingAway, "server shutting down")
	}
	h.wg.Wait()
}

// Request is a subscription request.
type Request struct {
	// Since is the last seq the client saw; nil asks for a snapshot.
	Since *int64
	// Epoch is the epoch that seq belongs to ("" if unknown).
	Epoch string
	// Filter limits and reshapes what the client receives (nil: everything).
	Filter Filter
	// Snapshot builds the first message when events cannot be resumed; nil
	// sends the board.
	Snapshot func() (seq int64, data any)
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
	c := newClient(h, ws, req.Filter)
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
		var seq int64
		var data any
		if req.Snapshot != nil {
			seq, data = req.Snapshot()
		} else {
			b := h.src.Board()
			seq, data = b.Seq, b
		}
		raw, err := json.Marshal(data)
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
			if c.filter == nil {
				initial = append(initial, e.frame)
				continue
			}
			raw, _ := encode(e.ev)
			if b := c.filter(e.ev, raw); b != nil {
				initial = append(initial, frame(opText, b))
			}
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

// add registers c and counts its reader goroutine; h.mu held. Counting
// under the lock that Close takes keeps wg.Add from racing with wg.Wait
// when a handshake finishes while the server stops.
func (h *Hub) add(c *client) {
	h.clients[c] = struct{}{}
	h.count.Add(1)
	h.wg.Add(1)
	if c.expiresIn > 0 {
		c.expiry = time.AfterFunc(c.expiresIn, func() {
			h.drop(c, websocket.ClosePolicyViolation, "session expired")
		})
	}
}

// unregister removes c from the fan-out; h.mu held. It reports whether c
// was registered.
func (h *Hub) unregister(c *client) bool {
	if _, ok := h.clients[c]; !ok {
		return false
	}
	delete(h.clients, c)
	h.count.Add(-1)
	if c.expiry != nil {
		c.expiry.Stop()
	}
	return true
}

// drop unregisters c and closes its connection with a close frame.
func (h *Hub) drop(c *client, code int, why string) {
	h.mu.Lock()
	was := h.unregister(c)
	if was && why == "too slow" {
		h.kicked.Add(1)
	}
	h.mu.Unlock()
	c.close(code, why)
	if was {
		c.dropped()
	}
}

// dropLater drops c on its own goroutine, for callers holding c.mu (drop
// takes it). Close waits for it. Once the hub is closed nothing starts:
// Close drops every client itself.
func (h *Hub) dropLater(c *client, code int, why string) {
	h.mu.Lock()
	closed := h.closed
	if !closed {
		// Counted under the lock that Close takes to set closed, so the
		// Add never races with Close's Wait (as in add and flushLocked).
		h.wg.Add(1)
	}
	h.mu.Unlock()
	if closed {
		return
	}
	go func() {
		defer h.wg.Done()
		h.drop(c, code, why)
	}()
}

// dropped runs the client's onDrop once it has left the fan-out.
func (c *client) dropped() {
	if c.onDrop != nil {
		c.onDrop()
	}
}

// reader reads only to process pongs, pings and close frames; clients have
// nothing else to say. Oversized messages and floods close the connection.
func (h *Hub) reader(c *client) {
	defer h.wg.Done()
	if c.onClose != nil {
		defer c.onClose()
	}
	ws := c.ws
	ws.SetReadLimit(64 << 10)
	ws.SetReadDeadline(time.Now().Add(h.opts.PongWait))
	ws.SetPongHandler(func(string) error {
		return ws.SetReadDeadline(time.Now().Add(h.opts.PongWait))
	})
	// Control frames are answered through the client's own write path:
	// gorilla's default handlers would write concurrently with the hub.
	ws.SetPingHandler(func(data string) error {
		c.send(frame(opPong, []byte(data)))
		return ws.SetReadDeadline(time.Now().Add(h.opts.PongWait))
	})
	ws.SetCloseHandler(func(int, string) error { return nil })
	window := time.Now()
	count := 0
	for {
		_, r, err := ws.NextReader()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				h.drop(c, websocket.CloseNormalClosure, "")
			} else {
				h.drop(c, -1, "")
			}
			return
		}
		n, err := io.Copy(io.Discard, io.LimitReader(r, maxClientMessage+1))
		if err != nil {
			h.drop(c, -1, "")
			return
		}
		if n > maxClientMessage {
			h.drop(c, websocket.CloseMessageTooBig, "message too big")
			return
		}
		ws.SetReadDeadline(time.Now().Add(h.opts.PongWait))
		if time.Since(window) > time.Minute {
			window, count = time.Now(), 0
		}
		count++
		if count > h.opts.MaxClientMessages {
			h.drop(c, websocket.ClosePolicyViolation, "too many messages")
			return
		}
	}
}

// client is one subscriber. Its frames go out in order: straight into the
// socket while it keeps up, through queue and a flusher goroutine when not.
type client struct {
	h      *Hub
	ws     *websocket.Conn // reading only
	raw    net.Conn        // writing
	filter Filter
	after  int64 // only events with seq > after; guarded by h.mu
	// onClose is Request.OnClose, run when the reader ends.
	onClose func()

	devices   bool          // receives device.updated (Request.Devices)
	keys      []string      // credentials, for Revoke
	authAt    time.Time     // when they were checked
	expiresIn time.Duration // session expiry (0: none)
	expiry    *time.Timer   // guarded by h.mu
	// onDrop runs once when the client leaves the fan-out (the ticket hub
	// releases its connection slot); set before add.
	onDrop func()

	mu         sync.Mutex
	started    bool // start ran: live frames may be written
	queue      [][]byte
	flushing   bool
	closed     bool
	closeAfter bool // the flusher closes the connection when the queue is sent
}

func newClient(h *Hub, ws *websocket.Conn, f Filter) *client {
	return &client{h: h, ws: ws, raw: ws.NetConn(), filter: f}
}

// start sends the first frames (snapshot or missed events) before any live
// one. Until it runs, send only queues: the client is registered (so no
// event falls between its first frames and the live ones) before its first
// frames are sent.
func (c *client) start(initial [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.started = true
	// Live frames may already be queued behind: put the initial ones first.
	c.queue = append(initial, c.queue...)
	if len(c.queue) > 0 {
		c.flushLocked()
	}
}

// send queues or writes one frame without ever blocking on the socket.
func (c *client) send(f []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if c.started && !c.flushing && len(c.queue) == 0 {
		n, err := tryWrite(c.raw, f)
		if err != nil {
			c.h.dropLater(c, -1, "")
			return
		}
		if n == len(f) {
			return
		}
		f = f[n:] // the socket is full: the rest goes through the flusher
	}
	if len(c.queue) >= c.h.opts.SendQueue {
		c.closed = true
		c.queue = nil
		c.h.dropLater(c, websocket.CloseTryAgainLater, "too slow")
		return
	}
	c.queue = append(c.queue, f)
	if c.started {
		c.flushLocked()
	}
}

// flushLocked starts the flusher if it is not running; c.mu held. Once
// the hub is closed no flusher starts (Close may be waiting): the
// connection is cut instead.
func (c *client) flushLocked() {
	if c.flushing || c.closed {
		return
	}
	c.h.mu.Lock()
	closed := c.h.closed
	if !closed {
		c.h.wg.Add(1)
	}
	c.h.mu.Unlock()
	if closed {
		c.closed, c.queue = true, nil
		c.raw.Close()
		return
	}
	c.flushing = true
	go c.flush()
}

// flush writes queued frames with a deadline until the queue is empty.
func (c *client) flush() {
	defer c.h.wg.Done()
	for {
		c.mu.Lock()
		if len(c.queue) == 0 || c.closed && !c.closeAfter {
			// Clear the deadline: an expired one would fail the direct
			// writes that follow (the poller checks it first).
			c.raw.SetWriteDeadline(time.Time{})
			c.flushing = false
			closing := c.closed
			c.queue = nil
			c.mu.Unlock()
			if closing {
				c.raw.Close()
			}
			return
		}
		f := c.queue[0]
		c.queue[0] = nil
		c.queue = c.queue[1:]
		c.mu.Unlock()
		c.raw.SetWriteDeadline(time.Now().Add(c.h.opts.WriteTimeout))
		if _, err := c.raw.Write(f); err != nil {
			c.mu.Lock()
			c.flushing = false
			c.mu.Unlock()
			c.h.drop(c, -1, "")
			return
		}
	}
}

// close sends a close frame (code < 0: none) and closes the connection. A
// client whose flusher is busy gets the frame after what is queued (bounded
// by the write deadline); one being kicked for slowness is cut at once.
func (c *client) close(code int, why string) {
	c.mu.Lock()
	if c.closed && !c.flushing {
		c.mu.Unlock()
		c.raw.Close()
		return
	}
	c.closed = true
	if c.flushing && code >= 0 && code != websocket.CloseTryAgainLater {
		c.queue = append(c.queue, frame(opClose, websocket.FormatCloseMessage(code, why)))
		c.closeAfter = true
		c.mu.Unlock()
		return
	}
	c.queue = nil
	if code >= 0 && !c.flushing {
		tryWrite(c.raw, frame(opClose, websocket.FormatCloseMessage(code, why)))
	}
	c.mu.Unlock()
	c.raw.Close()
}

// WebSocket opcodes (RFC 6455).
const (
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA
)

// frame builds an unmasked, final server frame.
func frame(op byte, payload []byte) []byte {
	n := len(payload)
	var b []byte
	switch {
	case n < 126:
		b = make([]byte, 2, 2+n)
		b[1] = byte(n)
	case n <= 0xFFFF:
		b = make([]byte, 4, 4+n)
		b[1] = 126
		b[2], b[3] = byte(n>>8), byte(n)
	default:
		b = make([]byte, 10, 10+n)
		b[1] = 127
		for i := range 8 {
			b[9-i] = byte(uint64(n) >> (8 * i))
		}
	}
	b[0] = 0x80 | op
	return append(b, payload...)
}
