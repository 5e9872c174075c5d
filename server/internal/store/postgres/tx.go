package postgres

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// wtx is one update's view of its transaction. Reads of the rows a
// decision rests on lock them (FOR UPDATE): a counter and its current
// ticket, the ticket being changed; the oldest waiting ticket is taken
// with SKIP LOCKED, so two clerks calling at once get different tickets
// instead of waiting on each other.
type wtx struct {
	s      *Store
	tx     pgx.Tx
	ctx    context.Context
	events []protocol.Event
	cache  *batchCache // the batch's

	p      *pipe           // tx, holding back writes
	op     *op             // the update being run
	locked map[string]bool // tickets this update has locked (read FOR UPDATE or inserted)
}

// write runs a statement whose only answer that matters is an error: it
// is held back and sent with the next statement that needs an answer
// (pipe.go), its error answered by the update as mapErr(err).
func (w *wtx) write(mapErr func(error) error, sql string, args ...any) error {
	w.p.hold(held{sql: sql, args: args, owner: w.op, mapErr: mapErr})
	return nil
}

// lockedTicket notes that this update holds the ticket's row.
func (w *wtx) lockedTicket(id string) {
	if w.locked == nil {
		w.locked = map[string]bool{}
	}
	w.locked[id] = true
}

// batchCache keeps what the updates of a batch read again and again, so
// that a batch reads it in one round trip instead of a few per update:
// at the first need, every field's document, the centre's, and the
// holidays and every field's last number of the days from yesterday (UTC)
// on (loadDocs), which is every day a centre in any time zone issues for;
// another day is read at its first need (loadDay). While a batch runs, the
// batches of the other instances wait for their turn (qBatchTurn), so
// nobody else changes these rows meanwhile; a number written from here
// still checks the row it counted on (NextNumber). A write of a document
// or the holidays drops the cache, and so does an update that rolls back
// (it may have read its own write). Another instance's change of a
// document is seen by the next batch: the engine tolerates such a race
// (issue.go).
//
// The documents are decoded at their first use, once per batch; each read
// gets its own copy of their opening hours, the one map in them.
type batchCache struct {
	docs     bool              // the documents and the days from daysFrom on are read
	raw      map[string][]byte // field id → its stored document, until decoded
	services map[string]protocol.Service
	centre   *protocol.Centre
	daysFrom string          // the days from this one on are read ("": none)
	days     map[string]bool // other days read
	holidays map[string]bool // the holidays among the days read
	// numbers are the fields' last numbers by day, as read or allocated
	// by this transaction (NextNumber): within a day read, a field that
	// has none has no row yet.
	numbers map[numberKey]int
}

type numberKey struct{ service, day string }

func (c *batchCache) reset() {
	*c = batchCache{}
}

// read tells whether day's holiday and numbers are read.
func (c *batchCache) read(day string) bool {
	return c.daysFrom != "" && day >= c.daysFrom || c.days[day]
}

// loadDocs reads, unless the batch has them, every field's document and
// the centre's, and the holidays and numbers of the days from yesterday
// (UTC) on, in one round trip.
func (w *wtx) loadDocs() error {
	c := w.cache
	if c.docs {
		return nil
	}
	raw := map[string][]byte{}
	var centre []byte
	from := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	hols := map[string]bool{}
	nums := map[numberKey]int{}
	err := w.p.readAll(w.ctx,
		read{sql: `SELECT id, data FROM services`, row: func(r pgx.Rows) error {
			var id string
			var data []byte
			if err := r.Scan(&id, &data); err != nil {
				return err
			}
			raw[id] = data
			return nil
		}},
		read{sql: `SELECT data FROM centre WHERE id = 1`, row: func(r pgx.Rows) error { return r.Scan(&centre) }},
		read{sql: `SELECT day FROM holidays WHERE day >= $1`, args: []any{from}, row: func(r pgx.Rows) error {
			var day string
			if err := r.Scan(&day); err != nil {
				return err
			}
			hols[day] = true
			return nil
		}},
		read{sql: `SELECT service_id, day, last FROM number_seq WHERE day >= $1`, args: []any{from}, row: func(r pgx.Rows) error {
			var k numberKey
			var last int
			if err := r.Scan(&k.service, &k.day, &last); err != nil {
				return err
			}
			nums[k] = last
			return nil
		}})
	if err != nil {
		return err
	}
	var ct protocol.Centre
	if centre != nil {
		if err := json.Unmarshal(centre, &ct); err != nil {
			return err
		}
	}
	*c = batchCache{docs: true, raw: raw, services: map[string]protocol.Service{}, centre: &ct,
		daysFrom: from, holidays: hols, numbers: nums}
	return nil
}

