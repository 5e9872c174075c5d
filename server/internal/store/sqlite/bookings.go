package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

var (
	_ queue.BookingTx     = (*wtx)(nil)
	_ queue.BookingReader = (*Store)(nil)
)

const bookingCols = `code, service_id, day, slot_start, window_from, window_to, status, phone_hash, created_at, created_by, checked_at, ticket_id, ticket_code`

func scanBooking(sc interface{ Scan(...any) error }) (queue.BookingRecord, error) {
	var b queue.BookingRecord
	var slot, from, to, created int64
	var checked sql.NullInt64
	if err := sc.Scan(&b.Code, &b.ServiceID, &b.Day, &slot, &from, &to, &b.Status, &b.PhoneHash, &created, &b.CreatedBy,
		&checked, &b.TicketID, &b.TicketCode); err != nil {
		return b, err
	}
	b.SlotStart, b.WindowFrom, b.WindowTo, b.CreatedAt = time.UnixMicro(slot), time.UnixMicro(from), time.UnixMicro(to), time.UnixMicro(created)
	if checked.Valid {
		t := time.UnixMicro(checked.Int64)
		b.CheckedAt = &t
	}
	if len(b.PhoneHash) == 0 {
		b.PhoneHash = nil
	}
	b.HasPhone = b.PhoneHash != nil
	return b, nil
}

// BookingSettings implements queue.BookingTx.
func (w *wtx) BookingSettings(serviceID string) (protocol.BookingSettings, error) {
	var s protocol.BookingSettings
	var data string
	if err := w.tx.QueryRowContext(w.ctx, `SELECT data FROM booking_settings WHERE service_id = ?`, serviceID).Scan(&data); err != nil {
		return s, notFound(err)
	}
	return s, json.Unmarshal([]byte(data), &s)
}

// PutBookingSettings implements queue.BookingTx.
func (w *wtx) PutBookingSettings(s protocol.BookingSettings) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = w.tx.ExecContext(w.ctx, `INSERT INTO booking_settings (service_id, data) VALUES (?, ?)
		ON CONFLICT (service_id) DO UPDATE SET data = excluded.data`, s.ServiceID, string(b))
	return err
}

// Holiday implements queue.BookingTx.
func (w *wtx) Holiday(day string) (bool, error) {
	var one int
	err := w.tx.QueryRowContext(w.ctx, `SELECT 1 FROM holidays WHERE day = ?`, day).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

// PutHolidays implements queue.BookingTx.
func (w *wtx) PutHolidays(hs []protocol.Holiday) error {
	if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM holidays`); err != nil {
		return err
	}
	for _, h := range hs {
		if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO holidays (day, name) VALUES (?, ?)`, h.Day, h.Name); err != nil {
			return err
		}
	}
	return nil
}

// InsertBooking implements queue.BookingTx.
func (w *wtx) InsertBooking(b queue.BookingRecord) error {
	_, err := w.tx.ExecContext(w.ctx, `INSERT INTO bookings (`+bookingCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		b.Code, b.ServiceID, b.Day, b.SlotStart.UnixMicro(), b.WindowFrom.UnixMicro(), b.WindowTo.UnixMicro(), b.Status,
		b.PhoneHash, b.CreatedAt.UnixMicro(), b.CreatedBy, micros(b.CheckedAt), b.TicketID, b.TicketCode)
	if err != nil && (strings.Contains(err.Error(), "UNIQUE") || strings.Contains(err.Error(), "PRIMARY KEY")) {
		return queue.Errorf(protocol.CodeConflict, "booking code %s is taken", b.Code)
	}
	return err
}

// UpdateBooking implements queue.BookingTx.
func (w *wtx) UpdateBooking(b queue.BookingRecord) error {
	res, err := w.tx.ExecContext(w.ctx, `UPDATE bookings SET status = ?, checked_at = ?, ticket_id = ?, ticket_code = ? WHERE code = ?`,
		b.Status, micros(b.CheckedAt), b.TicketID, b.TicketCode, b.Code)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return queue.ErrNotFound
	}
	return nil
}

