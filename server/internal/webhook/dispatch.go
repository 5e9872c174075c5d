package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// State is an endpoint's delivery progress as stored.
type State struct {
	Cursor       int64
	Attempts     int
	FailingSince *time.Time
	NextAttempt  *time.Time
}

// Resend is an event an admin asked to send again to one endpoint.
type Resend struct {
	ID  int64
	Seq int64
}

// ErrNotFound is returned for an unknown endpoint.
var ErrNotFound = errors.New("webhook: not found")

// Store is the durable side of webhooks.
type Store interface {
	// Events returns up to limit events with seq > after, in seq order.
	Events(ctx context.Context, after int64, limit int) ([]protocol.Event, error)
	// CreateWebhook stores ep with its cursor at the newest event, so it
	// receives the events from now on; it fails past MaxEndpoints.
	CreateWebhook(ctx context.Context, ep Endpoint) (Endpoint, error)
	Webhooks(ctx context.Context) ([]Endpoint, error)
	DeleteWebhook(ctx context.Context, id string) error
	// WebhookProgress stores the endpoint's state and logs the attempts,
	// in one transaction (the log keeps the newest attempts only).
	WebhookProgress(ctx context.Context, id string, st State, log []Attempt) error
	WebhookAttempts(ctx context.Context, id string, limit int) ([]Attempt, error)
	QueueResend(ctx context.Context, id string, seq int64) error
	Resends(ctx context.Context, id string) ([]Resend, error)
	// ResendDone removes a resend request and logs its attempt.
	ResendDone(ctx context.Context, id string, r Resend, a Attempt) error
	// ClaimWebhook takes, or renews, this store's lease on delivering to
	// endpoint id for ttl: with several server instances on one database
	// only the holder delivers, and another takes over once the lease has
	// run out (its holder died) or was released. It reports whether this
	// store holds the lease and, when it does, the endpoint's stored
	// state. A store that serves one server only (SQLite) always grants
	// it. ErrNotFound for an unknown endpoint.
	ClaimWebhook(ctx context.Context, id string, ttl time.Duration) (State, bool, error)
	// ReleaseWebhook gives up this store's lease on id, if it holds it.
	ReleaseWebhook(ctx context.Context, id string) error
}

// Options tune the dispatcher (tests shorten the waits).
type Options struct {
	// Backoff is the wait after n failed attempts (default Backoff).
	Backoff func(n int) time.Duration
	// Timeout is how long a receiver has to answer (default Timeout).
	Timeout time.Duration
	// Batch is how many events a worker reads at once (default 100).
	Batch int
	// Lease is how long a claim on delivering to an endpoint lasts
	// (default Lease); it is renewed every third of it while held, and the
	// endpoints are listed again as often, so endpoints created or deleted
	// through another instance are followed.
	Lease time.Duration
	Log   *slog.Logger
}

// Lease is how long an instance's claim on delivering to an endpoint
// lasts without renewal: the delay before another instance takes over
// from one that died. It is renewed before a send once a third of it has
// passed, so it outlasts that third plus a send's Timeout.
const Lease = 20 * time.Second

