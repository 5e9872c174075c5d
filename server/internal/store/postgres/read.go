package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

var (
	_ queue.LeaseReader  = (*Store)(nil)
	_ queue.RatingTx     = (*wtx)(nil)
	_ queue.RatingReader = (*Store)(nil)
	_ queue.DataTx       = (*wtx)(nil)
	_ queue.DataReader   = (*Store)(nil)
)

// Load implements queue.Store: one REPEATABLE READ snapshot, so the tables
// and the seq agree. The events after that seq are the sink's from now on.
func (s *Store) Load(ctx context.Context, day string) (*queue.Loaded, error) {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, unavailable(err)
	}
	defer tx.Rollback(ctx)
	l := &queue.Loaded{Epoch: s.epoch, Secret: s.secret, IssuedToday: map[string]int{}, ServedToday: map[string]int{},
		ServiceSamples: map[string][]time.Duration{}}
	if err := tx.QueryRow(ctx, `SELECT last FROM event_seq WHERE id = 1`).Scan(&l.Seq); err != nil {
		return nil, fmt.Errorf("postgres: read seq: %w", err)
	}
	if l.Centre, err = readCentre(ctx, tx); err != nil {
		return nil, err
	}
	if l.Services, err = queryServices(ctx, tx); err != nil {
		return nil, err
	}
	if l.Counters, err = queryCounters(ctx, tx); err != nil {
		return nil, err
	}
	for _, c := range l.Counters {
		if c.ServedDay == day {
			l.ServedToday[c.ID] = c.ServedToday
		}
	}
	if l.Open, err = collectTickets(tx.Query(ctx, `SELECT `+ticketCols+` FROM tickets WHERE status IN ('waiting', 'called') ORDER BY issued_at, id`)); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT service_id, last FROM number_seq WHERE day = $1`, day)
	if err != nil {
		return nil, err
	}
	var id string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&id, &n}, func() error { l.IssuedToday[id] = n; return nil }); err != nil {
		return nil, err
	}
	rows, err = tx.Query(ctx, `SELECT data::text FROM events WHERE type IN ('ticket.called', 'ticket.recalled') ORDER BY seq DESC LIMIT $1`, protocol.RecentCalls)
	if err != nil {
		return nil, err
	}
	var data string
	if _, err := pgx.ForEachRow(rows, []any{&data}, func() error {
		var c protocol.Call
		if json.Unmarshal([]byte(data), &c) == nil {
			l.Recent = append(l.Recent, c)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	// Recent service durations per field, newest first in the query, stored oldest first.
	rows, err = tx.Query(ctx, `SELECT service_id, called_at, finished_at FROM tickets
		WHERE finished_at IS NOT NULL AND status = 'done' AND called_at IS NOT NULL ORDER BY finished_at DESC LIMIT 2000`)
	if err != nil {
		return nil, err
	}
	var a, b time.Time
	if _, err := pgx.ForEachRow(rows, []any{&id, &a, &b}, func() error {
		d := b.Sub(a)
		if d > 0 && d < 4*time.Hour && len(l.ServiceSamples[id]) < 30 {
			l.ServiceSamples[id] = append([]time.Duration{d}, l.ServiceSamples[id]...)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if l.Disruptions, err = collectDisruptions(tx.Query(ctx, qOpenDisruptions)); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	s.feed.last = l.Seq
	return l, nil
}

// Events implements queue.Store.
func (s *Store) Events(ctx context.Context, after int64, limit int) ([]protocol.Event, error) {
	evs, err := s.readEvents(ctx, after, 0, limit)
	if err != nil {
		return nil, unavailable(err)
	}
	return evs, nil
}

// FirstSeq implements queue.Store.
func (s *Store) FirstSeq(ctx context.Context) (int64, error) {
	var seq *int64
	if err := s.pool.QueryRow(ctx, `SELECT min(seq) FROM events`).Scan(&seq); err != nil {
		return 0, unavailable(err)
	}
	if seq == nil {
		return 0, nil
	}
	return *seq, nil
}

// TicketByTokenHash implements queue.TicketReader.
func (s *Store) TicketByTokenHash(ctx context.Context, h []byte) (queue.TicketRecord, error) {
	return scanTicket(s.pool.QueryRow(ctx, `SELECT `+ticketCols+` FROM tickets WHERE token_hash = $1`, h))
}

// PruneEvents deletes events older than before, keeping at least keep of
// the newest.
func (s *Store) PruneEvents(ctx context.Context, before time.Time, keep int) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM events WHERE at < $1 AND seq <= (SELECT last FROM event_seq WHERE id = 1) - $2`, before, keep)
	if err != nil {
		return 0, unavailable(err)
	}
	return tag.RowsAffected(), nil
}

// LeasesFrom implements queue.LeaseReader.
func (s *Store) LeasesFrom(ctx context.Context, day string) ([]queue.LeaseRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+leaseCols+` FROM leases WHERE day >= $1`, day)
	if err != nil {
		return nil, unavailable(err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (queue.LeaseRecord, error) { return scanLease(r) })
}

