// Package hub fans committed events out to websocket subscribers.
//
// Each subscriber has a bounded send queue filled without blocking: a client
// that cannot keep up is disconnected and resumes later with ?since=, so a
// slow or dead client never delays the others. A ring of recent events (and
// the store behind it) lets a reconnecting client receive exactly the events
// it missed; when they are no longer kept it gets a fresh snapshot.
package hub

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
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
	// SendQueue is the per-client queue length (default 128 messages).
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

type entry struct {
	ev  protocol.Event
	msg *websocket.PreparedMessage
}

// Filter decides what one client receives: it returns the message to send
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

	wg      sync.WaitGroup
	count   atomic.Int64
	kicked  atomic.Int64
	written atomic.Int64
}

// New returns a hub serving events after the source's current board.
func New(src Source, epoch string, opts Options) *Hub {
	opts.defaults()
	h := &Hub{src: src, opts: opts, clients: map[*client]struct{}{}, epoch: epoch,
		ring: make([]entry, opts.RingSize)}
	h.up = websocket.Upgrader{
		// A small read buffer: clients send almost nothing. Pooled write
		// buffers: an idle connection holds none.
		ReadBufferSize:  256,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     func(*http.Request) bool { return true }, // auth is by token, not cookie, on /ws
	}
	h.last = src.Board().Seq
	return h
}

// Preload fills the ring with the newest stored events so that clients
// reconnecting after a server restart resume from memory.
func (h *Hub) Preload(ctx context.Context) error {
	h.mu.Lock()
	last := h.last
	h.mu.Unlock()
	after := max(last-int64(h.opts.RingSize), 0)
	evs, err := h.src.Events(ctx, after, h.opts.RingSize)
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

func prepare(ev protocol.Event) (entry, error) {
	raw, err := json.Marshal(ev)
	if err != nil {
		return entry{}, err
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, raw)
	if err != nil {
		return entry{}, err
	}
	return entry{ev: ev, msg: pm}, nil
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

// Publish implements queue.Publisher. It never blocks on a client.
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
	h.mu.Lock()
	defer h.mu.Unlock()
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
			msg := e.msg
			if c.filter != nil {
				raw, _ := json.Marshal(e.ev)
				b := c.filter(e.ev, raw)
				if b == nil {
					continue
				}
				pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
				if err != nil {
					continue
				}
				msg = pm
			}
			select {
			case c.send <- msg:
			default:
				h.kickLocked(c, "too slow")
			}
		}
	}
}

// kickLocked disconnects c; h.mu held. The writer notices c.done.
func (h *Hub) kickLocked(c *client, why string) {
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	h.count.Add(-1)
	h.kicked.Add(1)
	c.stop(why)
}

// Clients is the number of connected subscribers.
func (h *Hub) Clients() int { return int(h.count.Load()) }

// Kicked counts clients disconnected for being too slow.
func (h *Hub) Kicked() int64 { return h.kicked.Load() }

// Close disconnects every client and waits for their goroutines.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	for c := range h.clients {
		delete(h.clients, c)
		h.count.Add(-1)
		c.stop("server shutting down")
	}
	h.mu.Unlock()
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
}

type client struct {
	conn    *websocket.Conn
	send    chan *websocket.PreparedMessage
	after   int64
	filter  Filter
	done    chan struct{}
	once    sync.Once
	why     atomic.Value
	initial []*websocket.PreparedMessage
}

func (c *client) stop(why string) {
	c.once.Do(func() {
		c.why.Store(why)
		close(c.done)
	})
}

// ErrClosed is returned when the hub is shutting down.
var ErrClosed = errors.New("hub: closed")

// Serve upgrades the request to a websocket and streams events until the
// client leaves. Authentication is the caller's job.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, req Request) error {
	conn, err := h.up.Upgrade(w, r, nil)
	if err != nil {
		return err // Upgrade already answered with an HTTP error.
	}
	c := &client{conn: conn, send: make(chan *websocket.PreparedMessage, h.opts.SendQueue), filter: req.Filter, done: make(chan struct{})}
	if err := h.register(r.Context(), c, req); err != nil {
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "try again"), time.Now().Add(time.Second))
		conn.Close()
		return err
	}
	go h.writer(c) // counted in h.wg by add
	go h.reader(c)
	return nil
}