// loadDay reads, unless the batch has them, day's holiday and every
// field's last number of day, in one round trip.
func (w *wtx) loadDay(day string) error {
	if err := w.loadDocs(); err != nil {
		return err
	}
	c := w.cache
	if c.read(day) {
		return nil
	}
	hol := false
	err := w.p.readAll(w.ctx,
		read{sql: `SELECT true FROM holidays WHERE day = $1`, args: []any{day}, row: func(r pgx.Rows) error { return r.Scan(&hol) }},
		read{sql: `SELECT service_id, last FROM number_seq WHERE day = $1`, args: []any{day}, row: func(r pgx.Rows) error {
			k := numberKey{day: day}
			var last int
			if err := r.Scan(&k.service, &last); err != nil {
				return err
			}
			c.numbers[k] = last
			return nil
		}})
	if err != nil {
		return err
	}
	if c.days == nil {
		c.days = map[string]bool{}
	}
	c.days[day] = true
	c.holidays[day] = hol
	return nil
}

var (
	_ queue.Tx      = (*wtx)(nil)
	_ queue.LeaseTx = (*wtx)(nil)
)

// querier is what a transaction and the pool share.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

const ticketCols = `id, day, issue_service_id, number, code, service_id, from_service_id, status, priority, lang,
	issued_at, called_at, service_started_at, finished_at, counter_id, clerk_id, recalls, token_hash, issued_by, idem_key, offline,
	first_called_at, first_counter_id, first_clerk_id, booking`

func (w *wtx) Epoch() string  { return w.s.epoch }
func (w *wtx) Secret() []byte { return w.s.secret }

// pgCode is the SQLSTATE of a PostgreSQL error ("" for other errors).
func pgCode(err error) (code, constraint string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, pe.ConstraintName
	}
	return "", ""
}

func isUnique(err error) bool {
	c, _ := pgCode(err)
	return c == "23505"
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return queue.ErrNotFound
	}
	return err
}

func (w *wtx) Centre() (protocol.Centre, error) {
	if err := w.loadDocs(); err != nil {
		return protocol.Centre{}, err
	}
	c := *w.cache.centre
	c.Hours = cloneHours(c.Hours)
	return c, nil
}

// cloneHours copies opening hours, so that no two readers share them.
func cloneHours(h protocol.Hours) protocol.Hours {
	if h == nil {
		return nil
	}
	out := make(protocol.Hours, len(h))
	for day, spans := range h {
		out[day] = slices.Clone(spans)
	}
	return out
}

func readCentre(ctx context.Context, q querier) (protocol.Centre, error) {
	var c protocol.Centre
	var data []byte
	if err := q.QueryRow(ctx, `SELECT data FROM centre WHERE id = 1`).Scan(&data); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return c, nil
		}
		return c, err
	}
	return c, json.Unmarshal(data, &c)
}

func (w *wtx) PutCentre(c protocol.Centre) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	w.cache.reset()
	_, err = w.tx.Exec(w.ctx, `INSERT INTO centre (id, data) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET data = excluded.data`, string(b))
	return err
}

func (w *wtx) Service(id string) (protocol.Service, error) {
	var s protocol.Service
	if err := w.loadDocs(); err != nil {
		return s, err
	}
	c := w.cache
	s, ok := c.services[id]
	if !ok {
		data, ok := c.raw[id]
		if !ok {
			return s, queue.ErrNotFound
		}
		if err := json.Unmarshal(data, &s); err != nil {
			return protocol.Service{}, err
		}
		c.services[id] = s
		delete(c.raw, id)
	}
	s.Hours = cloneHours(s.Hours)
	return s, nil
}

