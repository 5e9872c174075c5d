// Package queue is the domain core of CiviQ: fields, counters, tickets, the
// call-next policy, daily numbering and wait estimates. It knows nothing of
// HTTP, websockets or SQL: storage comes in through Store, time through Clock,
// and committed events go out through Publisher.
package queue

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/civiq/civiq/server/protocol"
)

// DefaultMaxPriorityStreak is how many priority tickets a counter calls in a
// row before it must call the longest-waiting regular ticket, if one waits.
const DefaultMaxPriorityStreak = 3

// Publisher receives committed events in seq order, after the engine's cache
// has taken them into account.
type Publisher interface {
	Publish(events []protocol.Event)
}

// Options tune the engine.
type Options struct {
	// Location is the centre's time zone; days start at its midnight.
	Location *time.Location
	// MaxPriorityStreak bounds priority calls in a row (see DefaultMaxPriorityStreak).
	MaxPriorityStreak int
	// StaffGrace is how long an open counter stays open once its last
	// clerk console left (DefaultStaffGrace when zero).
	StaffGrace time.Duration
}

// Engine runs the queue. It is safe for concurrent use.
type Engine struct {
	store Store
	clock Clock
	log   *slog.Logger
	opts  Options

	mu  sync.RWMutex
	c   *cache
	pub Publisher

	pending pendingIndex // tokens of leased tickets not yet synced (pending.go)
	staff   *staffing
	// savedSeq is the seq of the last calibration saved (calibration.go).
	savedSeq int64
}

// New returns an engine; call Start before use.
func New(store Store, clock Clock, log *slog.Logger, opts Options) *Engine {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.MaxPriorityStreak <= 0 {
		opts.MaxPriorityStreak = DefaultMaxPriorityStreak
	}
	if opts.StaffGrace <= 0 {
		opts.StaffGrace = DefaultStaffGrace
	}
	return &Engine{store: store, clock: clock, log: log, opts: opts, staff: newStaffing()}
}

// SetPublisher sets where committed events go (the websocket hub).
func (e *Engine) SetPublisher(p Publisher) {
	e.mu.Lock()
	e.pub = p
	e.mu.Unlock()
}

// Start loads the state from the store and starts following its events.
func (e *Engine) Start(ctx context.Context) error {
	now := e.now()
	l, err := e.store.Load(ctx, Day(now, e.opts.Location))
	if err != nil {
		return fmt.Errorf("queue: load state: %w", err)
	}
	// Once a centre is stored, its time zone decides the service day.
	if tz := l.Centre.TimeZone; tz != "" && tz != e.opts.Location.String() {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return fmt.Errorf("queue: stored time zone: %w", err)
		}
		e.opts.Location = loc
		now = e.now()
	}
	e.mu.Lock()
	e.c = newCache(l, Day(now, e.opts.Location), e.opts.Location)
	e.c.maxStreak = e.opts.MaxPriorityStreak
	e.mu.Unlock()
	if err := e.loadCalibration(ctx); err != nil {
		return fmt.Errorf("queue: load calibration: %w", err)
	}
	e.unstaffedAtStart(l.Counters, now)
	e.store.SetSink(e.onCommit)
	return nil
}

func (e *Engine) now() time.Time {
	return e.clock.Now().In(e.opts.Location).Truncate(time.Microsecond)
}

// Location is the centre's time zone.
func (e *Engine) Location() *time.Location { return e.opts.Location }

func (e *Engine) onCommit(events []protocol.Event) {
	e.mu.Lock()
	for _, ev := range events {
		e.c.apply(ev, e.opts.Location)
	}
	pub := e.pub
	e.mu.Unlock()
	// Publishing outside the lock keeps lock order one-way: the hub takes
	// the engine's lock (for snapshots), never the other way round.
	if pub != nil {
		pub.Publish(events)
	}
}

// Seq is the seq and epoch of the last event the cache has applied.
func (e *Engine) Seq() (int64, string) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.c.board.Seq, e.c.board.Epoch
}

// rollDay moves the cache to today's day if midnight passed.
func (e *Engine) rollDay(now time.Time) {
	day := Day(now, e.opts.Location)
	e.mu.Lock()
	if e.c.day != day {
		e.c.day = day
		e.c.issued = map[string]int{}
	}
	e.mu.Unlock()
}

// ticketID returns a new random ticket id (128 bits, base32).
func ticketID() string { return strings.ToLower(rand.Text()) }

