package servertest

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// Instance forwards TCP to a test server until Kill: then its port refuses
// and its connections end, as when the server instance behind an address
// dies (kill -9).
type Instance struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

// NewInstance starts forwarding a loopback port to target (a Server's URL
// or its host:port) and kills it when the test ends.
func NewInstance(t testing.TB, target string) *Instance {
	t.Helper()
	target = strings.TrimPrefix(target, "http://")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in := &Instance{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			in.mu.Lock()
			in.conns = append(in.conns, c, s)
			in.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); s.Close() }()
			go func() { _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
	t.Cleanup(in.Kill)
	return in
}

// URL is the address clients use instead of the server's.
func (in *Instance) URL() string { return "http://" + in.ln.Addr().String() }

// Kill closes the port and every connection through it.
func (in *Instance) Kill() {
	in.ln.Close()
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, c := range in.conns {
		c.Close()
	}
	in.conns = nil
}
