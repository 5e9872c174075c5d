package hub

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civiq/civiq/server/internal/hub/wsconn"
	"github.com/civiq/civiq/server/protocol"
)

// TicketSource is what the ticket hub reads to refresh phone views.
type TicketSource interface {
	// Estimates are the estimates of every waiting ticket, by ticket id.
	Estimates() map[string]Estimate
	// FieldCounts are the waiting tickets and open counters of a field.
	FieldCounts(field string) (waiting, open int)
	// ServiceName names a field.
	ServiceName(field string) protocol.Text
	// Disruptions are the open disruptions touching a field, without notes.
	Disruptions(field string) []protocol.Disruption
}

// TicketOptions tune the ticket hub; zero values take the defaults.
type TicketOptions struct {
	// Coalesce is the shortest time between two recomputations of the
	// estimates (default 500 ms): a burst of calls costs one pass.
	Coalesce time.Duration
	// MaxClients bounds all phone connections (default 20000).
	MaxClients int
	// MaxPerTicket bounds connections following one ticket (default 4).
	MaxPerTicket int
	// MinETAChange is the least change of an estimate worth a message
	// (default 30 s); a change of the number ahead is always sent.
	MinETAChange time.Duration
	// Hub tunes the connections (send queue, pings, write timeout).
	Hub Options
}

// TicketHub sends each phone the view of its own ticket and nothing else
// but the centre (centre.updated, public), so that a renamed centre heads
// the open pages at once.
//
// It keeps the phones by ticket and the waiting ones by field. A committed
// event about a ticket becomes a message to that ticket's phones only; an
// event that moves a field's queue marks the field dirty, and a worker
// recomputes the estimates of dirty fields at most every Coalesce, sending a
// message only to phones whose place or estimate really changed. Publish
// never blocks; each connection has the bounded queue, pings and write
// deadline of the main hub.
type TicketHub struct {
	src   TicketSource
	epoch string
	opts  TicketOptions
	conns *conns // the phones' connections; it never publishes history

	mu       sync.Mutex // pending and the signal
	pending  []protocol.Event
	wake     chan struct{}
	stop     chan struct{}
	finished chan struct{}

	// proc guards the subscriptions; the worker holds it while it
	// processes, Subscribe while it registers, so no event falls between a
	// phone's first view and its updates.
	proc     sync.Mutex
	byTicket map[string]map[*ticketSub]struct{}
	byField  map[string]map[*ticketSub]struct{}
	total    int
	closed   bool
	// open and perTicket count connection slots, reserved before the
	// handshake and released when the connection ends, so concurrent
	// opens cannot pass the limits together.
	open      int
	perTicket map[string]int
}

type ticketSub struct {
	c    *client
	view protocol.TicketView
	seq  int64
	gone bool // unindexed; t.proc
}

// NewTicketHub returns a ticket hub; Close it when done.
func NewTicketHub(src TicketSource, epoch string, opts TicketOptions) *TicketHub {
	if opts.Coalesce <= 0 {
		opts.Coalesce = 500 * time.Millisecond
	}
	if opts.MaxClients <= 0 {
		opts.MaxClients = 20000
	}
	if opts.MaxPerTicket <= 0 {
		opts.MaxPerTicket = 4
	}
	if opts.MinETAChange <= 0 {
		opts.MinETAChange = 30 * time.Second
	}
	t := &TicketHub{src: src, epoch: epoch, opts: opts, conns: newConns(opts.Hub), wake: make(chan struct{}, 1),
		stop: make(chan struct{}), finished: make(chan struct{}),
		byTicket: map[string]map[*ticketSub]struct{}{}, byField: map[string]map[*ticketSub]struct{}{}, perTicket: map[string]int{}}
	go t.worker()
	return t
}

// ErrTooMany is returned when the phone connection limits are reached.
var ErrTooMany = errors.New("hub: too many phone connections")

// Clients is the number of connected phones.
func (t *TicketHub) Clients() int { return t.conns.Clients() }

