package wsconn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// owner plays the hub: it counts the goroutines it starts and, on a
// failure, forgets the connection and closes it, as the hub's drop does.
type owner struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
	fails  chan failure
	w      *Writer
}

type failure struct {
	code int
	why  string
}

func newOwner() *owner { return &owner{fails: make(chan failure, 16)} }

func (o *owner) Go(f func()) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return false
	}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		f()
	}()
	return true
}

func (o *owner) Fail(code int, why string) {
	o.fails <- failure{code, why}
	o.w.Close(code, why)
}

// writer returns a Writer on conn owned by o; the test waits for every
// goroutine it started.
func (o *owner) writer(t *testing.T, conn net.Conn, queue int) *Writer {
	t.Helper()
	o.w = NewWriter(conn, Options{Queue: queue, WriteTimeout: 5 * time.Second, Go: o.Go, Fail: o.Fail})
	t.Cleanup(func() {
		o.w.Close(-1, "")
		o.wg.Wait()
	})
	return o.w
}

// tcpPair returns both ends of a loopback TCP connection whose server end
// has a small send buffer, so that a few frames fill it. (The client's
// receive buffer keeps its size: shrunk after the handshake, it can stall
// the connection in the kernel.)
func tcpPair(t *testing.T) (server, client *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	cc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc := <-accepted
	if sc == nil {
		t.Fatal("accept failed")
	}
	server, client = sc.(*net.TCPConn), cc.(*net.TCPConn)
	server.SetWriteBuffer(64 << 10)
	t.Cleanup(func() {
		server.Close()
		client.Close()
	})
	return server, client
}

// readFrames reads frames from conn until it ends (or want frames came)
// and returns their opcodes and payloads.
func readFrames(t *testing.T, conn net.Conn, want int) (ops []byte, payloads [][]byte) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	var buf []byte
	chunk := make([]byte, 64<<10)
	for want < 0 || len(ops) < want {
		n, err := conn.Read(chunk)
		buf = append(buf, chunk[:n]...)
		o, p, rest := parseFrames(t, buf)
		ops, payloads = append(ops, o...), append(payloads, p...)
		buf = rest // appending after it leaves the payloads before it alone
		if err != nil {
			if len(buf) > 0 {
				t.Fatalf("%d bytes of a cut frame at the end (%v)", len(buf), err)
			}
			return ops, payloads
		}
	}
	return ops, payloads
}

func numbered(i, size int) []byte {
	p := fmt.Appendf(nil, "%06d:", i)
	return append(p, bytes.Repeat([]byte{byte('a' + i%26)}, size-len(p))...)
}

// TestWriterInOrder: the first frames go before frames sent earlier, and a
// socket that keeps up takes every frame directly (no flusher).
func TestWriterInOrder(t *testing.T) {
	server, client := tcpPair(t)
	o := newOwner()
	w := o.writer(t, server, 8)
	w.Send(Frame(OpText, []byte("live 1"))) // before Start: queued
	w.Start([][]byte{Frame(OpText, []byte("snapshot"))})
	o.wg.Wait() // the flusher sent both
	for _, s := range []string{"live 2", "live 3"} {
		w.Send(Frame(OpText, []byte(s)))
	}
	w.mu.Lock()
	flushing, queued := w.flushing, len(w.queue)
	w.mu.Unlock()
	if runtime.GOOS != "windows" && (flushing || queued > 0) {
		t.Errorf("a socket with room: flushing %v, %d queued; want direct writes", flushing, queued)
	}
	_, got := readFrames(t, client, 4)
	want := []string{"snapshot", "live 1", "live 2", "live 3"}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Fatalf("frame %d is %q, want %q", i, got[i], want[i])
		}
	}
}

// TestTryWritePartial: a socket with some room takes part of a write too
// large for it and says how much; a full one takes nothing, without error
// and without waiting.
func TestTryWritePartial(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Log("no non-blocking writes on this platform: TryWrite takes nothing")
	}
	server, client := tcpPair(t)
	b := numbered(7, 16<<20) // more than any loopback socket pair holds
	n, err := TryWrite(server, b)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && (n <= 0 || n >= len(b)) {
		t.Fatalf("first write took %d of %d bytes, want a part", n, len(b))
	}
	start := time.Now()
	if m, err := TryWrite(server, b[n:]); m != 0 || err != nil {
		t.Fatalf("a full socket took %d bytes, err %v; want 0, nil", m, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a write to a full socket waited %v", d)
	}
	got := make([]byte, n)
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(client, got); err != nil || !bytes.Equal(got, b[:n]) {
		t.Fatalf("the reader got other bytes than were written (%v)", err)
	}
}