// BookingByCode implements queue.BookingTx.
func (w *wtx) BookingByCode(code string) (queue.BookingRecord, error) {
	b, err := scanBooking(w.tx.QueryRowContext(w.ctx, `SELECT `+bookingCols+` FROM bookings WHERE code = ?`, code))
	if err != nil {
		return b, notFound(err)
	}
	return b, nil
}

// CountSlot implements queue.BookingTx.
func (w *wtx) CountSlot(serviceID string, start time.Time) (int, error) {
	var n int
	err := w.tx.QueryRowContext(w.ctx, `SELECT count(*) FROM bookings WHERE service_id = ? AND slot_start = ? AND status IN ('booked', 'checked_in')`,
		serviceID, start.UnixMicro()).Scan(&n)
	return n, err
}

// PhoneBooked implements queue.BookingTx.
func (w *wtx) PhoneBooked(serviceID, day string, phoneHash []byte) (bool, error) {
	var one int
	err := w.tx.QueryRowContext(w.ctx, `SELECT 1 FROM bookings WHERE service_id = ? AND day = ? AND phone_hash = ? AND status IN ('booked', 'checked_in') LIMIT 1`,
		serviceID, day, phoneHash).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

// DueBookings implements queue.BookingTx.
func (w *wtx) DueBookings(t time.Time) ([]queue.BookingRecord, error) {
	return queryBookings(w.ctx, w.tx, `SELECT `+bookingCols+` FROM bookings WHERE status = 'booked' AND window_to <= ? ORDER BY window_to, code`, t.UnixMicro())
}

func queryBookings(ctx context.Context, q querier, query string, args ...any) ([]queue.BookingRecord, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []queue.BookingRecord{}
	for rows.Next() {
		b, err := scanBooking(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// ListBookingSettings implements queue.BookingReader.
func (s *Store) ListBookingSettings(ctx context.Context) ([]protocol.BookingSettings, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT data FROM booking_settings ORDER BY service_id`)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := []protocol.BookingSettings{}
	for rows.Next() {
		var data string
		var b protocol.BookingSettings
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &b); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Holidays implements queue.BookingReader.
func (s *Store) Holidays(ctx context.Context) ([]protocol.Holiday, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT day, name FROM holidays ORDER BY day`)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := []protocol.Holiday{}
	for rows.Next() {
		var h protocol.Holiday
		if err := rows.Scan(&h.Day, &h.Name); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// SlotCounts implements queue.BookingReader.
func (s *Store) SlotCounts(ctx context.Context, serviceID, day string) (map[int64]int, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT slot_start, count(*) FROM bookings WHERE service_id = ? AND day = ? AND status IN ('booked', 'checked_in') GROUP BY slot_start`,
		serviceID, day)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var at int64
		var n int
		if err := rows.Scan(&at, &n); err != nil {
			return nil, err
		}
		out[time.UnixMicro(at).Unix()] = n
	}
	return out, rows.Err()
}

// Bookings implements queue.BookingReader.
func (s *Store) Bookings(ctx context.Context, day string) ([]queue.BookingRecord, error) {
	out, err := queryBookings(ctx, s.rdb, `SELECT `+bookingCols+` FROM bookings WHERE day = ? ORDER BY slot_start, code`, day)
	if err != nil {
		return nil, unavailable(err)
	}
	return out, nil
}

// BookingStats implements queue.BookingReader.
func (s *Store) BookingStats(ctx context.Context, fromDay, toDay string) ([]protocol.BookingStat, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT day, service_id, count(*),
		sum(status = 'checked_in'), sum(status = 'no_show'), sum(status = 'cancelled')
		FROM bookings WHERE day >= ? AND day <= ? GROUP BY day, service_id ORDER BY day, service_id`, fromDay, toDay)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := []protocol.BookingStat{}
	for rows.Next() {
		var st protocol.BookingStat
		if err := rows.Scan(&st.Day, &st.ServiceID, &st.Booked, &st.CheckedIn, &st.NoShow, &st.Cancelled); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}
