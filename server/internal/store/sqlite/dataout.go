package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

var (
	_ queue.DataTx     = (*wtx)(nil)
	_ queue.DataReader = (*Store)(nil)
)

// qualifiedTicketCols are ticketCols prefixed with the table alias t.
var qualifiedTicketCols = func() string {
	var out []string
	for _, c := range strings.Split(ticketCols, ",") {
		out = append(out, "t."+strings.TrimSpace(c))
	}
	return strings.Join(out, ", ")
}()

const (
	visitCols      = `ticket_id, day, service_id, counter_id, clerk_id, outcome, dossier_codes, note, finished_at`
	disruptionCols = `id, cause, counter_ids, note, started_at, ended_at`
)

// InsertVisit implements queue.DataTx.
func (w *wtx) InsertVisit(v queue.Visit) error {
	codes := v.DossierCodes
	if codes == nil {
		codes = []string{}
	}
	b, err := json.Marshal(codes)
	if err != nil {
		return err
	}
	_, err = w.tx.ExecContext(w.ctx, `INSERT INTO visits (`+visitCols+`, dossier_count) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		v.TicketID, v.Day, v.ServiceID, v.CounterID, v.ClerkID, nullable(v.Outcome), string(b), v.Note, v.FinishedAt.UnixMicro(), len(codes))
	if err != nil && (strings.Contains(err.Error(), "UNIQUE") || strings.Contains(err.Error(), "PRIMARY KEY")) {
		return queue.Errorf(protocol.CodeConflict, "the visit of ticket %s was already recorded", v.TicketID)
	}
	return err
}

func scanVisit(sc interface{ Scan(...any) error }) (queue.Visit, error) {
	var v queue.Visit
	var outcome sql.NullString
	var codes string
	var fin int64
	if err := sc.Scan(&v.TicketID, &v.Day, &v.ServiceID, &v.CounterID, &v.ClerkID, &outcome, &codes, &v.Note, &fin); err != nil {
		return v, notFound(err)
	}
	v.Outcome = outcome.String
	if err := json.Unmarshal([]byte(codes), &v.DossierCodes); err != nil {
		return v, err
	}
	if len(v.DossierCodes) == 0 {
		v.DossierCodes = nil
	}
	v.FinishedAt = time.UnixMicro(fin)
	return v, nil
}

// VisitOf implements queue.DataReader.
func (s *Store) VisitOf(ctx context.Context, ticketID string) (queue.Visit, error) {
	return scanVisit(s.rdb.QueryRowContext(ctx, `SELECT `+visitCols+` FROM visits WHERE ticket_id = ?`, ticketID))
}

// Visits implements queue.DataReader.
func (s *Store) Visits(ctx context.Context, from, to time.Time) ([]queue.Visit, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+visitCols+` FROM visits WHERE finished_at >= ? AND finished_at < ? ORDER BY finished_at, ticket_id`,
		from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := []queue.Visit{}
	for rows.Next() {
		v, err := scanVisit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// InsertDisruption implements queue.DataTx.
func (w *wtx) InsertDisruption(d protocol.Disruption, by string) error {
	ids := d.CounterIDs
	if ids == nil {
		ids = []string{}
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	_, err = w.tx.ExecContext(w.ctx, `INSERT INTO disruptions (`+disruptionCols+`, started_by) VALUES (?,?,?,?,?,?,?)`,
		d.ID, d.Cause, string(b), d.Note, d.StartedAt.UnixMicro(), micros(d.EndedAt), by)
	return err
}

func scanDisruption(sc interface{ Scan(...any) error }) (protocol.Disruption, error) {
	var d protocol.Disruption
	var ids string
	var start int64
	var end sql.NullInt64
	if err := sc.Scan(&d.ID, &d.Cause, &ids, &d.Note, &start, &end); err != nil {
		return d, notFound(err)
	}
	if err := json.Unmarshal([]byte(ids), &d.CounterIDs); err != nil {
		return d, err
	}
	if d.CounterIDs == nil {
		d.CounterIDs = []string{}
	}
	d.StartedAt = time.UnixMicro(start)
	d.EndedAt = fromMicros(end)
	return d, nil
}

func scanDisruptions(rows *sql.Rows) ([]protocol.Disruption, error) {
	defer rows.Close()
	out := []protocol.Disruption{}
	for rows.Next() {
		d, err := scanDisruption(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Disruption implements queue.DataTx.
func (w *wtx) Disruption(id string) (protocol.Disruption, error) {
	return scanDisruption(w.tx.QueryRowContext(w.ctx, `SELECT `+disruptionCols+` FROM disruptions WHERE id = ?`, id))
}

// EndDisruption implements queue.DataTx.
func (w *wtx) EndDisruption(id string, at time.Time, by string) error {
	res, err := w.tx.ExecContext(w.ctx, `UPDATE disruptions SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL`, at.UnixMicro(), by, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return queue.ErrNotFound
	}
	return nil
}

const qOpenDisruptions = `SELECT ` + disruptionCols + ` FROM disruptions WHERE ended_at IS NULL ORDER BY started_at, id`

// OpenDisruptions implements queue.DataTx.
func (w *wtx) OpenDisruptions() ([]protocol.Disruption, error) {
	rows, err := w.tx.QueryContext(w.ctx, qOpenDisruptions)
	if err != nil {
		return nil, err
	}
	return scanDisruptions(rows)
}

// Disruptions implements queue.DataReader.
func (s *Store) Disruptions(ctx context.Context, from, to time.Time) ([]protocol.Disruption, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+disruptionCols+` FROM disruptions
		WHERE started_at < ? AND (ended_at IS NULL OR ended_at > ?) ORDER BY started_at, id`, to.UnixMicro(), from.UnixMicro())
	if err != nil {
		return nil, unavailable(err)
	}
	return scanDisruptions(rows)
}

// insertReasons stores the reasons given with a rating.
func (w *wtx) insertReasons(ticketID string, reasons []string) error {
	for _, r := range reasons {
		if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO rating_reasons (ticket_id, reason) VALUES (?, ?)`, ticketID, r); err != nil {
			return err
		}
	}
	return nil
}

// sortReasons puts reasons in protocol.RatingReasons order.
func sortReasons(rs []string) {
	order := protocol.RatingReasons()
	slices.SortFunc(rs, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) })
}

// FinishedAt implements queue.DataReader.
func (s *Store) FinishedAt(ctx context.Context, counterID, day string, limit int) ([]queue.TicketRecord, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+qualifiedTicketCols+`, v.outcome, COALESCE(v.dossier_codes, '[]'), COALESCE(v.note, '')
		FROM tickets t LEFT JOIN visits v ON v.ticket_id = t.id
		WHERE t.counter_id = ? AND t.day = ? AND t.status IN ('done', 'no_show') AND t.finished_at IS NOT NULL
		ORDER BY t.finished_at DESC LIMIT ?`, counterID, day, limit)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := []queue.TicketRecord{}
	for rows.Next() {
		var outcome sql.NullString
		var codes, note string
		rec, err := scanTicket(scanPlus{rows, []any{&outcome, &codes, &note}})
		if err != nil {
			return nil, err
		}
		rec.Outcome, rec.Note = outcome.String, note
		if err := json.Unmarshal([]byte(codes), &rec.DossierCodes); err != nil {
			return nil, err
		}
		if len(rec.DossierCodes) == 0 {
			rec.DossierCodes = nil
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

// scanPlus scans a ticket row followed by more columns.
type scanPlus struct {
	rows  *sql.Rows
	extra []any
}

func (p scanPlus) Scan(dest ...any) error { return p.rows.Scan(append(dest, p.extra...)...) }
