package postgres

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

var (
	_ queue.BookingTx     = (*wtx)(nil)
	_ queue.BookingReader = (*Store)(nil)
)

const bookingCols = `code, service_id, day, slot_start, window_from, window_to, status, phone_hash, created_at, created_by, checked_at, ticket_id, ticket_code`

func scanBooking(row pgx.Row) (queue.BookingRecord, error) {
	var b queue.BookingRecord
	err := row.Scan(&b.Code, &b.ServiceID, &b.Day, &b.SlotStart, &b.WindowFrom, &b.WindowTo, &b.Status, &b.PhoneHash,
		&b.CreatedAt, &b.CreatedBy, &b.CheckedAt, &b.TicketID, &b.TicketCode)
	if len(b.PhoneHash) == 0 {
		b.PhoneHash = nil
	}
	b.HasPhone = b.PhoneHash != nil
	return b, err
}

// lock takes a transaction-scoped advisory lock on key. Instances share
// one database but not a writer, so the count-then-insert of a slot (and
// of a phone's booking of a day) is serialised by it: two instances
// booking the last place of a slot at once cannot both see it free.
// Keys are prefixed with a centre's schema: advisory locks are the
// database's, and one centre's bookings need not wait for another's.
func (w *wtx) lock(key string) error {
	_, err := w.tx.Exec(w.ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 17))`, w.s.lockNS+key)
	return err
}

// BookingSettings implements queue.BookingTx.
func (w *wtx) BookingSettings(serviceID string) (protocol.BookingSettings, error) {
	var s protocol.BookingSettings
	var data []byte
	if err := w.tx.QueryRow(w.ctx, `SELECT data FROM booking_settings WHERE service_id = $1`, serviceID).Scan(&data); err != nil {
		return s, notFound(err)
	}
	return s, json.Unmarshal(data, &s)
}

// PutBookingSettings implements queue.BookingTx.
func (w *wtx) PutBookingSettings(s protocol.BookingSettings) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = w.tx.Exec(w.ctx, `INSERT INTO booking_settings (service_id, data) VALUES ($1, $2)
		ON CONFLICT (service_id) DO UPDATE SET data = excluded.data`, s.ServiceID, b)
	return err
}

// Holiday implements queue.BookingTx.
// Every issue asks: the batch reads it once a day (loadDay).
func (w *wtx) Holiday(day string) (bool, error) {
	if err := w.loadDay(day); err != nil {
		return false, err
	}
	return w.cache.holidays[day], nil
}

// PutHolidays implements queue.BookingTx.
func (w *wtx) PutHolidays(hs []protocol.Holiday) error {
	w.cache.reset()
	if _, err := w.tx.Exec(w.ctx, `DELETE FROM holidays`); err != nil {
		return err
	}
	for _, h := range hs {
		if _, err := w.tx.Exec(w.ctx, `INSERT INTO holidays (day, name) VALUES ($1, $2)`, h.Day, h.Name); err != nil {
			return err
		}
	}
	return nil
}

// InsertBooking implements queue.BookingTx. It runs in a savepoint of its
// own, so a code already taken is a conflict the update may handle without
// the whole transaction being aborted (PostgreSQL aborts it on any error).
func (w *wtx) InsertBooking(b queue.BookingRecord) error {
	sp, err := w.tx.Begin(w.ctx)
	if err != nil {
		return err
	}
	_, err = sp.Exec(w.ctx, `INSERT INTO bookings (`+bookingCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
		b.Code, b.ServiceID, b.Day, b.SlotStart, b.WindowFrom, b.WindowTo, b.Status, b.PhoneHash, b.CreatedAt, b.CreatedBy,
		b.CheckedAt, b.TicketID, b.TicketCode)
	if err != nil {
		if rbErr := sp.Rollback(w.ctx); rbErr != nil {
			return rbErr
		}
		if isUnique(err) {
			return queue.Errorf(protocol.CodeConflict, "booking code %s is taken", b.Code)
		}
		return err
	}
	return sp.Commit(w.ctx)
}

// UpdateBooking implements queue.BookingTx.
func (w *wtx) UpdateBooking(b queue.BookingRecord) error {
	tag, err := w.tx.Exec(w.ctx, `UPDATE bookings SET status = $1, checked_at = $2, ticket_id = $3, ticket_code = $4 WHERE code = $5`,
		b.Status, b.CheckedAt, b.TicketID, b.TicketCode, b.Code)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return queue.ErrNotFound
	}
	return nil
}

// BookingByCode implements queue.BookingTx; the row is locked, so two
// check-ins of one code on two instances take turns.
func (w *wtx) BookingByCode(code string) (queue.BookingRecord, error) {
	b, err := scanBooking(w.tx.QueryRow(w.ctx, `SELECT `+bookingCols+` FROM bookings WHERE code = $1 FOR UPDATE`, code))
	if err != nil {
		return b, notFound(err)
	}
	return b, nil
}

// CountSlot implements queue.BookingTx, under the slot's lock.
func (w *wtx) CountSlot(serviceID string, start time.Time) (int, error) {
	if err := w.lock("slot:" + serviceID + ":" + start.UTC().Format(time.RFC3339)); err != nil {
		return 0, err
	}
	var n int
	err := w.tx.QueryRow(w.ctx, `SELECT count(*) FROM bookings WHERE service_id = $1 AND slot_start = $2 AND status IN ('booked', 'checked_in')`,
		serviceID, start).Scan(&n)
	return n, err
}

// PhoneBooked implements queue.BookingTx, under the phone's lock for the
// field and day.
func (w *wtx) PhoneBooked(serviceID, day string, phoneHash []byte) (bool, error) {
	if err := w.lock("phone:" + serviceID + ":" + day + ":" + hex.EncodeToString(phoneHash)); err != nil {
		return false, err
	}
	var one int
	err := w.tx.QueryRow(w.ctx, `SELECT 1 FROM bookings WHERE service_id = $1 AND day = $2 AND phone_hash = $3 AND status IN ('booked', 'checked_in') LIMIT 1`,
		serviceID, day, phoneHash).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// DueBookings implements queue.BookingTx.
func (w *wtx) DueBookings(t time.Time) ([]queue.BookingRecord, error) {
	return queryBookings(w.ctx, w.tx, `SELECT `+bookingCols+` FROM bookings WHERE status = 'booked' AND window_to <= $1 ORDER BY window_to, code FOR UPDATE SKIP LOCKED`, t)
}

func queryBookings(ctx context.Context, q querier, query string, args ...any) ([]queue.BookingRecord, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (queue.BookingRecord, error) { return scanBooking(row) })
	if out == nil {
		out = []queue.BookingRecord{}
	}
	return out, err
}

// ListBookingSettings implements queue.BookingReader.
func (s *Store) ListBookingSettings(ctx context.Context) ([]protocol.BookingSettings, error) {
	rows, err := s.pool.Query(ctx, `SELECT data FROM booking_settings ORDER BY service_id`)
	if err != nil {
		return nil, unavailable(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (protocol.BookingSettings, error) {
		var data []byte
		var b protocol.BookingSettings
		if err := row.Scan(&data); err != nil {
			return b, err
		}
		return b, json.Unmarshal(data, &b)
	})
	if out == nil {
		out = []protocol.BookingSettings{}
	}
	return out, err
}

// Holidays implements queue.BookingReader.
func (s *Store) Holidays(ctx context.Context) ([]protocol.Holiday, error) {
	rows, err := s.pool.Query(ctx, `SELECT day, name FROM holidays ORDER BY day`)
	if err != nil {
		return nil, unavailable(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (protocol.Holiday, error) {
		var h protocol.Holiday
		return h, row.Scan(&h.Day, &h.Name)
	})
	if out == nil {
		out = []protocol.Holiday{}
	}
	return out, err
}

// SlotCounts implements queue.BookingReader.
func (s *Store) SlotCounts(ctx context.Context, serviceID, day string) (map[int64]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT slot_start, count(*) FROM bookings WHERE service_id = $1 AND day = $2 AND status IN ('booked', 'checked_in') GROUP BY slot_start`,
		serviceID, day)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var at time.Time
		var n int
		if err := rows.Scan(&at, &n); err != nil {
			return nil, err
		}
		out[at.Unix()] = n
	}
	return out, rows.Err()
}

