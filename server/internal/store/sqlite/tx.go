package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// wtx is one update's view of the write transaction.
type wtx struct {
	s      *Store
	tx     *sql.Tx
	ctx    context.Context
	events []protocol.Event
}

var _ queue.Tx = (*wtx)(nil)

const ticketCols = `id, day, issue_service_id, number, code, service_id, from_service_id, status, priority, lang,
	issued_at, called_at, service_started_at, finished_at, counter_id, clerk_id, recalls, token_hash, issued_by, idem_key, offline,
	first_called_at, first_counter_id, first_clerk_id, booking`

const (
	qNextNumber = `INSERT INTO number_seq (service_id, day, last) VALUES (?, ?, 1)
		ON CONFLICT (service_id, day) DO UPDATE SET last = last + 1 RETURNING last`
	qIssuedCount  = `SELECT last FROM number_seq WHERE service_id = ? AND day = ?`
	qInsertTicket = `INSERT INTO tickets (` + ticketCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
	qUpdateTicket = `UPDATE tickets SET service_id = ?, from_service_id = ?, status = ?, priority = ?, called_at = ?, service_started_at = ?, finished_at = ?, counter_id = ?, clerk_id = ?, recalls = ?,
		first_called_at = ?, first_counter_id = ?, first_clerk_id = ?, booking = ? WHERE id = ?`
	qTicket       = `SELECT ` + ticketCols + ` FROM tickets WHERE id = ?`
	qTicketByIdem = `SELECT ` + ticketCols + ` FROM tickets WHERE issued_by = ? AND idem_key = ?`
	qCurrent      = `SELECT ` + ticketCols + ` FROM tickets WHERE counter_id = ? AND status = 'called' ORDER BY called_at DESC LIMIT 1`
	qService      = `SELECT data FROM services WHERE id = ?`
	qCounter      = `SELECT data, priority_streak, served_day, served_today, regular_run, unstaffed FROM counters WHERE id = ?`
	qPutCounter   = `INSERT INTO counters (id, number, data, priority_streak, served_day, served_today, regular_run, unstaffed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET number = excluded.number, data = excluded.data, priority_streak = excluded.priority_streak, served_day = excluded.served_day, served_today = excluded.served_today, regular_run = excluded.regular_run, unstaffed = excluded.unstaffed`
	qCentre      = `SELECT data FROM centre WHERE id = 1`
	qAppendEvent = `INSERT INTO events (type, at, data) VALUES (?, ?, ?) RETURNING seq`
	// The field list is a JSON array, so one prepared statement serves
	// counters with any number of fields.
	qOldestWaiting = `SELECT ` + ticketCols + ` FROM tickets WHERE status = 'waiting' AND day = ? AND priority = ? AND booking IS NULL
		AND service_id IN (SELECT value FROM json_each(?)) ORDER BY issued_at, id LIMIT 1`
	qWaitingBooked = `SELECT ` + ticketCols + ` FROM tickets WHERE status = 'waiting' AND day = ? AND booking IS NOT NULL
		AND service_id IN (SELECT value FROM json_each(?)) ORDER BY issued_at, id`
)

var hotQueries = []string{qNextNumber, qIssuedCount, qInsertTicket, qUpdateTicket, qTicket, qTicketByIdem, qCurrent, qService, qCounter, qPutCounter, qCentre, qAppendEvent, qOldestWaiting, qWaitingBooked}

func (w *wtx) exec(q string, args ...any) (sql.Result, error) {
	if st, ok := w.s.stmts[q]; ok {
		return w.tx.StmtContext(w.ctx, st).ExecContext(w.ctx, args...)
	}
	return w.tx.ExecContext(w.ctx, q, args...)
}

func (w *wtx) queryRow(q string, args ...any) *sql.Row {
	if st, ok := w.s.stmts[q]; ok {
		return w.tx.StmtContext(w.ctx, st).QueryRowContext(w.ctx, args...)
	}
	return w.tx.QueryRowContext(w.ctx, q, args...)
}

func (w *wtx) Epoch() string  { return w.s.epoch }
func (w *wtx) Secret() []byte { return w.s.secret }

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return queue.ErrNotFound
	}
	return storageErr(err)
}

func (w *wtx) Centre() (protocol.Centre, error) {
	var c protocol.Centre
	var data string
	if err := w.queryRow(qCentre).Scan(&data); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return c, nil
		}
		return c, err
	}
	return c, json.Unmarshal([]byte(data), &c)
}

func (w *wtx) PutCentre(c protocol.Centre) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = w.exec(`INSERT INTO centre (id, data) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data`, string(b))
	return err
}