// LoadCalibration implements queue.CalibrationStore.
func (s *Store) LoadCalibration(ctx context.Context) ([]byte, int64, error) {
	var data string
	var seq int64
	err := s.pool.QueryRow(ctx, `SELECT data::text, seq FROM calibration WHERE id = 1`).Scan(&data, &seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, unavailable(err)
	}
	return []byte(data), seq, nil
}

// SaveCalibration implements queue.CalibrationStore.
func (s *Store) SaveCalibration(ctx context.Context, data []byte, seq int64, at int64) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO calibration (id, seq, at, data) VALUES (1, $1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, at = excluded.at, data = excluded.data`, seq, at, string(data))
	return storageErr(err)
}

// Ratings.

const (
	ratingCols = `ticket_id, day, code, service_id, counter_id, clerk_id, score, comment, via, at`
	qLastDone  = `SELECT ` + ticketCols + ` FROM tickets WHERE counter_id = $1 AND status = 'done' ORDER BY finished_at DESC LIMIT 1`
)

// InsertRating implements queue.RatingTx; a second rating of a ticket is a conflict.
func (w *wtx) InsertRating(r protocol.Rating) error {
	_, err := w.tx.Exec(w.ctx, `INSERT INTO ratings (`+ratingCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
		r.TicketID, r.Day, r.Code, r.ServiceID, r.CounterID, r.ClerkID, r.Score, r.Comment, r.Via, r.At)
	if isUnique(err) {
		return queue.Errorf(protocol.CodeConflict, "ticket %s was already rated", r.Code)
	}
	if err != nil {
		return err
	}
	for _, reason := range r.Reasons {
		if _, err := w.tx.Exec(w.ctx, `INSERT INTO rating_reasons (ticket_id, reason) VALUES ($1, $2)`, r.TicketID, reason); err != nil {
			return err
		}
	}
	return nil
}

func rated(q querier, ctx context.Context, ticketID string) (bool, error) {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM ratings WHERE ticket_id = $1`, ticketID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Rated implements queue.RatingTx.
func (w *wtx) Rated(ticketID string) (bool, error) { return rated(w.tx, w.ctx, ticketID) }

// LastDone implements queue.RatingTx.
func (w *wtx) LastDone(counterID string) (queue.TicketRecord, error) {
	return scanTicket(w.tx.QueryRow(w.ctx, qLastDone, counterID))
}

// IsRated implements queue.RatingReader.
func (s *Store) IsRated(ctx context.Context, ticketID string) (bool, error) {
	ok, err := rated(s.pool, ctx, ticketID)
	if err != nil {
		return false, unavailable(err)
	}
	return ok, nil
}

// LastDoneAt implements queue.RatingReader.
func (s *Store) LastDoneAt(ctx context.Context, counterID string) (queue.TicketRecord, error) {
	return scanTicket(s.pool.QueryRow(ctx, qLastDone, counterID))
}

// Ratings implements queue.RatingReader: ratings given in [from, to), newest first.
func (s *Store) Ratings(ctx context.Context, from, to time.Time, limit int) ([]protocol.Rating, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+ratingCols+`,
		ARRAY(SELECT reason FROM rating_reasons rr WHERE rr.ticket_id = ratings.ticket_id)
		FROM ratings WHERE at >= $1 AND at < $2 ORDER BY at DESC LIMIT $3`, from, to, limit)
	if err != nil {
		return nil, unavailable(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (protocol.Rating, error) {
		var r protocol.Rating
		err := row.Scan(&r.TicketID, &r.Day, &r.Code, &r.ServiceID, &r.CounterID, &r.ClerkID, &r.Score, &r.Comment, &r.Via, &r.At, &r.Reasons)
		if len(r.Reasons) == 0 {
			r.Reasons = nil
		}
		sortReasons(r.Reasons)
		return r, err
	})
	if out == nil {
		out = []protocol.Rating{}
	}
	return out, err
}

// sortReasons puts reasons in protocol.RatingReasons order.
func sortReasons(rs []string) {
	order := protocol.RatingReasons()
	slices.SortFunc(rs, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) })
}

// Visits and disruptions.

