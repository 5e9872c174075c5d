package escpostest

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
)

// Replies are the bytes a printer answers to DLE EOT 1 to 4.
type Replies struct {
	Printer byte // n=1: printer status
	Offline byte // n=2: offline cause
	Error   byte // n=3: error cause
	Paper   byte // n=4: roll paper sensor
}

// Condition is a printer condition with its typical replies.
type Condition int

// Conditions a fake printer can be put in.
const (
	Ready Condition = iota
	PaperLow
	PaperOut
	CoverOpen
	Offline
	Failed // an error such as a cutter jam
)

// Replies returns what an Epson-like printer answers in condition c. Every
// reply has the fixed bits 0x12; a stopped printer also says it is offline.
func (c Condition) Replies() Replies {
	ok := Replies{Printer: 0x12, Offline: 0x12, Error: 0x12, Paper: 0x12}
	switch c {
	case PaperLow:
		ok.Paper = 0x1e // near end
	case PaperOut:
		ok = Replies{Printer: 0x1a, Offline: 0x32, Error: 0x12, Paper: 0x7e} // near end and end
	case CoverOpen:
		ok = Replies{Printer: 0x1a, Offline: 0x16, Error: 0x12, Paper: 0x12}
	case Offline:
		ok.Printer = 0x1a
	case Failed:
		ok = Replies{Printer: 0x1a, Offline: 0x52, Error: 0x1a, Paper: 0x12} // autocutter error
	}
	return ok
}

// Printer is a fake ESC/POS printer listening on a loopback TCP port. It
// accepts any number of connections; each is parsed on its own, and the
// finished jobs of all are collected in order of completion.
type Printer struct {
	ln net.Listener
	wg sync.WaitGroup

	mu       sync.Mutex
	replies  Replies
	silent   bool
	requests int
	jobs     []Job
	changed  chan struct{} // closed and replaced whenever jobs grows
	conns    map[net.Conn]struct{}
	closed   bool
}

// NewPrinter starts a fake printer in condition Ready. It is closed when
// the test ends.
func NewPrinter(tb testing.TB) *Printer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("escpostest: listen: %v", err)
	}
	p := &Printer{
		ln:      ln,
		replies: Ready.Replies(),
		changed: make(chan struct{}),
		conns:   map[net.Conn]struct{}{},
	}
	p.wg.Add(1)
	go p.serve()
	tb.Cleanup(func() { _ = p.Close() })
	return p
}

// Addr returns the host:port the printer listens on.
func (p *Printer) Addr() string { return p.ln.Addr().String() }

// Spec returns the printer spec for printer.Open, with options appended
// (for example "timeout=200ms").
func (p *Printer) Spec(options ...string) string {
	s := "tcp://" + p.Addr()
	for i, o := range options {
		if i == 0 {
			s += "?"
		} else {
			s += "&"
		}
		s += o
	}
	return s
}

// SetCondition makes the printer answer status requests as in c.
func (p *Printer) SetCondition(c Condition) { p.SetReplies(c.Replies()) }

// SetReplies sets the raw answers to status requests, valid or not.
func (p *Printer) SetReplies(r Replies) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.replies = r
}

// SetSilent makes the printer read everything and never answer, like a
// printer that hangs or does not implement status requests.
func (p *Printer) SetSilent(silent bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.silent = silent
}

// StatusRequests returns how many status requests arrived.
func (p *Printer) StatusRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// Jobs returns the jobs finished so far.
func (p *Printer) Jobs() []Job {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Job(nil), p.jobs...)
}

// WaitJobs waits until at least n jobs are finished and returns them.
func (p *Printer) WaitJobs(ctx context.Context, n int) ([]Job, error) {
	for {
		p.mu.Lock()
		jobs, changed := append([]Job(nil), p.jobs...), p.changed
		p.mu.Unlock()
		if len(jobs) >= n {
			return jobs, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return jobs, ctx.Err()
		}
	}
}

// Close stops listening, drops the connections and waits for their
// goroutines.
func (p *Printer) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	err := p.ln.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Printer) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = c.Close()
			return
		}
		p.conns[c] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.handle(c)
	}
}

// handle parses one connection. Replies are written from the reading
// goroutine, in stream order, as a real printer does.
func (p *Printer) handle(c net.Conn) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		_ = c.Close()
	}()
	var ps Parser
	var werr error
	ps.OnStatus = func(n byte) {
		p.mu.Lock()
		p.requests++
		r, silent := p.replies, p.silent
		p.mu.Unlock()
		var b byte
		switch n {
		case 1:
			b = r.Printer
		case 2:
			b = r.Offline
		case 3:
			b = r.Error
		case 4:
			b = r.Paper
		default:
			return // printers ignore requests they do not know
		}
		if !silent && werr == nil {
			_, werr = c.Write([]byte{b})
		}
	}
	ps.OnJob = func(j Job) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.jobs = append(p.jobs, j)
		close(p.changed)
		p.changed = make(chan struct{})
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		_, _ = ps.Write(buf[:n])
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				ps.Flush()
			}
			return
		}
	}
}