// TicketToken derives the ticket's bearer token from the store secret: 144
// bits of HMAC-SHA256, so tokens are unguessable and never need storing.
func TicketToken(secret []byte, id string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("ticket-token:" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// HashToken is the SHA-256 of a token, the only form tokens are stored in.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// FormatCode formats a ticket code: prefix and at least three digits (A001,
// A999, A1000).
func FormatCode(prefix string, n int) string { return fmt.Sprintf("%s%03d", prefix, n) }

// IssueResult is a newly issued (or idempotently re-read) ticket.
type IssueResult struct {
	Ticket protocol.Ticket
	// Token is the ticket's bearer token for the phone page.
	Token string
	// Replayed is true when an Idempotency-Key matched an earlier issue.
	Replayed bool
}

const maxIdemKeyLen = 200

// Issue issues a ticket in req.ServiceID. issuer names the kiosk or user; an
// idemKey already used by the same issuer returns the earlier ticket.
func (e *Engine) Issue(ctx context.Context, issuer string, req protocol.IssueRequest, idemKey string) (IssueResult, error) {
	if req.ServiceID == "" {
		return IssueResult{}, Errorf(protocol.CodeBadRequest, "service_id is required")
	}
	switch req.Lang {
	case "":
		req.Lang = protocol.LangVI
	case protocol.LangVI, protocol.LangEN:
	default:
		return IssueResult{}, Errorf(protocol.CodeBadRequest, "lang must be \"vi\" or \"en\"")
	}
	if len(idemKey) > maxIdemKeyLen || !utf8.ValidString(idemKey) {
		return IssueResult{}, Errorf(protocol.CodeBadRequest, "Idempotency-Key is longer than %d bytes or not UTF-8", maxIdemKeyLen)
	}
	// Whether a counter serves the field is read from the cache (updated
	// before a counter change returns), not from every counter row in the
	// issuing transaction: a race with a counter edit is harmless.
	e.mu.RLock()
	served := e.c.served(req.ServiceID)
	e.mu.RUnlock()
	var rec TicketRecord
	replayed := false
	_, err := e.store.Update(ctx, func(tx Tx) error {
		if idemKey != "" {
			old, err := tx.TicketByIdemKey(issuer, idemKey)
			switch {
			case err == nil:
				if old.IssueServiceID != req.ServiceID || old.Priority != req.Priority {
					return Errorf(protocol.CodeConflict, "Idempotency-Key was already used for another request")
				}
				rec, replayed = old, true
				return nil
			case !IsNotFound(err):
				return err
			}
		}
		now := e.now()
		day := Day(now, e.opts.Location)
		svc, err := tx.Service(req.ServiceID)
		if IsNotFound(err) {
			return Errorf(protocol.CodeNotFound, "unknown service %q", req.ServiceID)
		} else if err != nil {
			return err
		}
		if !svc.Enabled {
			return Errorf(protocol.CodeServiceClosed, "%s is closed today", svc.Name.Vi)
		}
		if !svc.AcceptUnserved && !served {
			return Errorf(protocol.CodeServiceClosed, "no counter serves %s, so nobody would call the ticket (closed_reason no_counter)", svc.Name.Vi)
		}
		centre, err := tx.Centre()
		if err != nil {
			return err
		}
		if !OpenAt(effectiveHours(svc, centre), now) {
			return Errorf(protocol.CodeOutsideHours, "%s is outside its opening hours", svc.Name.Vi)
		}
		n, err := tx.NextNumber(svc.ID, day)
		if err != nil {
			return err
		}
		if svc.DailyCap > 0 && n > svc.DailyCap {
			return Errorf(protocol.CodeDailyCapReached, "%s has issued its %d tickets for today", svc.Name.Vi, svc.DailyCap)
		}
		// Numbers above OfflineBase belong to kiosks' offline leases (lease.go).
		if n > protocol.OfflineBase {
			return Errorf(protocol.CodeDailyCapReached, "%s has issued its %d online numbers for today", svc.Name.Vi, protocol.OfflineBase)
		}
		id := ticketID()
		rec = TicketRecord{
			Ticket: protocol.Ticket{
				ID: id, Code: FormatCode(svc.Prefix, n), Number: n, ServiceID: svc.ID,
				Status: protocol.StatusWaiting, Priority: req.Priority, IssuedAt: now,
				Day: day, Lang: req.Lang,
			},
			IssueServiceID: svc.ID,
			TokenHash:      HashToken(TicketToken(tx.Secret(), id)),
			IssuedBy:       issuer,
			IdemKey:        idemKey,
		}
		if err := tx.InsertTicket(rec); err != nil {
			return err
		}
		return tx.AppendEvent(protocol.EventTicketIssued, now, e.public(rec))
	})
	if err != nil {
		return IssueResult{}, err
	}
	t := e.view(rec)
	e.mu.RLock()
	tok := TicketToken(e.c.secret, rec.ID)
	e.mu.RUnlock()
	return IssueResult{Ticket: t, Token: tok, Replayed: replayed}, nil
}

// public is the ticket as events and boards carry it: times in the centre's
// zone, no token, no estimate.
func (e *Engine) public(r TicketRecord) protocol.Ticket {
	t := localTicket(r.Ticket, e.opts.Location)
	t.Ahead, t.ETASeconds, t.ETALowSeconds, t.ETAHighSeconds = 0, 0, 0, 0
	return t
}

// view returns the wire ticket with its current estimate.
func (e *Engine) view(r TicketRecord) protocol.Ticket {
	t := localTicket(r.Ticket, e.opts.Location)
	now := e.now()
	e.mu.RLock()
	e.c.estimate(&t, now, e.opts.MaxPriorityStreak)
	e.mu.RUnlock()
	return t
}

// TicketByToken returns the ticket holding token, with its current estimate.
func (e *Engine) TicketByToken(ctx context.Context, token string) (protocol.Ticket, error) {
	rec, err := e.ticketByTokenHash(ctx, HashToken(token))
	if err != nil {
		return protocol.Ticket{}, err
	}
	if err := e.withVisit(ctx, &rec); err != nil {
		return protocol.Ticket{}, err
	}
	rec.Note = "" // the clerk's note is not for the citizen's phone
	return e.view(rec), nil
}

// TicketReader finds tickets by token hash outside a write transaction.
type TicketReader interface {
	TicketByTokenHash(ctx context.Context, hash []byte) (TicketRecord, error)
}

func (e *Engine) ticketByTokenHash(ctx context.Context, h []byte) (TicketRecord, error) {
	r, ok := e.store.(TicketReader)
	if !ok {
		return TicketRecord{}, Errorf(protocol.CodeInternal, "store cannot look tickets up by token")
	}
	rec, err := r.TicketByTokenHash(ctx, h)
	if IsNotFound(err) {
		return rec, Errorf(protocol.CodeNotFound, "unknown ticket")
	}
	return rec, err
}

// counterOf reads a counter inside tx and normalises its served count to day.
func counterOf(tx Tx, id, day string) (CounterRecord, error) {
	c, err := tx.Counter(id)
	if IsNotFound(err) {
		return c, Errorf(protocol.CodeNotFound, "unknown counter %q", id)
	}
	if err == nil && c.ServedDay != day {
		c.ServedDay, c.ServedToday = day, 0
	}
	return c, err
}

// finish ends the counter's current ticket with status (done or no_show).
func (e *Engine) finish(tx Tx, cur TicketRecord, c *CounterRecord, status string, now time.Time) error {
	cur.Status = status
	cur.FinishedAt = &now
	if err := tx.UpdateTicket(cur); err != nil {
		return err
	}
	typ := protocol.EventTicketNoShow
	if status == protocol.StatusDone {
		typ = protocol.EventTicketDone
		c.ServedToday++
		if err := tx.PutCounter(*c); err != nil {
			return err
		}
	}
	return tx.AppendEvent(typ, now, e.public(cur))
}

// Next completes the counter's current ticket as done and calls the next
// one. It returns nil when nobody waits. Decided inside one transaction, so
// two counters pressing Next at once never get the same ticket.
func (e *Engine) Next(ctx context.Context, counterID, clerk string) (*protocol.Ticket, error) {
	var called *TicketRecord
	_, err := e.store.Update(ctx, func(tx Tx) error {
		called = nil
		now := e.now()
		day := Day(now, e.opts.Location)
		c, err := counterOf(tx, counterID, day)
		if err != nil {
			return err
		}
		cur, err := tx.CurrentTicket(counterID)
		if err == nil {
			if err := e.finish(tx, cur, &c, protocol.StatusDone, now); err != nil {
				return err
			}
		} else if !IsNotFound(err) {
			return err
		}
		if c.Status != protocol.CounterOpen {
			c.Status = protocol.CounterOpen
			if err := tx.PutCounter(c); err != nil {
				return err
			}
			if err := tx.AppendEvent(protocol.EventCounterUpdated, now, c.Counter); err != nil {
				return err
			}
		}
		t, found, err := e.pick(tx, &c, day)
		if err != nil || !found {
			return err
		}
		t.Status = protocol.StatusCalled
		t.CalledAt, t.ServiceStartedAt = &now, &now
		t.CounterID, t.ClerkID, t.Recalls = counterID, clerk, 0
		if t.FirstCalledAt == nil {
			t.FirstCalledAt, t.FirstCounterID, t.FirstClerkID = &now, counterID, clerk
		}
		if err := tx.UpdateTicket(t); err != nil {
			return err
		}
		if err := tx.PutCounter(c); err != nil {
			return err
		}
		called = &t
		return tx.AppendEvent(protocol.EventTicketCalled, now, protocol.Call{Ticket: e.public(t), Counter: c.Counter, At: now})
	})
	if err != nil {
		return nil, err
	}
	e.staffedByCaller(counterID)
	if called == nil {
		return nil, nil
	}
	t := e.view(*called)
	return &t, nil
}

// pick applies the call-next policy: the oldest priority ticket among the
// counter's fields, unless the counter already called MaxPriorityStreak
// priority tickets in a row and a regular ticket waits, in which case the
// oldest regular ticket; otherwise the oldest regular ticket.
func (e *Engine) pick(tx Tx, c *CounterRecord, day string) (TicketRecord, bool, error) {
	if len(c.ServiceIDs) == 0 {
		return TicketRecord{}, false, nil
	}
	p, err := tx.OldestWaiting(c.ServiceIDs, day, true)
	hasP := err == nil
	if err != nil && !IsNotFound(err) {
		return p, false, err
	}
	r, err := tx.OldestWaiting(c.ServiceIDs, day, false)
	hasR := err == nil
	if err != nil && !IsNotFound(err) {
		return r, false, err
	}
	switch {
	case hasP && (!hasR || c.PriorityStreak < e.opts.MaxPriorityStreak):
		c.PriorityStreak++
		return p, true, nil
	case hasR:
		c.PriorityStreak = 0
		return r, true, nil
	}
	return TicketRecord{}, false, nil
}

// current runs fn on the counter's current ticket inside a transaction.
func (e *Engine) current(ctx context.Context, counterID string, fn func(tx Tx, c *CounterRecord, cur *TicketRecord, now time.Time) error) (protocol.Ticket, error) {
	var out TicketRecord
	_, err := e.store.Update(ctx, func(tx Tx) error {
		now := e.now()
		c, err := counterOf(tx, counterID, Day(now, e.opts.Location))
		if err != nil {
			return err
		}
		cur, err := tx.CurrentTicket(counterID)
		if IsNotFound(err) {
			return Errorf(protocol.CodeNoCurrentTicket, "counter %d has no ticket being served", c.Number)
		} else if err != nil {
			return err
		}
		if err := fn(tx, &c, &cur, now); err != nil {
			return err
		}
		out = cur
		return nil
	})
	if err != nil {
		return protocol.Ticket{}, err
	}
	return e.view(out), nil
}

// Recall calls the counter's current ticket again.
func (e *Engine) Recall(ctx context.Context, counterID string) (protocol.Ticket, error) {
	return e.current(ctx, counterID, func(tx Tx, c *CounterRecord, cur *TicketRecord, now time.Time) error {
		cur.Recalls++
		cur.ServiceStartedAt = &now
		if err := tx.UpdateTicket(*cur); err != nil {
			return err
		}
		return tx.AppendEvent(protocol.EventTicketRecalled, now, protocol.Call{Ticket: e.public(*cur), Counter: c.Counter, At: now, Recall: true})
	})
}

// Done completes the counter's current ticket without a visit record
// (DoneWith records one).
func (e *Engine) Done(ctx context.Context, counterID string) (protocol.Ticket, error) {
	return e.DoneWith(ctx, counterID, "", protocol.DoneRequest{})
}

// NoShow marks the counter's current ticket as not shown up.
func (e *Engine) NoShow(ctx context.Context, counterID string) (protocol.Ticket, error) {
	return e.current(ctx, counterID, func(tx Tx, c *CounterRecord, cur *TicketRecord, now time.Time) error {
		cur.Status, cur.FinishedAt = protocol.StatusNoShow, &now
		return e.finish(tx, *cur, c, protocol.StatusNoShow, now)
	})
}

// Transfer puts the counter's current ticket back in the queue of another
// field. It keeps its code and its issue time, so it keeps its place.
func (e *Engine) Transfer(ctx context.Context, counterID, serviceID string) (protocol.Ticket, error) {
	if serviceID == "" {
		return protocol.Ticket{}, Errorf(protocol.CodeBadRequest, "service_id is required")
	}
	return e.current(ctx, counterID, func(tx Tx, c *CounterRecord, cur *TicketRecord, now time.Time) error {
		svc, err := tx.Service(serviceID)
		if IsNotFound(err) {
			return Errorf(protocol.CodeNotFound, "unknown service %q", serviceID)
		} else if err != nil {
			return err
		}
		if svc.ID == cur.ServiceID {
			return Errorf(protocol.CodeUnprocessable, "the ticket is already in %s", svc.Name.Vi)
		}
		cur.FromServiceID, cur.ServiceID = cur.ServiceID, svc.ID
		cur.Status = protocol.StatusWaiting
		cur.CounterID, cur.CalledAt, cur.ServiceStartedAt, cur.ClerkID, cur.Recalls = "", nil, nil, "", 0
		if err := tx.UpdateTicket(*cur); err != nil {
			return err
		}
		return tx.AppendEvent(protocol.EventTicketTransferred, now, e.public(*cur))
	})
}

// SetCounterStatus opens, pauses or closes a counter.
func (e *Engine) SetCounterStatus(ctx context.Context, counterID, status string) (protocol.Counter, error) {
	switch status {
	case protocol.CounterOpen, protocol.CounterPaused, protocol.CounterClosed:
	default:
		return protocol.Counter{}, Errorf(protocol.CodeBadRequest, "status must be open, paused or closed")
	}
	var out protocol.Counter
	_, err := e.store.Update(ctx, func(tx Tx) error {
		now := e.now()
		c, err := counterOf(tx, counterID, Day(now, e.opts.Location))
		if err != nil {
			return err
		}
		out = c.Counter
		if c.Status == status {
			return nil
		}
		c.Status = status
		out = c.Counter
		if err := tx.PutCounter(c); err != nil {
			return err
		}
		return tx.AppendEvent(protocol.EventCounterUpdated, now, c.Counter)
	})
	if err == nil {
		e.statusSetByCaller(counterID, status)
	}
	return out, err
}

var (
	idPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)
	prefixPattern = regexp.MustCompile(`^[A-Z]{1,2}$`)
)

// ValidateService checks an admin's field definition.
func ValidateService(s protocol.Service) error {
	switch {
	case !idPattern.MatchString(s.ID):
		return Errorf(protocol.CodeBadRequest, "id %q must be 1–40 lowercase letters, digits or dashes", s.ID)
	case !prefixPattern.MatchString(s.Prefix):
		return Errorf(protocol.CodeBadRequest, "prefix %q must be one or two capital letters A–Z", s.Prefix)
	case s.DailyCap < 0 || s.DailyCap > 99999:
		return Errorf(protocol.CodeBadRequest, "daily_cap must be between 0 (no cap) and 99999")
	case s.TargetMinutes < 0 || s.TargetMinutes > 24*60:
		return Errorf(protocol.CodeBadRequest, "target_minutes must be between 0 and 1440")
	}
	if _, err := AdminTextI18n("name", s.Name, MaxName, true); err != nil {
		return err
	}
	if s.Group != nil {
		if _, err := AdminTextI18n("group", *s.Group, MaxName, true); err != nil {
			return err
		}
	}
	if err := ValidateHours(s.Hours); err != nil {
		return Errorf(protocol.CodeBadRequest, "hours: %v", err)
	}
	return nil
}

// cleanService trims the admin texts of a valid service.
func cleanService(s protocol.Service) protocol.Service {
	s.Name, _ = AdminTextI18n("name", s.Name, MaxName, true)
	if s.Group != nil {
		g, _ := AdminTextI18n("group", *s.Group, MaxName, true)
		s.Group = &g
	}
	return s
}

// ValidateCounter checks an admin's counter definition against the known fields.
func ValidateCounter(c protocol.Counter, services map[string]bool) error {
	switch {
	case !idPattern.MatchString(c.ID):
		return Errorf(protocol.CodeBadRequest, "id %q must be 1–40 lowercase letters, digits or dashes", c.ID)
	case c.Number < 1 || c.Number > 999:
		return Errorf(protocol.CodeBadRequest, "number must be between 1 and 999")
	}
	if _, err := AdminTextI18n("name", c.Name, MaxName, true); err != nil {
		return err
	}
	switch c.Status {
	case protocol.CounterOpen, protocol.CounterPaused, protocol.CounterClosed:
	default:
		return Errorf(protocol.CodeBadRequest, "status must be open, paused or closed")
	}
	seen := map[string]bool{}
	for _, id := range c.ServiceIDs {
		if !services[id] {
			return Errorf(protocol.CodeUnprocessable, "unknown service %q", id)
		}
		if seen[id] {
			return Errorf(protocol.CodeBadRequest, "service %q is listed twice", id)
		}
		seen[id] = true
	}
	return nil
}

// PutService creates or replaces a field definition.
func (e *Engine) PutService(ctx context.Context, s protocol.Service) (protocol.Service, error) {
	s.Waiting, s.Open, s.ClosedReason, s.IssuedToday, s.AvgServiceSeconds, s.ETANewSeconds = 0, false, "", 0, 0, nil
	s.Group = normGroup(s.Group)
	if err := ValidateService(s); err != nil {
		return s, err
	}
	s = cleanService(s)
	_, err := e.store.Update(ctx, func(tx Tx) error {
		all, err := tx.Services()
		if err != nil {
			return err
		}
		for _, o := range all {
			if o.ID != s.ID && o.Prefix == s.Prefix {
				return Errorf(protocol.CodeConflict, "prefix %s is already used by %s", s.Prefix, o.Name.Vi)
			}
		}
		if err := tx.PutService(s); err != nil {
			return err
		}
		return tx.AppendEvent(protocol.EventServiceUpdated, e.now(), e.serviceView(s))
	})
	return e.serviceView(s), err
}

// PutCounter creates or replaces a counter definition.
func (e *Engine) PutCounter(ctx context.Context, c protocol.Counter) (protocol.Counter, error) {
	if c.Status == "" {
		c.Status = protocol.CounterClosed
	}
	if c.ServiceIDs == nil {
		c.ServiceIDs = []string{}
	}
	if n, err := AdminTextI18n("name", c.Name, MaxName, true); err == nil {
		c.Name = n // trimmed; errors are reported by ValidateCounter below
	}
	prev := ""
	_, err := e.store.Update(ctx, func(tx Tx) error {
		prev = ""
		svcs, err := tx.Services()
		if err != nil {
			return err
		}
		known := map[string]bool{}
		for _, s := range svcs {
			known[s.ID] = true
		}
		if err := ValidateCounter(c, known); err != nil {
			return err
		}
		all, err := tx.Counters()
		if err != nil {
			return err
		}
		rec := CounterRecord{Counter: c}
		for _, o := range all {
			if o.ID != c.ID && o.Number == c.Number {
				return Errorf(protocol.CodeConflict, "counter number %d is already used by %s", c.Number, o.ID)
			}
			if o.ID == c.ID {
				rec.PriorityStreak, rec.ServedDay, rec.ServedToday = o.PriorityStreak, o.ServedDay, o.ServedToday
				prev = o.Status
			}
		}
		if err := tx.PutCounter(rec); err != nil {
			return err
		}
		c = rec.Counter
		now := e.now()
		if err := tx.AppendEvent(protocol.EventCounterUpdated, now, rec.Counter); err != nil {
			return err
		}
		// A field that gains its first counter opens, one that loses its
		// last closes (no_counter): say so to every kiosk at once.
		before, after := servedBy(all, nil), servedBy(all, &rec)
		for _, s := range svcs {
			if before[s.ID] != after[s.ID] {
				if err := tx.AppendEvent(protocol.EventServiceUpdated, now, e.serviceViewServed(s, after[s.ID])); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil && c.Status != prev {
		// The admin set the status in the counter's definition: as a
		// status change by hand (staffing.go).
		e.statusSetByCaller(c.ID, c.Status)
	}
	return c, err
}

// servedBy is the set of fields some counter serves, with put replacing
// (or adding) its counter.
func servedBy(counters []CounterRecord, put *CounterRecord) map[string]bool {
	out := map[string]bool{}
	for _, c := range counters {
		if put != nil && c.ID == put.ID {
			continue
		}
		for _, id := range c.ServiceIDs {
			out[id] = true
		}
	}
	if put != nil {
		for _, id := range put.ServiceIDs {
			out[id] = true
		}
	}
	return out
}

// normGroup trims a field's group and drops an empty one.
func normGroup(g *protocol.Text) *protocol.Text {
	if g == nil {
		return nil
	}
	x := protocol.Text{Vi: strings.TrimSpace(g.Vi), En: strings.TrimSpace(g.En)}
	if x.Vi == "" && x.En == "" {
		return nil
	}
	return &x
}

// PutCentre replaces the centre settings.
func (e *Engine) PutCentre(ctx context.Context, c protocol.Centre) (protocol.Centre, error) {
	var err error
	if c.Name, err = AdminTextI18n("name", c.Name, MaxName, true); err != nil {
		return c, err
	}
	if c.Notice, err = AdminTextI18n("notice", c.Notice, MaxNotice, false); err != nil {
		return c, err
	}
	if c.ReadNumbers == "" {
		c.ReadNumbers = protocol.ReadAsNumber
	}
	if c.ReadNumbers != protocol.ReadAsNumber && c.ReadNumbers != protocol.ReadAsDigits {
		return c, Errorf(protocol.CodeBadRequest, "read_numbers must be \"number\" or \"digits\"")
	}
	if c.TimeZone == "" {
		c.TimeZone = e.opts.Location.String()
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		return c, Errorf(protocol.CodeBadRequest, "unknown time zone %q", c.TimeZone)
	}
	if err := ValidateHours(c.Hours); err != nil {
		return c, Errorf(protocol.CodeBadRequest, "hours: %v", err)
	}
	if c.KioskLargeText == nil {
		// An older client that does not know the setting keeps it.
		c.KioskLargeText = e.Centre().KioskLargeText
	}
	_, err = e.store.Update(ctx, func(tx Tx) error {
		if err := tx.PutCentre(c); err != nil {
			return err
		}
		return tx.AppendEvent(protocol.EventCentreUpdated, e.now(), c)
	})
	return c, err
}

// Centre returns the centre settings.
func (e *Engine) Centre() protocol.Centre {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.c.centre
}

// serviceView fills the computed fields of a service from the cache.
func (e *Engine) serviceView(s protocol.Service) protocol.Service {
	now := e.now()
	e.rollDay(now)
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.c.serviceView(s, now)
}

// serviceViewServed is serviceView as if a counter did (or did not) serve
// the field: for the event of a counter change not yet in the cache.
func (e *Engine) serviceViewServed(s protocol.Service, served bool) protocol.Service {
	now := e.now()
	e.rollDay(now)
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.c.serviceViewAs(s, now, served)
}

func (c *cache) serviceView(s protocol.Service, now time.Time) protocol.Service {
	return c.serviceViewAs(s, now, c.served(s.ID))
}

func (c *cache) serviceViewAs(s protocol.Service, now time.Time, served bool) protocol.Service {
	s.Waiting = len(c.waiting[s.ID])
	s.IssuedToday = c.issued[s.ID]
	s.AvgServiceSeconds = int(meanDuration(c.samples[s.ID]).Seconds())
	s.Open, s.ClosedReason = true, ""
	switch {
	case !s.Enabled:
		s.Open, s.ClosedReason = false, protocol.ClosedDisabled
	case !served && !s.AcceptUnserved:
		s.Open, s.ClosedReason = false, protocol.ClosedNoCounter
	case !OpenAt(effectiveHours(s, c.centre), now):
		s.Open, s.ClosedReason = false, protocol.ClosedOutsideHours
	case s.DailyCap > 0 && s.IssuedToday >= s.DailyCap:
		s.Open, s.ClosedReason = false, protocol.ClosedDailyCap
	}
	return s
}

// Services lists the fields in kiosk order with live counts.
func (e *Engine) Services() []protocol.Service {
	now := e.now()
	e.rollDay(now)
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.c.serviceList(now)
}

// ServicesWithETA is Services with each open field's expected wait for a
// ticket issued now (ETANewSeconds): what GET /api/v1/services answers to
// kiosks and the dashboard. It costs a projection per field, so the board
// every display receives and the engine's own callers go without it.
func (e *Engine) ServicesWithETA() []protocol.Service {
	now := e.now()
	e.rollDay(now)
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := e.c.serviceList(now)
	waits := e.c.newcomerWaits(now)
	for i := range out {
		if w, ok := waits[out[i].ID]; ok && out[i].Open {
			secs := int(w / time.Second)
			out[i].ETANewSeconds = &secs
		}
	}
	return out
}

func (c *cache) serviceList(now time.Time) []protocol.Service {
	out := make([]protocol.Service, 0, len(c.services))
	for _, s := range c.services {
		out = append(out, c.serviceView(s, now))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Counters lists the counters by number.
func (e *Engine) Counters() []protocol.Counter {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]protocol.Counter, 0, len(e.c.board.Counters))
	for _, cs := range e.c.board.Counters {
		out = append(out, cs.Counter)
	}
	return out
}

// Counter returns one counter with the ticket it serves.
func (e *Engine) Counter(id string) (protocol.CounterState, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, cs := range e.c.board.Counters {
		if cs.Counter.ID == id {
			return cs, nil
		}
	}
	return protocol.CounterState{}, Errorf(protocol.CodeNotFound, "unknown counter %q", id)
}

// Board returns the board at the cache's current seq.
func (e *Engine) Board() protocol.Board {
	now := e.now()
	e.rollDay(now)
	e.mu.RLock()
	defer e.mu.RUnlock()
	b := e.c.board
	b.Counters = slices.Clone(b.Counters)
	b.Recent = slices.Clone(b.Recent)
	if b.Recent == nil {
		b.Recent = []protocol.Call{}
	}
	if b.Counters == nil {
		b.Counters = []protocol.CounterState{}
	}
	b.Waiting = make(map[string]int, len(e.c.services))
	for id := range e.c.services {
		b.Waiting[id] = len(e.c.waiting[id])
	}
	b.Disruptions = slices.Clone(b.Disruptions)
	centre := e.c.centre
	b.Centre = &centre
	b.Services = e.c.serviceList(now)
	return b
}

// Waiting lists the waiting tickets of the given fields (all when empty),
// in the order the policy calls them, with estimates.
func (e *Engine) Waiting(serviceIDs []string) []protocol.Ticket {
	now := e.now()
	e.mu.RLock()
	defer e.mu.RUnlock()
	est := e.c.estimates(now, e.opts.MaxPriorityStreak)
	var out []protocol.Ticket
	for id, list := range e.c.waiting {
		if len(serviceIDs) > 0 && !slices.Contains(serviceIDs, id) {
			continue
		}
		for _, t := range list {
			x := est[t.ID]
			t.Ahead, t.ETASeconds, t.ETALowSeconds, t.ETAHighSeconds = x.Ahead, x.ETASeconds, x.ETALowSeconds, x.ETAHighSeconds
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority
		}
		return before(out[i], out[j])
	})
	if out == nil {
		out = []protocol.Ticket{}
	}
	return out
}

// Housekeep cancels tickets left waiting or called from earlier days and
// resets per-day counters; run at start and every minute.
func (e *Engine) Housekeep(ctx context.Context) error {
	now := e.now()
	e.rollDay(now)
	day := Day(now, e.opts.Location)
	_, err := e.store.Update(ctx, func(tx Tx) error {
		old, err := tx.OpenBefore(day)
		if err != nil {
			return err
		}
		for _, t := range old {
			t.Status = protocol.StatusCancelled
			t.FinishedAt = &now
			if err := tx.UpdateTicket(t); err != nil {
				return err
			}
			if err := tx.AppendEvent(protocol.EventTicketCancelled, now, e.public(t)); err != nil {
				return err
			}
		}
		counters, err := tx.Counters()
		if err != nil {
			return err
		}
		for _, c := range counters {
			if c.ServedDay != day && c.ServedToday != 0 {
				c.ServedDay, c.ServedToday = day, 0
				if err := tx.PutCounter(c); err != nil {
					return err
				}
				if err := tx.AppendEvent(protocol.EventCounterUpdated, now, c.Counter); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return err
}

// staffTick is how often Run looks for counters left without a console.
const staffTick = 5 * time.Second

// Run does housekeeping every interval, and closes counters left without
// a clerk console every few seconds, until ctx ends.
func (e *Engine) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	st := time.NewTicker(min(interval, staffTick))
	defer st.Stop()
	for {
		if err := e.Housekeep(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("housekeeping failed", "err", err)
		}
		if err := e.SaveCalibration(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("saving the wait calibration failed", "err", err)
		}
		for again := true; again; {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				again = false
			case <-st.C:
				if err := e.CloseUnstaffed(ctx); err != nil && ctx.Err() == nil {
					e.log.Warn("closing unstaffed counters failed", "err", err)
				}
			}
		}
	}
}