// Bookings implements queue.BookingReader.
func (s *Store) Bookings(ctx context.Context, day string) ([]queue.BookingRecord, error) {
	out, err := queryBookings(ctx, s.pool, `SELECT `+bookingCols+` FROM bookings WHERE day = $1 ORDER BY slot_start, code`, day)
	if err != nil {
		return nil, unavailable(err)
	}
	return out, nil
}

// BookingStats implements queue.BookingReader.
func (s *Store) BookingStats(ctx context.Context, fromDay, toDay string) ([]protocol.BookingStat, error) {
	rows, err := s.pool.Query(ctx, `SELECT day, service_id, count(*),
		count(*) FILTER (WHERE status = 'checked_in'), count(*) FILTER (WHERE status = 'no_show'), count(*) FILTER (WHERE status = 'cancelled')
		FROM bookings WHERE day >= $1 AND day <= $2 GROUP BY day, service_id ORDER BY day, service_id`, fromDay, toDay)
	if err != nil {
		return nil, unavailable(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (protocol.BookingStat, error) {
		var st protocol.BookingStat
		return st, row.Scan(&st.Day, &st.ServiceID, &st.Booked, &st.CheckedIn, &st.NoShow, &st.Cancelled)
	})
	if out == nil {
		out = []protocol.BookingStat{}
	}
	return out, err
}