func (w *wtx) Service(id string) (protocol.Service, error) {
	var s protocol.Service
	var data string
	if err := w.queryRow(qService, id).Scan(&data); err != nil {
		return s, notFound(err)
	}
	return s, json.Unmarshal([]byte(data), &s)
}

func (w *wtx) Services() ([]protocol.Service, error) {
	return queryServices(w.ctx, w.tx)
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func queryServices(ctx context.Context, q querier) ([]protocol.Service, error) {
	rows, err := q.QueryContext(ctx, `SELECT data FROM services ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []protocol.Service
	for rows.Next() {
		var data string
		var s protocol.Service
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
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
	_, err = w.exec(`INSERT INTO services (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data`, s.ID, string(b))
	return err
}

func scanCounter(sc interface{ Scan(...any) error }) (queue.CounterRecord, error) {
	var c queue.CounterRecord
	var data string
	if err := sc.Scan(&data, &c.PriorityStreak, &c.ServedDay, &c.ServedToday, &c.RegularRun, &c.Unstaffed); err != nil {
		return c, notFound(err)
	}
	if err := json.Unmarshal([]byte(data), &c.Counter); err != nil {
		return c, err
	}
	c.Counter.ServedToday = c.ServedToday
	return c, nil
}

func (w *wtx) Counter(id string) (queue.CounterRecord, error) {
	return scanCounter(w.queryRow(qCounter, id))
}

func (w *wtx) Counters() ([]queue.CounterRecord, error) {
	return queryCounters(w.ctx, w.tx)
}

func queryCounters(ctx context.Context, q querier) ([]queue.CounterRecord, error) {
	rows, err := q.QueryContext(ctx, `SELECT data, priority_streak, served_day, served_today, regular_run, unstaffed FROM counters ORDER BY number`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []queue.CounterRecord
	for rows.Next() {
		c, err := scanCounter(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
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
	_, err = w.exec(qPutCounter, c.ID, c.Number, string(b), c.PriorityStreak, c.ServedDay, c.ServedToday, c.RegularRun, c.Unstaffed)
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return queue.Errorf(protocol.CodeConflict, "counter number %d is already used", c.Number)
	}
	return err
}

func (w *wtx) NextNumber(serviceID, day string) (int, error) {
	var n int
	err := w.queryRow(qNextNumber, serviceID, day).Scan(&n)
	return n, err
}

func (w *wtx) IssuedCount(serviceID, day string) (int, error) {
	var n int
	err := w.queryRow(qIssuedCount, serviceID, day).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

func micros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// bookingJSON is the booking column of t: NULL for a walk-in.
func bookingJSON(t queue.TicketRecord) (any, error) {
	if t.Booking == nil {
		return nil, nil
	}
	b, err := queue.EncodeBooking(t.Booking)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode booking of %s: %w", t.ID, err)
	}
	return string(b), nil
}

func (w *wtx) InsertTicket(t queue.TicketRecord) error {
	bk, err := bookingJSON(t)
	if err != nil {
		return err
	}
	_, err = w.exec(qInsertTicket, t.ID, t.Day, t.IssueServiceID, t.Number, t.Code, t.ServiceID, t.FromServiceID, t.Status,
		t.Priority, t.Lang, t.IssuedAt.UnixMicro(), micros(t.CalledAt), micros(t.ServiceStartedAt), micros(t.FinishedAt),
		t.CounterID, t.ClerkID, t.Recalls, t.TokenHash, t.IssuedBy, nullable(t.IdemKey), t.Offline,
		micros(t.FirstCalledAt), t.FirstCounterID, t.FirstClerkID, bk)
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return queue.Errorf(protocol.CodeConflict, "ticket %s already exists", t.Code)
	}
	if err != nil || len(t.IDHash) == 0 {
		return err
	}
	_, err = w.exec(`UPDATE tickets SET id_hash = ?, birth_year = ? WHERE id = ?`, t.IDHash, t.BirthYear, t.ID)
	return err
}

func (w *wtx) IDTicketCounts(idHash []byte, day, serviceID string) (total, inService int, err error) {
	err = w.queryRow(`SELECT COUNT(*), COALESCE(SUM(issue_service_id = ?), 0) FROM tickets WHERE id_hash = ? AND day = ?`,
		serviceID, idHash, day).Scan(&total, &inService)
	return total, inService, err
}

func (w *wtx) UpdateTicket(t queue.TicketRecord) error {
	bk, err := bookingJSON(t)
	if err != nil {
		return err
	}
	res, err := w.exec(qUpdateTicket, t.ServiceID, t.FromServiceID, t.Status, t.Priority, micros(t.CalledAt),
		micros(t.ServiceStartedAt), micros(t.FinishedAt), t.CounterID, t.ClerkID, t.Recalls,
		micros(t.FirstCalledAt), t.FirstCounterID, t.FirstClerkID, bk, t.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return queue.ErrNotFound
	}
	return nil
}

func scanTicket(sc interface{ Scan(...any) error }) (queue.TicketRecord, error) {
	var t queue.TicketRecord
	var issued int64
	var called, started, finished, first sql.NullInt64
	var idem, booking sql.NullString
	err := sc.Scan(&t.ID, &t.Day, &t.IssueServiceID, &t.Number, &t.Code, &t.ServiceID, &t.FromServiceID, &t.Status,
		&t.Priority, &t.Lang, &issued, &called, &started, &finished, &t.CounterID, &t.ClerkID, &t.Recalls,
		&t.TokenHash, &t.IssuedBy, &idem, &t.Offline, &first, &t.FirstCounterID, &t.FirstClerkID, &booking)
	if err != nil {
		return t, notFound(err)
	}
	if booking.Valid {
		var err error
		if t.Booking, err = queue.DecodeBooking([]byte(booking.String)); err != nil {
			return t, fmt.Errorf("sqlite: booking of %s: %w", t.ID, err)
		}
	}
	t.IssuedAt = time.UnixMicro(issued)
	t.CalledAt = fromMicros(called)
	t.ServiceStartedAt = fromMicros(started)
	t.FinishedAt = fromMicros(finished)
	t.IdemKey = idem.String
	t.FirstCalledAt = fromMicros(first)
	return t, nil
}

func fromMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.UnixMicro(v.Int64)
	return &t
}

func (w *wtx) Ticket(id string) (queue.TicketRecord, error) {
	return scanTicket(w.queryRow(qTicket, id))
}

func (w *wtx) TicketByIdemKey(issuer, key string) (queue.TicketRecord, error) {
	return scanTicket(w.queryRow(qTicketByIdem, issuer, key))
}

func (w *wtx) CurrentTicket(counterID string) (queue.TicketRecord, error) {
	return scanTicket(w.queryRow(qCurrent, counterID))
}

func (w *wtx) ReadCall(q queue.CallQuery) (queue.CallRead, error) {
	return queue.ReadCallOf(w, q)
}

func (w *wtx) CallCandidates(day string, booked []string, oldest []queue.OldestQuery) ([]queue.TicketRecord, []*queue.TicketRecord, error) {
	return queue.CallCandidatesOf(w, day, booked, oldest)
}

func (w *wtx) OldestWaiting(serviceIDs []string, day string, priority bool) (queue.TicketRecord, error) {
	if len(serviceIDs) == 0 {
		return queue.TicketRecord{}, queue.ErrNotFound
	}
	ids, err := json.Marshal(serviceIDs)
	if err != nil {
		return queue.TicketRecord{}, err
	}
	return scanTicket(w.queryRow(qOldestWaiting, day, priority, string(ids)))
}

func (w *wtx) WaitingBooked(serviceIDs []string, day string) ([]queue.TicketRecord, error) {
	if len(serviceIDs) == 0 {
		return nil, nil
	}
	ids, err := json.Marshal(serviceIDs)
	if err != nil {
		return nil, err
	}
	st, ok := w.s.stmts[qWaitingBooked]
	var rows *sql.Rows
	if ok {
		rows, err = w.tx.StmtContext(w.ctx, st).QueryContext(w.ctx, day, string(ids))
	} else {
		rows, err = w.tx.QueryContext(w.ctx, qWaitingBooked, day, string(ids))
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []queue.TicketRecord
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (w *wtx) OpenBefore(day string) ([]queue.TicketRecord, error) {
	rows, err := w.tx.QueryContext(w.ctx, `SELECT `+ticketCols+` FROM tickets WHERE status IN ('waiting', 'called') AND day < ? ORDER BY issued_at`, day)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []queue.TicketRecord
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (w *wtx) AppendEvent(typ string, at time.Time, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("sqlite: encode %s event: %w", typ, err)
	}
	ats := at.Format(time.RFC3339Nano)
	var seq int64
	if err := w.queryRow(qAppendEvent, typ, ats, string(b)).Scan(&seq); err != nil {
		return err
	}
	w.events = append(w.events, protocol.Event{Seq: seq, Epoch: w.s.epoch, Type: typ, At: at, Data: b})
	return nil
}