// Dispatcher runs one delivery worker per endpoint. With several server
// instances on one database every instance runs a worker per endpoint, but
// only the one holding the endpoint's lease in the store delivers
// (Store.ClaimWebhook): each event goes out once across the instances (at
// least once: an instance that dies between a delivery and storing its
// progress leaves that event to be sent again by the next holder, with the
// same webhook-id).
type Dispatcher struct {
	store  Store
	opts   Options
	client *http.Client

	mu      sync.Mutex
	workers map[string]*worker
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// New returns a dispatcher; call Start.
func New(store Store, opts Options) *Dispatcher {
	if opts.Backoff == nil {
		opts.Backoff = Backoff
	}
	if opts.Timeout <= 0 {
		opts.Timeout = Timeout
	}
	if opts.Batch <= 0 {
		opts.Batch = 100
	}
	if opts.Lease <= 0 {
		opts.Lease = Lease
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 2
	return &Dispatcher{store: store, opts: opts, workers: map[string]*worker{},
		client: &http.Client{Transport: tr, Timeout: opts.Timeout,
			// A redirect is not an acknowledgement: the receiver must answer 2xx itself.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Start starts a worker for every stored endpoint. Pending deliveries
// resume at once, whatever backoff they were in before the restart.
func (d *Dispatcher) Start(ctx context.Context) error {
	eps, err := d.store.Webhooks(ctx)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ctx, d.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for _, ep := range eps {
		d.startLocked(ep)
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.follow(d.ctx)
	}()
	return nil
}

// follow lists the endpoints every third of the lease and starts or stops
// workers for those created or deleted through another instance.
func (d *Dispatcher) follow(ctx context.Context) {
	t := time.NewTicker(d.opts.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		eps, err := d.store.Webhooks(ctx)
		if err != nil {
			continue
		}
		live := map[string]bool{}
		var gone []*worker
		d.mu.Lock()
		for _, ep := range eps {
			live[ep.ID] = true
			if d.workers[ep.ID] == nil && ctx.Err() == nil {
				d.startLocked(ep)
			}
		}
		for id, w := range d.workers {
			if !live[id] {
				delete(d.workers, id)
				gone = append(gone, w)
			}
		}
		d.mu.Unlock()
		for _, w := range gone {
			w.cancel()
			<-w.done
		}
	}
}

func (d *Dispatcher) startLocked(ep Endpoint) {
	ctx, cancel := context.WithCancel(d.ctx)
	w := &worker{d: d, ep: ep, wake: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	d.workers[ep.ID] = w
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer close(w.done)
		w.run(ctx)
		d.mu.Lock()
		if d.workers[ep.ID] == w {
			delete(d.workers, ep.ID) // the endpoint was deleted elsewhere
		}
		d.mu.Unlock()
	}()
}

// Close stops every worker; deliveries in flight are retried after the
// next start (at least once).
func (d *Dispatcher) Close() {
	d.mu.Lock()
	if d.cancel != nil {
		d.cancel()
	}
	d.mu.Unlock()
	d.wg.Wait()
}

// Publish wakes the workers for committed events; it never blocks.
func (d *Dispatcher) Publish([]protocol.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, w := range d.workers {
		w.poke()
	}
}

// Create registers an endpoint and starts delivering to it; the answer
// holds the secret, which is never shown again.
func (d *Dispatcher) Create(ctx context.Context, req Request) (Endpoint, error) {
	filter, err := req.Validate()
	if err != nil {
		return Endpoint{}, err
	}
	ep := Endpoint{ID: NewID(), URL: req.URL, Events: filter, Secret: NewSecret(), CreatedAt: time.Now().UTC().Truncate(time.Second)}
	ep, err = d.store.CreateWebhook(ctx, ep)
	if err != nil {
		return Endpoint{}, err
	}
	d.mu.Lock()
	if d.ctx != nil {
		d.startLocked(ep)
	}
	d.mu.Unlock()
	return ep, nil
}

// Delete removes an endpoint and stops its worker.
func (d *Dispatcher) Delete(ctx context.Context, id string) error {
	d.mu.Lock()
	w := d.workers[id]
	delete(d.workers, id)
	d.mu.Unlock()
	if w != nil {
		w.cancel()
		<-w.done
	}
	return d.store.DeleteWebhook(ctx, id)
}

// List returns the endpoints without their secrets.
func (d *Dispatcher) List(ctx context.Context) ([]Endpoint, error) {
	eps, err := d.store.Webhooks(ctx)
	for i := range eps {
		eps[i].Secret = ""
	}
	return eps, err
}

// Attempts lists an endpoint's recent attempts, newest first.
func (d *Dispatcher) Attempts(ctx context.Context, id string, limit int) ([]Attempt, error) {
	return d.store.WebhookAttempts(ctx, id, limit)
}

// Resend queues event seq again for endpoint id (out of order: an admin's
// explicit request, with the event's usual webhook-id).
func (d *Dispatcher) Resend(ctx context.Context, id string, seq int64) error {
	if err := d.store.QueueResend(ctx, id, seq); err != nil {
		return err
	}
	d.mu.Lock()
	if w := d.workers[id]; w != nil {
		w.poke()
	}
	d.mu.Unlock()
	return nil
}

type worker struct {
	d      *Dispatcher
	ep     Endpoint
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// wait sleeps until the timer, a poke or the end; false at the end.
func (w *worker) wait(ctx context.Context, d time.Duration) bool {
	var tc <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		tc = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-w.wake:
	case <-tc:
	}
	return true
}

// claim holds the endpoint's lease: it renews it when a third of it has
// passed, and on taking it over reloads the stored state (another
// instance may have delivered meanwhile). held reports whether this
// instance may deliver; gone that the endpoint no longer exists.
func (w *worker) claim(ctx context.Context, l *lease, st *State, next *time.Time) (held, gone bool) {
	if l.held && time.Since(l.at) < w.d.opts.Lease/3 {
		return true, false
	}
	at := time.Now()
	got, ok, err := w.d.store.ClaimWebhook(ctx, w.ep.ID, w.d.opts.Lease)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, true
	case err != nil:
		// Storage trouble: the lease may run out meanwhile, and then
		// another instance delivers; stop until it is renewed. (When
		// shutting down, keep it marked held so it is released.)
		if ctx.Err() == nil {
			l.held = false
		}
		return false, false
	case !ok:
		l.held = false
		return false, false
	}
	if !l.held {
		*st = got
		st.NextAttempt = nil
		*next = time.Now() // resume at once, whatever backoff it was in
	}
	l.held, l.at = true, at
	return true, false
}

// lease is a worker's view of its claim on the endpoint.
type lease struct {
	held bool
	at   time.Time // when it was last taken or renewed
}

// release gives the lease up so another instance takes over at once.
func (w *worker) release(l *lease) {
	if !l.held {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = w.d.store.ReleaseWebhook(ctx, w.ep.ID)
}

func (w *worker) run(ctx context.Context) {
	d := w.d
	log := d.opts.Log.With("webhook", w.ep.ID)
	var st State
	var l lease
	defer w.release(&l)
	next := time.Now() // resume at once after a start
	renew := d.opts.Lease / 3
	for ctx.Err() == nil {
		held, gone := w.claim(ctx, &l, &st, &next)
		if gone {
			return
		}
		if !held {
			// Another instance delivers; try again when its lease may
			// have run out (new events do not matter here).
			select {
			case <-ctx.Done():
				return
			case <-time.After(renew):
			}
			continue
		}
		w.resends(ctx, log)
		if wait := time.Until(next); wait > 0 {
			if !w.wait(ctx, min(wait, renew)) {
				return
			}
			continue
		}
		evs, err := d.store.Events(ctx, st.Cursor, d.opts.Batch)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("webhook: reading events failed", "err", err)
			}
			if !w.wait(ctx, time.Second) {
				return
			}
			continue
		}
		if len(evs) == 0 {
			if !w.wait(ctx, renew) {
				return
			}
			continue
		}
		var logged []Attempt
		failed := false
		for _, ev := range evs {
			if !Matches(w.ep.Events, ev.Type) {
				st.Cursor = ev.Seq
				continue
			}
			if held, _ := w.claim(ctx, &l, &st, &next); !held {
				break // lost the lease: the new holder goes on from the stored cursor
			}
			a := w.send(ctx, ev)
			if ctx.Err() != nil {
				break // shutting down: this event goes out after the next start
			}
			st.Attempts++
			a.Attempt = st.Attempts
			logged = append(logged, a)
			if a.OK {
				st.Cursor, st.Attempts, st.FailingSince, st.NextAttempt = ev.Seq, 0, nil, nil
				continue
			}
			if st.FailingSince == nil {
				t := a.At
				st.FailingSince = &t
			}
			next = time.Now().Add(d.opts.Backoff(st.Attempts))
			st.NextAttempt = &next
			failed = true
			log.Info("webhook: delivery failed", "seq", ev.Seq, "attempt", st.Attempts, "status", a.Status, "err", a.Error, "retry_in", time.Until(next).Round(time.Millisecond))
			break
		}
		// Stored even when the lease was lost meanwhile: the cursor only
		// moves forward, so the new holder skips what was delivered here.
		if ctx.Err() != nil {
			// Shutting down: keep what was delivered, so whoever goes on
			// does not send it again.
			pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			_ = d.store.WebhookProgress(pctx, w.ep.ID, st, logged)
			cancel()
			return
		}
		if err := d.store.WebhookProgress(ctx, w.ep.ID, st, logged); err != nil {
			log.Warn("webhook: storing progress failed", "err", err)
		}
		if !failed {
			next = time.Now()
		}
	}
}

// resends sends the events an admin asked to send again.
func (w *worker) resends(ctx context.Context, log *slog.Logger) {
	rs, err := w.d.store.Resends(ctx, w.ep.ID)
	if err != nil || len(rs) == 0 {
		return
	}
	for _, r := range rs {
		evs, err := w.d.store.Events(ctx, r.Seq-1, 1)
		if err != nil {
			return
		}
		var a Attempt
		if len(evs) == 0 || evs[0].Seq != r.Seq {
			a = Attempt{WebhookID: w.ep.ID, Seq: r.Seq, At: time.Now(), Error: "event no longer kept"}
		} else {
			a = w.send(ctx, evs[0])
		}
		if ctx.Err() != nil {
			return
		}
		a.Resend, a.Attempt = true, 1
		if err := w.d.store.ResendDone(ctx, w.ep.ID, r, a); err != nil {
			log.Warn("webhook: storing resend failed", "err", err)
			return
		}
	}
}

// send POSTs one event, signed, and reports the attempt.
func (w *worker) send(ctx context.Context, ev protocol.Event) Attempt {
	start := time.Now()
	a := Attempt{WebhookID: w.ep.ID, Seq: ev.Seq, EventType: ev.Type, At: start}
	body, err := json.Marshal(ev)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	id := MessageID(ev.Epoch, ev.Seq)
	ts := start.Unix()
	sig, err := Sign(w.ep.Secret, id, ts, body)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.ep.URL, bytes.NewReader(body))
	if err != nil {
		a.Error = err.Error()
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "CiviQ-Webhooks/1")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := w.d.client.Do(req)
	a.DurationMS = time.Since(start).Milliseconds()
	if err != nil {
		a.Error = err.Error()
		return a
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a.Status = resp.StatusCode
	a.OK = resp.StatusCode >= 200 && resp.StatusCode < 300
	if !a.OK {
		a.Error = "HTTP " + resp.Status
	}
	return a
}