// register computes what the client gets first (missed events or a
// snapshot) and adds it to the fan-out atomically with respect to Publish.
func (h *Hub) register(ctx context.Context, c *client, req Request) error {
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
		c.initial = append(c.initial[:0], e.msg)
		c.after = seq
		return nil
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return ErrClosed
	}
	resumable := req.Since != nil && (req.Epoch == "" || req.Epoch == h.epoch) && *req.Since <= h.last && *req.Since >= 0
	if !resumable {
		err := snapshot()
		if err == nil {
			h.add(c)
		}
		h.mu.Unlock()
		return err
	}
	after := *req.Since
	// Fast path: the ring covers the gap.
	if es, ok := h.ringFrom(after); ok {
		h.addInitial(c, es)
		c.after = h.last
		h.add(c)
		h.mu.Unlock()
		return nil
	}
	h.mu.Unlock()
	// Slow path: read older events from the store, then join the ring.
	first, err := h.src.FirstSeq(ctx)
	if err != nil {
		return err
	}
	if first == 0 || first > after+1 {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.closed {
			return ErrClosed
		}
		if err := snapshot(); err != nil {
			return err
		}
		h.add(c)
		return nil
	}
	for {
		evs, err := h.src.Events(ctx, after, 1000)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			e, err := prepare(ev)
			if err != nil {
				return err
			}
			c.initial = append(c.initial, e.msg)
			after = ev.Seq
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return ErrClosed
		}
		if es, ok := h.ringFrom(after); ok {
			h.addInitial(c, es)
			c.after = h.last
			h.add(c)
			h.mu.Unlock()
			return nil
		}
		h.mu.Unlock()
		if len(evs) == 0 {
			return errors.New("hub: events missing between store and ring")
		}
	}
}

func (h *Hub) addInitial(c *client, es []entry) {
	for _, e := range es {
		if c.filter == nil {
			c.initial = append(c.initial, e.msg)
			continue
		}
		raw, _ := json.Marshal(e.ev)
		if b := c.filter(e.ev, raw); b != nil {
			if pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b); err == nil {
				c.initial = append(c.initial, pm)
			}
		}
	}
}

// add joins c to the fan-out; the caller holds h.mu and saw the hub open.
// It counts c's reader and writer in h.wg here, under the lock, so that
// Close's Wait never races with an Add (a handshake finishing while the
// server stops: http.Server.Shutdown does not wait for hijacked connections).
func (h *Hub) add(c *client) {
	h.clients[c] = struct{}{}
	h.count.Add(1)
	h.wg.Add(2)
}

func (h *Hub) remove(c *client, why string) {
	h.mu.Lock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		h.count.Add(-1)
	}
	h.mu.Unlock()
	c.stop(why)
}

func (h *Hub) writer(c *client) {
	defer h.wg.Done()
	ping := time.NewTicker(h.opts.PingInterval)
	defer func() {
		ping.Stop()
		c.conn.Close()
	}()
	write := func(m *websocket.PreparedMessage) bool {
		c.conn.SetWriteDeadline(time.Now().Add(h.opts.WriteTimeout))
		if err := c.conn.WritePreparedMessage(m); err != nil {
			h.remove(c, "write failed")
			return false
		}
		h.written.Add(1)
		return true
	}
	for _, m := range c.initial {
		if !write(m) {
			return
		}
	}
	c.initial = nil
	for {
		select {
		case m := <-c.send:
			if !write(m) {
				return
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(h.opts.WriteTimeout)); err != nil {
				h.remove(c, "ping failed")
				return
			}
		case <-c.done:
			why, _ := c.why.Load().(string)
			code := websocket.ClosePolicyViolation
			switch why {
			case "server shutting down":
				code = websocket.CloseGoingAway
			case "too slow":
				code = websocket.CloseTryAgainLater
			case "read failed":
				return
			}
			c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, why), time.Now().Add(time.Second))
			return
		}
	}
}

// reader reads only to process pongs and close frames; clients have nothing
// to say. Oversized frames (read limit) and floods close the connection.
func (h *Hub) reader(c *client) {
	defer h.wg.Done()
	c.conn.SetReadLimit(512)
	c.conn.SetReadDeadline(time.Now().Add(h.opts.PongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(h.opts.PongWait))
	})
	window := time.Now()
	count := 0
	for {
		if _, _, err := c.conn.ReadMessage(); err != nil {
			h.remove(c, "read failed")
			return
		}
		c.conn.SetReadDeadline(time.Now().Add(h.opts.PongWait))
		if time.Since(window) > time.Minute {
			window, count = time.Now(), 0
		}
		count++
		if count > h.opts.MaxClientMessages {
			h.remove(c, "too many messages")
			return
		}
	}
}
