package hub

import (
	"errors"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civiq/civiq/server/internal/hub/wsconn"
)

// conns is the connection machinery both hubs share: the handshake, the
// registered clients with their readers, pings and drops, and every
// goroutine to wait for when it closes. Who receives what is the hubs'
// business (Hub: the event history; TicketHub: one ticket's view).
type conns struct {
	opts Options
	up   websocket.Upgrader

	// mu guards clients, closed and each client's after and expiry; the
	// Hub takes it for its ring too, so that a client joins atomically
	// with respect to Publish.
	mu      sync.Mutex
	clients map[*client]struct{}
	closed  bool

	wg       sync.WaitGroup // readers, flushers and failures under way (spawn)
	stopPing chan struct{}
	pingDone chan struct{}
	count    atomic.Int64
	kicked   atomic.Int64
}

// newConns returns the machinery with its pinger running; close stops it.
func newConns(opts Options) *conns {
	opts.defaults()
	cs := &conns{opts: opts, clients: map[*client]struct{}{}, stopPing: make(chan struct{}), pingDone: make(chan struct{})}
	cs.up = websocket.Upgrader{
		// A small read buffer: clients send almost nothing. The hub writes
		// frames itself (wsconn), so gorilla's write buffers stay unused.
		ReadBufferSize:  256,
		WriteBufferPool: &sync.Pool{},
		// Auth is by token (in a header, the query or the ticket's path),
		// never by cookie, so any origin may connect.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	go cs.pinger()
	return cs
}

// client is one subscriber: its frames go out through w, in order.
type client struct {
	cs    *conns
	ws    *websocket.Conn // reading only
	w     *wsconn.Writer  // writing
	after int64           // only events with seq > after; guarded by cs.mu
	// onClose is Request.OnClose, run when the reader ends.
	onClose func()

	devices   bool          // receives device.updated (Request.Devices)
	keys      []string      // credentials, for Revoke
	authAt    time.Time     // when they were checked
	expiresIn time.Duration // session expiry (0: none)
	expiry    *time.Timer   // guarded by cs.mu
	// onDrop runs once when the client leaves the fan-out (the ticket hub
	// releases its connection slot); set before add.
	onDrop func()
}

func (cs *conns) newClient(ws *websocket.Conn) *client {
	c := &client{cs: cs, ws: ws}
	c.w = wsconn.NewWriter(ws.NetConn(), wsconn.Options{
		Queue:        cs.opts.SendQueue,
		WriteTimeout: cs.opts.WriteTimeout,
		Go:           cs.spawn,
		Fail:         func(code int, why string) { cs.drop(c, code, why) },
	})
	return c
}

// start sends the first frames (snapshot or missed events) before any live one.
func (c *client) start(initial [][]byte) { c.w.Start(initial) }

// send queues or writes one frame without ever blocking on the socket.
func (c *client) send(f []byte) { c.w.Send(f) }

// close sends a close frame (code < 0: none) and closes the connection.
func (c *client) close(code int, why string) { c.w.Close(code, why) }

// delivery is one frame for one client.
type delivery struct {
	c     *client
	frame []byte
}

// parallelFrom is the number of deliveries above which deliver spreads the
// socket writes over the CPUs.
const parallelFrom = 256

// deliver writes frames, in order per client, spread over the CPUs.
func (cs *conns) deliver(out []delivery) {
	workers := min(len(out)/parallelFrom+1, runtime.GOMAXPROCS(0))
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

// pinger pings every client; a client that does not answer within PongWait
// is dropped by its reader.
func (cs *conns) pinger() {
	defer close(cs.pingDone)
	t := time.NewTicker(cs.opts.PingInterval)
	defer t.Stop()
	ping := wsconn.Frame(wsconn.OpPing, nil)
	for {
		select {
		case <-cs.stopPing:
			return
		case <-t.C:
			cs.mu.Lock()
			out := make([]delivery, 0, len(cs.clients))
			for c := range cs.clients {
				out = append(out, delivery{c, ping})
			}
			cs.mu.Unlock()
			cs.deliver(out)
		}
	}
}

// Clients is the number of connected subscribers.
func (cs *conns) Clients() int { return int(cs.count.Load()) }

// Kicked counts clients disconnected for being too slow.
func (cs *conns) Kicked() int64 { return cs.kicked.Load() }

// close disconnects every client and waits for their goroutines.
func (cs *conns) close() {
	cs.mu.Lock()
	if !cs.closed {
		cs.closed = true
		close(cs.stopPing)
	}
	clients := make([]*client, 0, len(cs.clients))
	for c := range cs.clients {
		clients = append(clients, c)
	}
	cs.mu.Unlock()
	<-cs.pingDone
	for _, c := range clients {
		cs.drop(c, websocket.CloseGoingAway, "server shutting down")
	}
	cs.wg.Wait()
}

// add registers c and counts its reader goroutine; cs.mu held. Counting
// under the lock that close takes keeps wg.Add from racing with wg.Wait
// when a handshake finishes while the server stops.
func (cs *conns) add(c *client) {
	cs.clients[c] = struct{}{}
	cs.count.Add(1)
	cs.wg.Add(1)
	if c.expiresIn > 0 {
		c.expiry = time.AfterFunc(c.expiresIn, func() {
			cs.drop(c, websocket.ClosePolicyViolation, "session expired")
		})
	}
}

// unregister removes c from the fan-out; cs.mu held. It reports whether c
// was registered.
func (cs *conns) unregister(c *client) bool {
	if _, ok := cs.clients[c]; !ok {
		return false
	}
	delete(cs.clients, c)
	cs.count.Add(-1)
	if c.expiry != nil {
		c.expiry.Stop()
	}
	return true
}

// drop unregisters c and closes its connection with a close frame.
func (cs *conns) drop(c *client, code int, why string) {
	cs.mu.Lock()
	was := cs.unregister(c)
	if was && why == wsconn.ReasonTooSlow {
		cs.kicked.Add(1)
	}
	cs.mu.Unlock()
	c.close(code, why)
	if was {
		c.dropped()
	}
}

// spawn runs f on a goroutine that close waits for, and reports false
// without running it once close has begun (close drops every client
// itself). Counted under the lock that close takes to set closed, so the
// Add never races with close's Wait (as in add). The writers start their
// flushers and report their failures through it.
func (cs *conns) spawn(f func()) bool {
	cs.mu.Lock()
	closed := cs.closed
	if !closed {
		cs.wg.Add(1)
	}
	cs.mu.Unlock()
	if closed {
		return false
	}
	go func() {
		defer cs.wg.Done()
		f()
	}()
	return true
}

// dropped runs the client's onDrop once it has left the fan-out.
func (c *client) dropped() {
	if c.onDrop != nil {
		c.onDrop()
	}
}

// maxClientMessage is the largest message a client may send; clients have
// nothing to say beyond pings.
const maxClientMessage = 512

// reader reads only to process pongs, pings and close frames; clients have
// nothing else to say. Oversized messages and floods close the connection.
func (cs *conns) reader(c *client) {
	defer cs.wg.Done()
	if c.onClose != nil {
		defer c.onClose()
	}
	ws := c.ws
	ws.SetReadLimit(64 << 10)
	ws.SetReadDeadline(time.Now().Add(cs.opts.PongWait))
	ws.SetPongHandler(func(string) error {
		return ws.SetReadDeadline(time.Now().Add(cs.opts.PongWait))
	})
	// Control frames are answered through the client's own write path:
	// gorilla's default handlers would write concurrently with the hub.
	ws.SetPingHandler(func(data string) error {
		c.send(wsconn.Frame(wsconn.OpPong, []byte(data)))
		return ws.SetReadDeadline(time.Now().Add(cs.opts.PongWait))
	})
	ws.SetCloseHandler(func(int, string) error { return nil })
	window := time.Now()
	count := 0
	for {
		_, r, err := ws.NextReader()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				cs.drop(c, websocket.CloseNormalClosure, "")
			} else {
				cs.drop(c, -1, "")
			}
			return
		}
		n, err := io.Copy(io.Discard, io.LimitReader(r, maxClientMessage+1))
		if err != nil {
			cs.drop(c, -1, "")
			return
		}
		if n > maxClientMessage {
			cs.drop(c, websocket.CloseMessageTooBig, "message too big")
			return
		}
		ws.SetReadDeadline(time.Now().Add(cs.opts.PongWait))
		if time.Since(window) > time.Minute {
			window, count = time.Now(), 0
		}
		count++
		if count > cs.opts.MaxClientMessages {
			cs.drop(c, websocket.ClosePolicyViolation, "too many messages")
			return
		}
	}
}