// Subscribe upgrades the request and follows one ticket. first builds the
// ticket's current view; it runs while no event is being processed.
func (t *TicketHub) Subscribe(w http.ResponseWriter, r *http.Request, ticketID string, seq int64, first func() (protocol.TicketView, error)) error {
	// Reserve the slots before the handshake; they are released when the
	// connection ends (or here, when it never starts).
	t.proc.Lock()
	if t.closed {
		t.proc.Unlock()
		return ErrClosed
	}
	if t.open >= t.opts.MaxClients || t.perTicket[ticketID] >= t.opts.MaxPerTicket {
		t.proc.Unlock()
		http.Error(w, `{"error":{"code":"rate_limited","message":"too many connections"}}`, http.StatusTooManyRequests)
		return ErrTooMany
	}
	t.open++
	t.perTicket[ticketID]++
	t.proc.Unlock()
	var sub *ticketSub
	release := sync.OnceFunc(func() {
		t.proc.Lock()
		defer t.proc.Unlock()
		t.open--
		if t.perTicket[ticketID]--; t.perTicket[ticketID] <= 0 {
			delete(t.perTicket, ticketID)
		}
		if sub != nil && !sub.gone {
			t.unindex(sub)
		}
	})
	// The handshake happens outside the lock: a slow phone must not hold
	// up the updates of the others.
	ws, err := t.conns.up.Upgrade(w, r, nil)
	if err != nil {
		release()
		return err
	}
	c := t.conns.newClient(ws)
	c.onDrop = release
	t.proc.Lock()
	if t.closed {
		t.proc.Unlock()
		c.close(websocket.CloseGoingAway, "server shutting down")
		release()
		return ErrClosed
	}
	view, err := first()
	if err != nil {
		t.proc.Unlock()
		c.close(websocket.CloseTryAgainLater, "try again")
		release()
		return err
	}
	sub = &ticketSub{c: c, view: view, seq: seq}
	t.conns.mu.Lock()
	t.conns.add(c)
	t.conns.mu.Unlock()
	t.index(sub, ticketID)
	msg := t.message(sub, seq)
	t.proc.Unlock()
	go t.conns.reader(c)
	c.start([][]byte{msg})
	return nil
}

// index files s under its ticket and, while it waits, its field; t.proc held.
func (t *TicketHub) index(s *ticketSub, ticketID string) {
	m := t.byTicket[ticketID]
	if m == nil {
		m = map[*ticketSub]struct{}{}
		t.byTicket[ticketID] = m
	}
	m[s] = struct{}{}
	t.total++
	t.refile(s, "")
}

// refile moves s to the field index of its current view; t.proc held.
func (t *TicketHub) refile(s *ticketSub, oldField string) {
	if oldField != "" {
		if m := t.byField[oldField]; m != nil {
			delete(m, s)
			if len(m) == 0 {
				delete(t.byField, oldField)
			}
		}
	}
	if s.view.Ticket.Status == protocol.StatusWaiting {
		f := s.view.Ticket.ServiceID
		m := t.byField[f]
		if m == nil {
			m = map[*ticketSub]struct{}{}
			t.byField[f] = m
		}
		m[s] = struct{}{}
	}
}

func (t *TicketHub) unindex(s *ticketSub) {
	s.gone = true
	id := s.view.Ticket.ID
	if m := t.byTicket[id]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(t.byTicket, id)
		}
	}
	if m := t.byField[s.view.Ticket.ServiceID]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(t.byField, s.view.Ticket.ServiceID)
		}
	}
	t.total--
}

// message encodes s's view as one websocket frame.
func (t *TicketHub) message(s *ticketSub, seq int64) []byte {
	data, _ := json.Marshal(s.view)
	raw, _ := encode(protocol.Event{Seq: seq, Epoch: t.epoch, Type: protocol.EventTicketView, At: time.Now(), Data: data})
	return wsconn.Frame(wsconn.OpText, raw)
}

// Publish implements queue.Publisher. It only queues the events.
func (t *TicketHub) Publish(events []protocol.Event) {
	t.mu.Lock()
	t.pending = append(t.pending, events...)
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Close disconnects every phone and stops the worker.
func (t *TicketHub) Close() {
	t.proc.Lock()
	if t.closed {
		t.proc.Unlock()
		return
	}
	t.closed = true
	t.proc.Unlock()
	close(t.stop)
	<-t.finished
	t.conns.close()
}

func (t *TicketHub) worker() {
	defer close(t.finished)
	sweep := time.NewTicker(t.conns.opts.PingInterval)
	defer sweep.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-sweep.C:
			t.sweep()
			continue
		case <-t.wake:
		}
		t.mu.Lock()
		evs := t.pending
		t.pending = nil
		t.mu.Unlock()
		t.process(evs)
		// Coalesce: events arriving meanwhile wait for the next pass.
		select {
		case <-t.stop:
			return
		case <-time.After(t.opts.Coalesce):
		}
	}
}