func (w *wtx) Services() ([]protocol.Service, error) { return queryServices(w.ctx, w.tx) }

func queryServices(ctx context.Context, q querier) ([]protocol.Service, error) {
	rows, err := q.Query(ctx, `SELECT data FROM services ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (protocol.Service, error) {
		var s protocol.Service
		var data []byte
		if err := r.Scan(&data); err != nil {
			return s, err
		}
		return s, json.Unmarshal(data, &s)
	})
}

// configService strips the computed fields before a service is stored.
func configService(s protocol.Service) protocol.Service {
	s.Open, s.Waiting, s.ClosedReason, s.IssuedToday, s.AvgServiceSeconds = false, 0, "", 0, 0
	return s
}

func (w *wtx) PutService(s protocol.Service) error {
	b, err := json.Marshal(configService(s))
	if err != nil {
		return err
	}
	w.cache.reset()
	_, err = w.tx.Exec(w.ctx, `INSERT INTO services (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = excluded.data`, s.ID, string(b))
	return err
}

const counterCols = `data, priority_streak, served_day, served_today, regular_run, unstaffed`

func scanCounter(sc pgx.Row) (queue.CounterRecord, error) {
	var c queue.CounterRecord
	var data []byte
	if err := sc.Scan(&data, &c.PriorityStreak, &c.ServedDay, &c.ServedToday, &c.RegularRun, &c.Unstaffed); err != nil {
		return c, notFound(err)
	}
	if err := json.Unmarshal(data, &c.Counter); err != nil {
		return c, err
	}
	c.Counter.ServedToday = c.ServedToday
	return c, nil
}

// Counter reads a counter and locks it: its streak and served count are
// decided on by this transaction.
func (w *wtx) Counter(id string) (queue.CounterRecord, error) {
	return scanCounter(w.tx.QueryRow(w.ctx, qCounter, id))
}

func (w *wtx) Counters() ([]queue.CounterRecord, error) { return queryCounters(w.ctx, w.tx) }

func queryCounters(ctx context.Context, q querier) ([]queue.CounterRecord, error) {
	rows, err := q.Query(ctx, `SELECT `+counterCols+` FROM counters ORDER BY number`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (queue.CounterRecord, error) { return scanCounter(r) })
}

func (w *wtx) PutCounter(c queue.CounterRecord) error {
	c.Counter.ServedToday = c.ServedToday
	b, err := json.Marshal(c.Counter)
	if err != nil {
		return err
	}
	if c.Status != protocol.CounterClosed {
		c.Unstaffed = "" // only a closed counter has a status to get back
	}
	// Its outcome is an error or none: held back (pipe.go).
	return w.write(func(err error) error {
		if isUnique(err) {
			return queue.Errorf(protocol.CodeConflict, "counter number %d is already used", c.Number)
		}
		return err
	}, `INSERT INTO counters (id, number, data, priority_streak, served_day, served_today, regular_run, unstaffed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (id) DO UPDATE SET number = excluded.number, data = excluded.data, priority_streak = excluded.priority_streak,
		served_day = excluded.served_day, served_today = excluded.served_today, regular_run = excluded.regular_run, unstaffed = excluded.unstaffed`,
		c.ID, c.Number, string(b), c.PriorityStreak, c.ServedDay, c.ServedToday, c.RegularRun, c.Unstaffed)
}

// NextNumber implements queue.Tx. The field's last number of the day is
// known from the batch's reading (loadDay): the new one is written without
// waiting for an answer (held back, pipe.go), and the write checks that the
// row still holds the number counted on. Should it not (a writer outside
// the batches' turns), the update runs again on a fresh reading: numbers
// stay unique and gap-free either way. The row stays locked by this
// transaction from its first write until it commits, so concurrent issuers
// on any instance queue behind it.
func (w *wtx) NextNumber(serviceID, day string) (int, error) {
	if err := w.loadDay(day); err != nil {
		return 0, err
	}
	key := numberKey{serviceID, day}
	last, ok := w.cache.numbers[key]
	n := last + 1
	if ok {
		// No row changed is an error (division by zero) PostgreSQL
		// raises, so that it stops the pipeline there (pipe.go).
		w.p.hold(held{sql: `WITH u AS (UPDATE number_seq SET last = $3 WHERE service_id = $1 AND day = $2 AND last = $4 RETURNING 1)
			SELECT 1 / count(*) FROM u`, args: []any{serviceID, day, n, last}, owner: w.op, mapErr: func(err error) error {
			if c, _ := pgCode(err); c == "22012" {
				return errRetry // the row moved on: read again
			}
			return err
		}})
	} else {
		w.p.hold(held{sql: `INSERT INTO number_seq (service_id, day, last) VALUES ($1, $2, 1)`,
			args: []any{serviceID, day}, owner: w.op, mapErr: func(err error) error {
				if isUnique(err) {
					return errRetry // inserted meanwhile: read again
				}
				return err
			}})
	}
	w.cache.numbers[key] = n
	return n, nil
}

func (w *wtx) IssuedCount(serviceID, day string) (int, error) {
	if err := w.loadDay(day); err != nil {
		return 0, err
	}
	return w.cache.numbers[numberKey{serviceID, day}], nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// bookingJSON is the booking column of t: NULL for a walk-in.
func bookingJSON(t queue.TicketRecord) (*string, error) {
	if t.Booking == nil {
		return nil, nil
	}
	b, err := queue.EncodeBooking(t.Booking)
	if err != nil {
		return nil, fmt.Errorf("postgres: encode booking of %s: %w", t.ID, err)
	}
	s := string(b)
	return &s, nil
}

func (w *wtx) InsertTicket(t queue.TicketRecord) error {
	bk, err := bookingJSON(t)
	if err != nil {
		return err
	}
	// Its outcome is an error or none: held back (pipe.go).
	err = w.write(func(err error) error {
		if code, cons := pgCode(err); code == "23505" {
			if cons == "tickets_idem" || cons == "tickets_issue_service_id_day_number_key" {
				// Another instance issued with the same key, or synced the
				// same offline number, at the same moment: run again, and
				// find its ticket.
				return errRetry
			}
			return queue.Errorf(protocol.CodeConflict, "ticket %s already exists", t.Code)
		}
		return err
	}, `INSERT INTO tickets (`+ticketCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25)`,
		t.ID, t.Day, t.IssueServiceID, t.Number, t.Code, t.ServiceID, t.FromServiceID, t.Status,
		t.Priority, t.Lang, t.IssuedAt, t.CalledAt, t.ServiceStartedAt, t.FinishedAt,
		t.CounterID, t.ClerkID, t.Recalls, t.TokenHash, t.IssuedBy, nullable(t.IdemKey), t.Offline,
		t.FirstCalledAt, t.FirstCounterID, t.FirstClerkID, bk)
	if err != nil {
		return err
	}
	w.lockedTicket(t.ID)
	if len(t.IDHash) == 0 {
		return nil
	}
	return w.write(nil, `UPDATE tickets SET id_hash = $1, birth_year = $2 WHERE id = $3`, t.IDHash, t.BirthYear, t.ID)
}

// IDTicketCounts implements queue.Tx. The count-then-insert of one
// citizen's tickets of a day is serialised by an advisory lock on the
// card's hash and the day: two instances issuing in two fields lock two
// different numbering rows, and would otherwise both count none and both
// issue past the centre's per-person cap.
func (w *wtx) IDTicketCounts(idHash []byte, day, serviceID string) (total, inService int, err error) {
	if err := w.lock("idcard:" + hex.EncodeToString(idHash) + ":" + day); err != nil {
		return 0, 0, err
	}
	err = w.tx.QueryRow(w.ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE issue_service_id = $1) FROM tickets WHERE id_hash = $2 AND day = $3`,
		serviceID, idHash, day).Scan(&total, &inService)
	return total, inService, err
}

func (w *wtx) UpdateTicket(t queue.TicketRecord) error {
	bk, err := bookingJSON(t)
	if err != nil {
		return err
	}
	const q = `UPDATE tickets SET service_id = $1, from_service_id = $2, status = $3, priority = $4, called_at = $5,
		service_started_at = $6, finished_at = $7, counter_id = $8, clerk_id = $9, recalls = $10,
		first_called_at = $11, first_counter_id = $12, first_clerk_id = $13, booking = $14 WHERE id = $15`
	args := []any{t.ServiceID, t.FromServiceID, t.Status, t.Priority, t.CalledAt,
		t.ServiceStartedAt, t.FinishedAt, t.CounterID, t.ClerkID, t.Recalls,
		t.FirstCalledAt, t.FirstCounterID, t.FirstClerkID, bk, t.ID}
	if w.locked[t.ID] {
		// The row is this update's (locked or inserted by it): the update
		// finds it, so its outcome is an error or none, held back.
		return w.write(nil, q, args...)
	}
	tag, err := w.tx.Exec(w.ctx, q, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return queue.ErrNotFound
	}
	return nil
}

func scanTicket(sc pgx.Row, extra ...any) (queue.TicketRecord, error) {
	var t queue.TicketRecord
	var idem, booking *string
	err := sc.Scan(append([]any{&t.ID, &t.Day, &t.IssueServiceID, &t.Number, &t.Code, &t.ServiceID, &t.FromServiceID, &t.Status,
		&t.Priority, &t.Lang, &t.IssuedAt, &t.CalledAt, &t.ServiceStartedAt, &t.FinishedAt, &t.CounterID, &t.ClerkID, &t.Recalls,
		&t.TokenHash, &t.IssuedBy, &idem, &t.Offline, &t.FirstCalledAt, &t.FirstCounterID, &t.FirstClerkID, &booking}, extra...)...)
	if err != nil {
		return t, notFound(err)
	}
	if booking != nil {
		var err error
		if t.Booking, err = queue.DecodeBooking([]byte(*booking)); err != nil {
			return t, fmt.Errorf("postgres: booking of %s: %w", t.ID, err)
		}
	}
	if idem != nil {
		t.IdemKey = *idem
	}
	return t, nil
}

func collectTickets(rows pgx.Rows, err error) ([]queue.TicketRecord, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (queue.TicketRecord, error) { return scanTicket(r) })
}

// Ticket reads a ticket and locks it for this transaction's change.
func (w *wtx) Ticket(id string) (queue.TicketRecord, error) {
	return w.lockedOne(scanTicket(w.tx.QueryRow(w.ctx, `SELECT `+ticketCols+` FROM tickets WHERE id = $1 FOR UPDATE`, id)))
}

// lockedOne notes a ticket read FOR UPDATE.
func (w *wtx) lockedOne(t queue.TicketRecord, err error) (queue.TicketRecord, error) {
	if err == nil {
		w.lockedTicket(t.ID)
	}
	return t, err
}

// lockedAll notes tickets read FOR UPDATE.
func (w *wtx) lockedAll(ts []queue.TicketRecord, err error) ([]queue.TicketRecord, error) {
	if err == nil {
		for _, t := range ts {
			w.lockedTicket(t.ID)
		}
	}
	return ts, err
}

func (w *wtx) TicketByIdemKey(issuer, key string) (queue.TicketRecord, error) {
	return scanTicket(w.tx.QueryRow(w.ctx, `SELECT `+ticketCols+` FROM tickets WHERE issued_by = $1 AND idem_key = $2`, issuer, key))
}

func (w *wtx) CurrentTicket(counterID string) (queue.TicketRecord, error) {
	return w.lockedOne(scanTicket(w.tx.QueryRow(w.ctx, qCurrent, counterID)))
}

// The oldest of each of the counter's fields is one step down the index
// tickets_field_queue (migration 0014), and the oldest of those is the
// answer: the cost does not grow with the tickets of other fields waiting
// before it (a walk in time order over every field read them all). Each
// field's oldest is locked (SKIP LOCKED, so a ticket another transaction
// is calling is passed over); the others are held only until this batch
// commits, and the batches of the instances take turns anyway.
func (w *wtx) OldestWaiting(serviceIDs []string, day string, priority bool) (queue.TicketRecord, error) {
	if len(serviceIDs) == 0 {
		return queue.TicketRecord{}, queue.ErrNotFound
	}
	return w.lockedOne(scanTicket(w.tx.QueryRow(w.ctx, qOldestWaiting, day, priority, serviceIDs)))
}

// WaitingBooked implements queue.Tx; the rows are locked like
// OldestWaiting's, so two instances never call the same booked ticket.
func (w *wtx) WaitingBooked(serviceIDs []string, day string) ([]queue.TicketRecord, error) {
	if len(serviceIDs) == 0 {
		return nil, nil
	}
	return w.lockedAll(collectTickets(w.tx.Query(w.ctx, qWaitingBooked, day, serviceIDs)))
}

const (
	qCounter = `SELECT ` + counterCols + ` FROM counters WHERE id = $1 FOR UPDATE`
	qCurrent = `SELECT ` + ticketCols + ` FROM tickets WHERE counter_id = $1 AND status = 'called'
		ORDER BY called_at DESC LIMIT 1 FOR UPDATE`
	qOldestWaiting = `SELECT o.* FROM unnest($3::text[]) AS f(service_id)
		CROSS JOIN LATERAL (SELECT ` + ticketCols + ` FROM tickets WHERE status = 'waiting' AND day = $1 AND priority = $2
			AND booking IS NULL AND service_id = f.service_id ORDER BY issued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) o
		ORDER BY o.issued_at, o.id LIMIT 1`
	qWaitingBooked = `SELECT ` + ticketCols + ` FROM tickets WHERE status = 'waiting' AND day = $1
		AND booking IS NOT NULL AND service_id = ANY($2) ORDER BY issued_at, id FOR UPDATE SKIP LOCKED`
)

// ReadCall implements queue.Tx: every read in one round trip.
func (w *wtx) ReadCall(q queue.CallQuery) (queue.CallRead, error) {
	var out queue.CallRead
	found := false
	rs := []read{
		{sql: qCounter, args: []any{q.Counter}, row: func(r pgx.Rows) error {
			var err error
			out.Counter, err = scanCounter(r)
			found = err == nil
			return err
		}},
		{sql: qCurrent, args: []any{q.Counter}, row: func(r pgx.Rows) error {
			t, err := scanTicket(r)
			if err == nil {
				w.lockedTicket(t.ID)
				out.Current = &t
			}
			return err
		}},
	}
	if len(q.Booked) > 0 || len(q.Oldest) > 0 {
		rs = append(rs, w.candidateReads(q.Day, q.Booked, q.Oldest, &out.Booked, &out.Oldest)...)
	}
	if err := w.p.readAll(w.ctx, rs...); err != nil {
		return queue.CallRead{}, err
	}
	if !found {
		return queue.CallRead{}, queue.ErrNotFound
	}
	return out, nil
}

// CallCandidates implements queue.Tx: every read in one round trip, its
// rows locked as WaitingBooked's and OldestWaiting's (a candidate the
// call does not take stays locked until the batch commits: the batches
// of the instances take turns anyway).
func (w *wtx) CallCandidates(day string, booked []string, oldest []queue.OldestQuery) ([]queue.TicketRecord, []*queue.TicketRecord, error) {
	var list []queue.TicketRecord
	var out []*queue.TicketRecord
	rs := w.candidateReads(day, booked, oldest, &list, &out)
	if len(rs) > 0 {
		if err := w.p.readAll(w.ctx, rs...); err != nil {
			return nil, nil, err
		}
	}
	return list, out, nil
}

// candidateReads are the reads of CallCandidates, into *list and *out
// (made one per query of oldest).
func (w *wtx) candidateReads(day string, booked []string, oldest []queue.OldestQuery, list *[]queue.TicketRecord, out *[]*queue.TicketRecord) []read {
	*out = make([]*queue.TicketRecord, len(oldest))
	var rs []read
	if len(booked) > 0 {
		rs = append(rs, read{sql: qWaitingBooked, args: []any{day, booked}, row: func(r pgx.Rows) error {
			t, err := scanTicket(r)
			if err == nil {
				w.lockedTicket(t.ID)
				*list = append(*list, t)
			}
			return err
		}})
	}
	for i, q := range oldest {
		if len(q.ServiceIDs) == 0 {
			continue
		}
		rs = append(rs, read{sql: qOldestWaiting, args: []any{day, q.Priority, q.ServiceIDs}, row: func(r pgx.Rows) error {
			t, err := scanTicket(r)
			if err == nil {
				w.lockedTicket(t.ID)
				(*out)[i] = &t
			}
			return err
		}})
	}
	return rs
}

func (w *wtx) OpenBefore(day string) ([]queue.TicketRecord, error) {
	return w.lockedAll(collectTickets(w.tx.Query(w.ctx, `SELECT `+ticketCols+` FROM tickets WHERE status IN ('waiting', 'called') AND day < $1
		ORDER BY issued_at, id FOR UPDATE`, day)))
}

// AppendEvent implements queue.Tx. The event's seq is allocated when the
// transaction commits; its instant is kept to the microsecond, as stored,
// so every instance delivers the same event.
func (w *wtx) AppendEvent(typ string, at time.Time, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("postgres: encode %s event: %w", typ, err)
	}
	_, off := at.Zone()
	at = at.Truncate(time.Microsecond).In(zone(off))
	w.events = append(w.events, protocol.Event{Epoch: w.s.epoch, Type: typ, At: at, Data: b})
	return nil
}

// NextLeaseBlock implements queue.LeaseTx (locks the field's lease row).
func (w *wtx) NextLeaseBlock(serviceID, day string, count int) (int, error) {
	var last int
	err := w.tx.QueryRow(w.ctx, `INSERT INTO lease_seq (service_id, day, last) VALUES ($1, $2, $3)
		ON CONFLICT (service_id, day) DO UPDATE SET last = lease_seq.last + $4 RETURNING last`,
		serviceID, day, protocol.OfflineBase+count, count).Scan(&last)
	return last, err
}

const leaseCols = `id, issuer, service_id, prefix, day, first, last, created_at, expires_at`

func scanLease(r pgx.Row) (queue.LeaseRecord, error) {
	var l queue.LeaseRecord
	err := r.Scan(&l.ID, &l.Issuer, &l.ServiceID, &l.Prefix, &l.Day, &l.From, &l.To, &l.CreatedAt, &l.ExpiresAt)
	return l, notFound(err)
}

// InsertLease implements queue.LeaseTx.
func (w *wtx) InsertLease(l queue.LeaseRecord) error {
	_, err := w.tx.Exec(w.ctx, `INSERT INTO leases (`+leaseCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		l.ID, l.Issuer, l.ServiceID, l.Prefix, l.Day, l.From, l.To, l.CreatedAt, l.ExpiresAt)
	if isUnique(err) {
		return queue.Errorf(protocol.CodeConflict, "lease %s already exists", l.ID)
	}
	return err
}

// Lease implements queue.LeaseTx.
func (w *wtx) Lease(id string) (queue.LeaseRecord, error) {
	return scanLease(w.tx.QueryRow(w.ctx, `SELECT `+leaseCols+` FROM leases WHERE id = $1`, id))
}

// TicketByNumber implements queue.LeaseTx.
func (w *wtx) TicketByNumber(issueServiceID, day string, number int) (queue.TicketRecord, error) {
	return w.lockedOne(scanTicket(w.tx.QueryRow(w.ctx, `SELECT `+ticketCols+` FROM tickets WHERE issue_service_id = $1 AND day = $2 AND number = $3 FOR UPDATE`,
		issueServiceID, day, number)))
}