// TestWriterPartialWrites: frames far larger than the socket's buffer are
// cut by the kernel; the rest of a frame goes through the flusher ahead of
// the frames after it, so the reader gets every frame whole and in order.
func TestWriterPartialWrites(t *testing.T) {
	server, client := tcpPair(t)
	o := newOwner()
	w := o.writer(t, server, 1000)
	w.Start(nil)
	// The first frame is larger than what the sockets hold, so TryWrite
	// takes part of it; the others wait in the queue.
	const frames, size = 12, 1 << 20
	sawQueue := false
	for i := range frames {
		w.Send(Frame(OpText, numbered(i, size)))
		w.mu.Lock()
		sawQueue = sawQueue || len(w.queue) > 0
		w.mu.Unlock()
	}
	if !sawQueue {
		t.Error("12 MB to a reader that does not read never went through the queue")
	}
	select {
	case f := <-o.fails:
		t.Fatalf("failed: %+v", f)
	default:
	}
	ops, got := readFrames(t, client, frames)
	for i := range frames {
		if ops[i] != OpText || !bytes.Equal(got[i], numbered(i, size)) {
			t.Fatalf("frame %d: op %x, %d bytes starting %q", i, ops[i], len(got[i]), got[i][:min(len(got[i]), 8)])
		}
	}
}