// sweep forgets phones whose connection ended.
func (t *TicketHub) sweep() {
	t.conns.mu.Lock()
	live := make(map[*client]bool, len(t.conns.clients))
	for c := range t.conns.clients {
		live[c] = true
	}
	t.conns.mu.Unlock()
	t.proc.Lock()
	defer t.proc.Unlock()
	for _, m := range t.byTicket {
		for s := range m {
			if !live[s.c] && !s.gone {
				t.unindex(s)
			}
		}
	}
}

// delivery of one frame to one phone, gathered under t.proc, written after.
func (t *TicketHub) process(evs []protocol.Event) {
	if len(evs) == 0 {
		return
	}
	var out []delivery
	dirty := map[string]bool{}
	t.proc.Lock()
	if len(t.byTicket) == 0 {
		// No phone follows a ticket: nothing to tell, nothing to decode
		// (a phone that subscribes later starts from its own first view).
		t.proc.Unlock()
		return
	}
	var seq int64
	disrupted := false
	for _, ev := range evs {
		seq = ev.Seq
		if ev.Type == protocol.EventCentreUpdated {
			// The centre's name and time zone head every phone page
			// (GET /api/v1/centre answers the same to anyone). Every phone
			// gets it, whatever its first view's seq: the page read the
			// centre before it connected.
			if raw, err := encode(ev); err == nil {
				f := wsconn.Frame(wsconn.OpText, raw)
				for _, subs := range t.byTicket {
					for s := range subs {
						out = append(out, delivery{s.c, f})
					}
				}
			}
			continue
		}
		if ev.Type == protocol.EventDisruptionStarted || ev.Type == protocol.EventDisruptionEnded {
			disrupted = true
			for f := range t.byField {
				dirty[f] = true // the waits stretch or shrink with it
			}
		}
		ch := protocol.PhoneChangeOf(ev)
		for _, f := range ch.Fields {
			if len(t.byField[f]) > 0 {
				dirty[f] = true
			}
		}
		if ch.TicketID == "" {
			continue
		}
		for s := range t.byTicket[ch.TicketID] {
			if ev.Seq <= s.seq {
				continue // already in its first view
			}
			s.seq = ev.Seq
			old := s.view.Ticket.ServiceID
			s.view = ch.Apply(s.view)
			if f := s.view.Ticket.ServiceID; f != old {
				s.view.Service = t.src.ServiceName(f)
			}
			t.refile(s, old)
			if s.view.Ticket.Status == protocol.StatusWaiting {
				dirty[s.view.Ticket.ServiceID] = true // its estimate is filled below
				continue
			}
			s.view.Waiting, s.view.OpenCounters = t.src.FieldCounts(s.view.Ticket.ServiceID)
			out = append(out, delivery{s.c, t.message(s, ev.Seq)})
		}
	}
	if disrupted {
		// A disruption started or ended: every phone whose field it
		// touches is told (the page shows a calm notice meanwhile).
		for _, subs := range t.byTicket {
			for s := range subs {
				d := t.src.Disruptions(s.view.Ticket.ServiceID)
				if sameDisruptions(d, s.view.Disruptions) {
					continue
				}
				s.view.Disruptions = d
				s.view.Reason = protocol.ViewQueue
				out = append(out, delivery{s.c, t.message(s, seq)})
			}
		}
	}
	if len(dirty) > 0 {
		est := t.src.Estimates()
		for f := range dirty {
			waiting, open := t.src.FieldCounts(f)
			for s := range t.byField[f] {
				e, ok := est[s.view.Ticket.ID]
				if !ok {
					continue // called meanwhile: its own event follows
				}
				v := &s.view
				d := e.ETASeconds - v.Ticket.ETASeconds
				changed := v.Ticket.Ahead < 0 || e.Ahead != v.Ticket.Ahead || v.Waiting != waiting || v.OpenCounters != open ||
					time.Duration(max(d, -d))*time.Second >= t.opts.MinETAChange
				if !changed {
					continue
				}
				if v.Ticket.Ahead >= 0 {
					v.Reason = protocol.ViewQueue
				}
				v.Ticket.Ahead, v.Ticket.ETASeconds, v.Waiting, v.OpenCounters = e.Ahead, e.ETASeconds, waiting, open
				v.Ticket.ETALowSeconds, v.Ticket.ETAHighSeconds = e.ETALowSeconds, e.ETAHighSeconds
				out = append(out, delivery{s.c, t.message(s, seq)})
			}
		}
	}
	t.proc.Unlock()
	t.conns.deliver(out)
}

// sameDisruptions tells whether two lists hold the same disruptions.
func sameDisruptions(a, b []protocol.Disruption) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			return false
		}
	}
	return true
}