const (
	visitCols        = `ticket_id, day, service_id, counter_id, clerk_id, outcome, dossier_codes, note, finished_at`
	disruptionCols   = `id, cause, counter_ids, note, started_at, ended_at`
	qOpenDisruptions = `SELECT ` + disruptionCols + ` FROM disruptions WHERE ended_at IS NULL ORDER BY started_at, id`
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
	_, err = w.tx.Exec(w.ctx, `INSERT INTO visits (`+visitCols+`, dossier_count) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
		v.TicketID, v.Day, v.ServiceID, v.CounterID, v.ClerkID, nullable(v.Outcome), string(b), v.Note, v.FinishedAt, len(codes))
	if isUnique(err) {
		return queue.Errorf(protocol.CodeConflict, "the visit of ticket %s was already recorded", v.TicketID)
	}
	return err
}

func scanVisit(sc pgx.Row) (queue.Visit, error) {
	var v queue.Visit
	var outcome *string
	var codes []byte
	if err := sc.Scan(&v.TicketID, &v.Day, &v.ServiceID, &v.CounterID, &v.ClerkID, &outcome, &codes, &v.Note, &v.FinishedAt); err != nil {
		return v, notFound(err)
	}
	if outcome != nil {
		v.Outcome = *outcome
	}
	if err := json.Unmarshal(codes, &v.DossierCodes); err != nil {
		return v, err
	}
	if len(v.DossierCodes) == 0 {
		v.DossierCodes = nil
	}
	return v, nil
}

// VisitOf implements queue.DataReader.
func (s *Store) VisitOf(ctx context.Context, ticketID string) (queue.Visit, error) {
	return scanVisit(s.pool.QueryRow(ctx, `SELECT `+visitCols+` FROM visits WHERE ticket_id = $1`, ticketID))
}

// Visits implements queue.DataReader.
func (s *Store) Visits(ctx context.Context, from, to time.Time) ([]queue.Visit, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+visitCols+` FROM visits WHERE finished_at >= $1 AND finished_at < $2 ORDER BY finished_at, ticket_id`, from, to)
	if err != nil {
		return nil, unavailable(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (queue.Visit, error) { return scanVisit(r) })
	if out == nil {
		out = []queue.Visit{}
	}
	return out, err
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
	_, err = w.tx.Exec(w.ctx, `INSERT INTO disruptions (`+disruptionCols+`, started_by) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
		d.ID, d.Cause, string(b), d.Note, d.StartedAt, d.EndedAt, by)
	return err
}

func scanDisruption(sc pgx.Row) (protocol.Disruption, error) {
	var d protocol.Disruption
	var ids []byte
	if err := sc.Scan(&d.ID, &d.Cause, &ids, &d.Note, &d.StartedAt, &d.EndedAt); err != nil {
		return d, notFound(err)
	}
	if err := json.Unmarshal(ids, &d.CounterIDs); err != nil {
		return d, err
	}
	if d.CounterIDs == nil {
		d.CounterIDs = []string{}
	}
	return d, nil
}

func collectDisruptions(rows pgx.Rows, err error) ([]protocol.Disruption, error) {
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (protocol.Disruption, error) { return scanDisruption(r) })
	if out == nil {
		out = []protocol.Disruption{}
	}
	return out, err
}

// Disruption implements queue.DataTx.
func (w *wtx) Disruption(id string) (protocol.Disruption, error) {
	return scanDisruption(w.tx.QueryRow(w.ctx, `SELECT `+disruptionCols+` FROM disruptions WHERE id = $1 FOR UPDATE`, id))
}

// EndDisruption implements queue.DataTx.
func (w *wtx) EndDisruption(id string, at time.Time, by string) error {
	tag, err := w.tx.Exec(w.ctx, `UPDATE disruptions SET ended_at = $1, ended_by = $2 WHERE id = $3 AND ended_at IS NULL`, at, by, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return queue.ErrNotFound
	}
	return nil
}

// OpenDisruptions implements queue.DataTx.
func (w *wtx) OpenDisruptions() ([]protocol.Disruption, error) {
	return collectDisruptions(w.tx.Query(w.ctx, qOpenDisruptions))
}

// Disruptions implements queue.DataReader.
func (s *Store) Disruptions(ctx context.Context, from, to time.Time) ([]protocol.Disruption, error) {
	out, err := collectDisruptions(s.pool.Query(ctx, `SELECT `+disruptionCols+` FROM disruptions
		WHERE started_at < $1 AND (ended_at IS NULL OR ended_at > $2) ORDER BY started_at, id`, to, from))
	return out, storageErr(err)
}

// FinishedAt implements queue.DataReader.
func (s *Store) FinishedAt(ctx context.Context, counterID, day string, limit int) ([]queue.TicketRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+qualified("t", ticketCols)+`, v.outcome, COALESCE(v.dossier_codes, '[]'), COALESCE(v.note, '')
		FROM tickets t LEFT JOIN visits v ON v.ticket_id = t.id
		WHERE t.counter_id = $1 AND t.day = $2 AND t.status IN ('done', 'no_show') AND t.finished_at IS NOT NULL
		ORDER BY t.finished_at DESC LIMIT $3`, counterID, day, limit)
	if err != nil {
		return nil, unavailable(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (queue.TicketRecord, error) {
		var outcome *string
		var codes []byte
		var note string
		rec, err := scanTicket(r, &outcome, &codes, &note)
		if err != nil {
			return rec, err
		}
		if outcome != nil {
			rec.Outcome = *outcome
		}
		rec.Note = note
		if err := json.Unmarshal(codes, &rec.DossierCodes); err != nil {
			return rec, err
		}
		if len(rec.DossierCodes) == 0 {
			rec.DossierCodes = nil
		}
		return rec, nil
	})
	if out == nil {
		out = []queue.TicketRecord{}
	}
	return out, err
}