// TestWriterTooSlow: a reader that never reads fills the socket, then the
// queue; the owner is told (CloseTryAgainLater, "too slow") and later
// frames are dropped, never blocking the sender.
func TestWriterTooSlow(t *testing.T) {
	server, _ := tcpPair(t)
	o := newOwner()
	w := o.writer(t, server, 2)
	w.Start(nil)
	start := time.Now()
	for i := range 400 {
		w.Send(Frame(OpText, numbered(i, 60<<10)))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("sending to a stuck reader took %v", d)
	}
	select {
	case f := <-o.fails:
		if f.code != CloseTryAgainLater || f.why != ReasonTooSlow {
			t.Fatalf("failure %+v, want 1013 too slow", f)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stuck reader was never given up")
	}
	o.wg.Wait()
	// The flusher's write, cut short, may report too (the owner ignores
	// a connection it already forgot); nothing else may.
	for len(o.fails) > 0 {
		if f := <-o.fails; f.code != -1 {
			t.Fatalf("a second failure: %+v", f)
		}
	}
	w.mu.Lock()
	closed, queued := w.closed, len(w.queue)
	w.mu.Unlock()
	if !closed || queued != 0 {
		t.Fatalf("after the failure: closed %v, %d queued", closed, queued)
	}
}

// TestWriterCloseAfterQueue: Close while the flusher is busy sends the
// close frame after what is queued, then ends the connection.
func TestWriterCloseAfterQueue(t *testing.T) {
	server, client := tcpPair(t)
	o := newOwner()
	w := o.writer(t, server, 1000)
	w.Start(nil)
	const frames = 40
	for i := range frames {
		w.Send(Frame(OpText, numbered(i, 60<<10)))
	}
	w.mu.Lock()
	flushing := w.flushing
	w.mu.Unlock()
	if !flushing {
		t.Fatal("2.4 MB to a reader that does not read: no flusher")
	}
	w.Close(CloseGoingAway, "bye")
	w.Send(Frame(OpText, []byte("after close"))) // dropped
	ops, got := readFrames(t, client, -1)
	if len(ops) != frames+1 {
		t.Fatalf("%d frames, want %d and the close", len(ops), frames)
	}
	for i := range frames {
		if !bytes.Equal(got[i], numbered(i, 60<<10)) {
			t.Fatalf("frame %d damaged", i)
		}
	}
	if ops[frames] != OpClose || !bytes.Equal(got[frames], []byte{0x03, 0xE9, 'b', 'y', 'e'}) {
		t.Fatalf("last frame op %x % x, want close 1001 bye", ops[frames], got[frames])
	}
}

// TestWriterCloseIdle: Close on an idle connection writes the close frame
// at once; a negative code closes without one.
func TestWriterCloseIdle(t *testing.T) {
	for _, c := range []struct {
		code int
		want [][]byte
	}{
		{ClosePolicyViolation, [][]byte{append([]byte{0x03, 0xF0}, "credential revoked"...)}},
		{-1, nil},
	} {
		server, client := tcpPair(t)
		o := newOwner()
		w := o.writer(t, server, 8)
		w.Start(nil)
		w.Close(c.code, "credential revoked")
		ops, got := readFrames(t, client, -1)
		if len(got) != len(c.want) || len(ops) > 0 && (ops[0] != OpClose || !bytes.Equal(got[0], c.want[0])) {
			t.Errorf("close %d: frames %x % x, want %x", c.code, ops, got, c.want)
		}
	}
}

// TestWriterWriteError: a peer that went away makes a write fail; the
// owner is told (code -1: no close frame) on a goroutine of its own.
func TestWriterWriteError(t *testing.T) {
	server, client := tcpPair(t)
	client.SetLinger(0) // a reset, so the server's writes fail
	client.Close()
	o := newOwner()
	w := o.writer(t, server, 1000)
	w.Start(nil)
	deadline := time.After(10 * time.Second)
	for i := 0; ; i++ {
		w.Send(Frame(OpText, numbered(i, 1<<10)))
		select {
		case f := <-o.fails:
			if f.code != -1 {
				t.Fatalf("failure %+v, want code -1", f)
			}
			return
		case <-deadline:
			t.Fatal("writing to a reset connection never failed")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestWriterWithoutDirectWrites: a connection TryWrite cannot write to
// (here a net.Pipe, as TLS or a platform without non-blocking writes)
// sends everything through the flusher, in order.
func TestWriterWithoutDirectWrites(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	if n, err := TryWrite(server, []byte("x")); n != 0 || err != nil {
		t.Fatalf("TryWrite on a pipe: %d, %v; want 0, nil", n, err)
	}
	o := newOwner()
	w := o.writer(t, server, 100)
	w.Start([][]byte{Frame(OpText, []byte("first"))})
	for i := range 10 {
		w.Send(Frame(OpText, numbered(i, 300)))
	}
	ops, got := readFrames(t, client, 11)
	if ops[0] != OpText || string(got[0]) != "first" {
		t.Fatalf("first frame %q", got[0])
	}
	for i := range 10 {
		if !bytes.Equal(got[i+1], numbered(i, 300)) {
			t.Fatalf("frame %d damaged", i+1)
		}
	}
}

// TestWriterOwnerClosing: once the owner shuts down no flusher starts;
// the connection is cut instead.
func TestWriterOwnerClosing(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	o := newOwner()
	w := o.writer(t, server, 100)
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	w.Start([][]byte{Frame(OpText, []byte("first"))})
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := client.Read(make([]byte, 16)); !errors.Is(err, io.EOF) {
		t.Fatalf("read %v, want EOF: the connection is cut", err)
	}
}

// TestWriterGorillaClient: a real websocket client (gorilla/websocket,
// which refuses masked server frames) reads the text, answers the ping and
// sees the close code and reason.
func TestWriterGorillaClient(t *testing.T) {
	o := newOwner()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(rw, r, nil)
		if err != nil {
			return
		}
		w := NewWriter(ws.NetConn(), Options{Queue: 8, WriteTimeout: 5 * time.Second, Go: o.Go, Fail: o.Fail})
		o.w = w
		w.Start([][]byte{Frame(OpText, []byte(`{"seq":1}`))})
		w.Send(Frame(OpPing, []byte("p1")))
		w.Send(Frame(OpText, []byte(strings.Repeat("é", 40000))))
		w.Close(ClosePolicyViolation, "credential revoked")
		close(done)
	}))
	defer srv.Close()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	pinged := make(chan string, 1)
	ws.SetPingHandler(func(s string) error { pinged <- s; return nil })
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, b, err := ws.ReadMessage(); err != nil || string(b) != `{"seq":1}` {
		t.Fatalf("first message %q, %v", b, err)
	}
	if _, b, err := ws.ReadMessage(); err != nil || string(b) != strings.Repeat("é", 40000) {
		t.Fatalf("second message: %d bytes, %v", len(b), err)
	}
	if s := <-pinged; s != "p1" {
		t.Errorf("ping data %q", s)
	}
	_, _, err = ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != ClosePolicyViolation || ce.Text != "credential revoked" {
		t.Fatalf("end %v, want close 1008 credential revoked", err)
	}
	<-done
	o.wg.Wait()
}
