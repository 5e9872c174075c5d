package wsconn

import (
	"net"
	"sync"
	"time"
)

// Options tune a Writer and connect it to whoever owns its connection.
type Options struct {
	// Queue is how many frames may wait while the socket is full before
	// the connection is given up as too slow.
	Queue int
	// WriteTimeout bounds one write of the flusher.
	WriteTimeout time.Duration
	// Go runs f on a goroutine its owner waits for when it shuts down, or
	// reports false, running nothing, once the owner is shutting down.
	Go func(f func()) bool
	// Fail ends the connection after a failed write (code -1: no close
	// frame) or an overflowing queue (CloseTryAgainLater, ReasonTooSlow):
	// the owner forgets it and calls Close(code, why). It never runs with
	// the Writer's lock held: failures found under it are handed to Go.
	// It may come again for a connection already failed or closed (the
	// flusher's write, cut short by Close, fails too): the owner ignores
	// a connection it already forgot.
	Fail func(code int, why string)
}

// Writer sends frames on one connection, in order, without ever blocking
// its caller on the socket: straight into the socket while it keeps up
// (TryWrite), through a bounded queue and a flusher goroutine when not.
// An idle connection holds no goroutine and no buffer. It is safe for
// concurrent use.
type Writer struct {
	conn net.Conn
	opts Options

	mu         sync.Mutex
	started    bool // Start ran: frames may be written
	queue      [][]byte
	flushing   bool
	closed     bool
	closeAfter bool // the flusher closes the connection when the queue is sent
}

// NewWriter returns a Writer on conn; nothing is written before Start.
func NewWriter(conn net.Conn, opts Options) *Writer {
	return &Writer{conn: conn, opts: opts}
}

// Start sends the first frames before any frame Send was given. Until it
// runs, Send only queues: a subscriber can be registered (so no event
// falls between its first frames and the live ones) before its first
// frames are sent.
func (w *Writer) Start(initial [][]byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.started = true
	// Live frames may already be queued behind: put the initial ones first.
	w.queue = append(initial, w.queue...)
	if len(w.queue) > 0 {
		w.flushLocked()
	}
}

// Send queues or writes one frame without ever blocking on the socket.
func (w *Writer) Send(f []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	if w.started && !w.flushing && len(w.queue) == 0 {
		n, err := TryWrite(w.conn, f)
		if err != nil {
			w.failLater(-1, "")
			return
		}
		if n == len(f) {
			return
		}
		f = f[n:] // the socket is full: the rest goes through the flusher
	}
	if len(w.queue) >= w.opts.Queue {
		w.closed = true
		w.queue = nil
		w.failLater(CloseTryAgainLater, ReasonTooSlow)
		return
	}
	w.queue = append(w.queue, f)
	if w.started {
		w.flushLocked()
	}
}

// failLater calls Fail on its own goroutine, since w.mu is held (Fail
// ends in Close, which takes it); w.mu held.
func (w *Writer) failLater(code int, why string) {
	w.opts.Go(func() { w.opts.Fail(code, why) })
}

// flushLocked starts the flusher if it is not running; w.mu held. Once the
// owner is shutting down no flusher starts: the connection is cut instead.
func (w *Writer) flushLocked() {
	if w.flushing || w.closed {
		return
	}
	// The flusher waits for w.mu, held here until flushing is set.
	if !w.opts.Go(w.flush) {
		w.closed, w.queue = true, nil
		w.conn.Close()
		return
	}
	w.flushing = true
}

// flush writes queued frames with a deadline until the queue is empty.
func (w *Writer) flush() {
	for {
		w.mu.Lock()
		if len(w.queue) == 0 || w.closed && !w.closeAfter {
			// Clear the deadline: an expired one would fail the direct
			// writes that follow (the poller checks it first).
			w.conn.SetWriteDeadline(time.Time{})
			w.flushing = false
			closing := w.closed
			w.queue = nil
			w.mu.Unlock()
			if closing {
				w.conn.Close()
			}
			return
		}
		f := w.queue[0]
		w.queue[0] = nil
		w.queue = w.queue[1:]
		w.mu.Unlock()
		w.conn.SetWriteDeadline(time.Now().Add(w.opts.WriteTimeout))
		if _, err := w.conn.Write(f); err != nil {
			w.mu.Lock()
			w.flushing = false
			w.mu.Unlock()
			w.opts.Fail(-1, "")
			return
		}
	}
}

// Close sends a close frame (code < 0: none) and closes the connection. A
// connection whose flusher is busy gets the frame after what is queued
// (bounded by the write deadline); one given up for slowness
// (CloseTryAgainLater) is cut at once. Frames sent after Close are dropped.
func (w *Writer) Close(code int, why string) {
	w.mu.Lock()
	if w.closed && !w.flushing {
		w.mu.Unlock()
		w.conn.Close()
		return
	}
	w.closed = true
	if w.flushing && code >= 0 && code != CloseTryAgainLater {
		w.queue = append(w.queue, CloseFrame(code, why))
		w.closeAfter = true
		w.mu.Unlock()
		return
	}
	w.queue = nil
	if code >= 0 && !w.flushing {
		TryWrite(w.conn, CloseFrame(code, why))
	}
	w.mu.Unlock()
	w.conn.Close()
}
