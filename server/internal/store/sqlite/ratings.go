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
	_ queue.RatingTx     = (*wtx)(nil)
	_ queue.RatingReader = (*Store)(nil)
)

const (
	ratingCols = `ticket_id, day, code, service_id, counter_id, clerk_id, score, comment, via, at`
	qLastDone  = `SELECT ` + ticketCols + ` FROM tickets WHERE counter_id = ? AND status = 'done' ORDER BY finished_at DESC LIMIT 1`
)

// InsertRating implements queue.RatingTx; a second rating of a ticket is a conflict.
func (w *wtx) InsertRating(r protocol.Rating) error {
	_, err := w.tx.ExecContext(w.ctx, `INSERT INTO ratings (`+ratingCols+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		r.TicketID, r.Day, r.Code, r.ServiceID, r.CounterID, r.ClerkID, r.Score, r.Comment, r.Via, r.At.UnixMicro())
	if err != nil && (strings.Contains(err.Error(), "UNIQUE") || strings.Contains(err.Error(), "PRIMARY KEY")) {
		return queue.Errorf(protocol.CodeConflict, "ticket %s was already rated", r.Code)
	}
	if err != nil {
		return err
	}
	return w.insertReasons(r.TicketID, r.Reasons)
}

// Rated implements queue.RatingTx.
func (w *wtx) Rated(ticketID string) (bool, error) {
	return rated(w.tx.QueryRowContext(w.ctx, `SELECT 1 FROM ratings WHERE ticket_id = ?`, ticketID))
}

// LastDone implements queue.RatingTx.
func (w *wtx) LastDone(counterID string) (queue.TicketRecord, error) {
	return scanTicket(w.tx.QueryRowContext(w.ctx, qLastDone, counterID))
}

func rated(row *sql.Row) (bool, error) {
	var one int
	err := row.Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

// IsRated implements queue.RatingReader.
func (s *Store) IsRated(ctx context.Context, ticketID string) (bool, error) {
	ok, err := rated(s.rdb.QueryRowContext(ctx, `SELECT 1 FROM ratings WHERE ticket_id = ?`, ticketID))
	if err != nil {
		return false, unavailable(err)
	}
	return ok, nil
}

// LastDoneAt implements queue.RatingReader.
func (s *Store) LastDoneAt(ctx context.Context, counterID string) (queue.TicketRecord, error) {
	return scanTicket(s.rdb.QueryRowContext(ctx, qLastDone, counterID))
}

// Ratings implements queue.RatingReader: ratings given in [from, to), newest first.
func (s *Store) Ratings(ctx context.Context, from, to time.Time, limit int) ([]protocol.Rating, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+ratingCols+`,
		(SELECT json_group_array(reason) FROM rating_reasons rr WHERE rr.ticket_id = ratings.ticket_id)
		FROM ratings WHERE at >= ? AND at < ? ORDER BY at DESC LIMIT ?`,
		from.UnixMicro(), to.UnixMicro(), limit)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := []protocol.Rating{}
	for rows.Next() {
		var r protocol.Rating
		var at int64
		var reasons string
		if err := rows.Scan(&r.TicketID, &r.Day, &r.Code, &r.ServiceID, &r.CounterID, &r.ClerkID, &r.Score, &r.Comment, &r.Via, &at, &reasons); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(reasons), &r.Reasons); err != nil {
			return nil, err
		}
		if len(r.Reasons) == 0 {
			r.Reasons = nil
		}
		sortReasons(r.Reasons)
		r.At = time.UnixMicro(at)
		out = append(out, r)
	}
	return out, rows.Err()
}
