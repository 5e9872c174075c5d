package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/gob"
	"fmt"
	"strings"
	"time"

	"github.com/civiq/civiq/server/internal/report"
	"github.com/civiq/civiq/server/internal/store"
	"github.com/civiq/civiq/server/protocol"
)

// ReportSource is the store as a report.Source for a centre in loc; days
// from today on are computed from the tickets on every report and never
// cached (they still change).
func (s *Store) ReportSource(loc *time.Location, today string) report.Source {
	return reportSource{s: s, loc: loc, today: today}
}

type reportSource struct {
	s     *Store
	loc   *time.Location
	today string
}

// ReportDays implements report.Source: cached summaries where they are
// current, the others computed from the tickets (and cached for past days).
func (r reportSource) ReportDays(ctx context.Context, from, to string, dim report.Dim) (map[string]map[string]*report.Acc, error) {
	out := map[string]map[string]*report.Acc{}
	rows, err := r.s.rdb.QueryContext(ctx, `SELECT g.day, d.data FROM report_gen g
		LEFT JOIN report_days d ON d.day = g.day AND d.dim = ? AND d.gen = g.gen
		WHERE g.day BETWEEN ? AND ? ORDER BY g.day`, string(dim), from, to)
	if err != nil {
		return nil, unavailable(err)
	}
	var missing []string
	for rows.Next() {
		var day string
		var data []byte
		if err := rows.Scan(&day, &data); err != nil {
			rows.Close()
			return nil, unavailable(err)
		}
		if data == nil || day >= r.today {
			missing = append(missing, day)
			continue
		}
		m, err := decodeAccs(data)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out[day] = m
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, unavailable(err)
	}
	for _, day := range missing {
		sum, gen, err := r.s.summarize(ctx, day, r.loc)
		if err != nil {
			return nil, err
		}
		out[day] = sum[dim]
		if day < r.today {
			if err := r.s.storeSummary(ctx, day, gen, sum); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func decodeAccs(b []byte) (map[string]*report.Acc, error) {
	var m map[string]*report.Acc
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&m); err != nil {
		return nil, fmt.Errorf("sqlite: bad report summary: %w", err)
	}
	return m, nil
}

// summarize folds one day's tickets into its summaries, reading the day's
// generation in the same snapshot.
func (s *Store) summarize(ctx context.Context, day string, loc *time.Location) (report.Day, int64, error) {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, unavailable(err)
	}
	defer tx.Rollback()
	var gen int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT gen FROM report_gen WHERE day = ?), 0)`, day).Scan(&gen); err != nil {
		return nil, 0, unavailable(err)
	}
	targets := map[string]time.Duration{}
	svcs, err := queryServices(ctx, tx)
	if err != nil {
		return nil, 0, unavailable(err)
	}
	for _, sv := range svcs {
		targets[sv.ID] = time.Duration(sv.TargetMinutes) * time.Minute
	}
	facts, err := dayFacts(ctx, tx, day, loc, targets)
	if err != nil {
		return nil, 0, err
	}
	return report.Summarize(facts), gen, nil
}

// dayFacts reads a day's tickets as report facts.
func dayFacts(ctx context.Context, q querier, day string, loc *time.Location, targets map[string]time.Duration) ([]report.Fact, error) {
	rows, err := q.QueryContext(ctx, `SELECT t.issue_service_id, t.status, t.from_service_id <> '', t.issued_at,
		t.first_called_at, t.service_started_at, t.finished_at, t.first_counter_id, t.first_clerk_id, COALESCE(r.score, ''),
		COALESCE(v.outcome, ''), COALESCE(v.dossier_count, 0),
		CASE WHEN r.ticket_id IS NULL THEN '' ELSE COALESCE((SELECT group_concat(reason) FROM rating_reasons rr WHERE rr.ticket_id = t.id), '') END
		FROM tickets t LEFT JOIN ratings r ON r.ticket_id = t.id LEFT JOIN visits v ON v.ticket_id = t.id WHERE t.day = ?`, day)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []report.Fact
	for rows.Next() {
		var f report.Fact
		var issued int64
		var first, started, finished sql.NullInt64
		var reasons string
		if err := rows.Scan(&f.ServiceID, &f.Status, &f.Transferred, &issued, &first, &started, &finished,
			&f.CounterID, &f.ClerkID, &f.Rating, &f.Outcome, &f.Dossiers, &reasons); err != nil {
			return nil, unavailable(err)
		}
		if reasons != "" {
			f.Reasons = strings.Split(reasons, ",")
		}
		f.Day = day
		f.Hour = time.UnixMicro(issued).In(loc).Hour()
		f.Target = targets[f.ServiceID]
		f.Wait, f.Service = -1, -1
		if first.Valid {
			f.Wait = max(time.Duration(first.Int64-issued)*time.Microsecond, 0)
		}
		if f.Status == protocol.StatusDone && started.Valid && finished.Valid {
			f.Service = max(time.Duration(finished.Int64-started.Int64)*time.Microsecond, 0)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// storeSummary caches a day's summaries unless the day changed since gen
// was read (a late ticket or rating): then the next report computes again.
func (s *Store) storeSummary(ctx context.Context, day string, gen int64, sum report.Day) error {
	blobs := map[report.Dim][]byte{}
	for _, dim := range report.Dims {
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(sum[dim]); err != nil {
			return err
		}
		blobs[dim] = buf.Bytes()
	}
	_, err := s.update(ctx, func(w *wtx) error {
		var cur int64
		if err := w.tx.QueryRowContext(w.ctx, `SELECT COALESCE((SELECT gen FROM report_gen WHERE day = ?), 0)`, day).Scan(&cur); err != nil {
			return err
		}
		if cur != gen {
			return nil
		}
		for dim, b := range blobs {
			if _, err := w.tx.ExecContext(w.ctx, `INSERT OR REPLACE INTO report_days (day, dim, gen, data) VALUES (?, ?, ?, ?)`, day, string(dim), gen, b); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// WarmReports computes and caches the summaries of every past day that has
// none (after a migration, or after a field's target changed), so the
// first report of a long range is as fast as the next ones.
func (s *Store) WarmReports(ctx context.Context, loc *time.Location, today string) (int, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT g.day FROM report_gen g WHERE g.day < ? AND NOT EXISTS
		(SELECT 1 FROM report_days d WHERE d.day = g.day AND d.dim = 'all' AND d.gen = g.gen) ORDER BY g.day DESC`, today)
	if err != nil {
		return 0, unavailable(err)
	}
	var todo []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return 0, err
		}
		todo = append(todo, d)
	}
	rows.Close()
	return store.WarmDays(ctx, todo, func(ctx context.Context, day string) error {
		sum, gen, err := s.summarize(ctx, day, loc)
		if err != nil {
			return err
		}
		return s.storeSummary(ctx, day, gen, sum)
	})
}

// ReportDisruptions lists the disruptions overlapping [from, to) as the
// reports count them; one still open lasts until now.
func (s *Store) ReportDisruptions(ctx context.Context, from, to, now time.Time) ([]report.Disruption, error) {
	ds, err := s.Disruptions(ctx, from, to)
	if err != nil {
		return nil, err
	}
	return store.ReportDisruptions(ds, now), nil
}

// UserNames maps user ids to usernames and names, for the clerk grouping.
func (s *Store) UserNames(ctx context.Context) (map[string]report.User, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, username, name FROM users`)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := map[string]report.User{}
	for rows.Next() {
		var id string
		var u report.User
		if err := rows.Scan(&id, &u.Username, &u.Name); err != nil {
			return nil, err
		}
		out[id] = u
	}
	return out, rows.Err()
}

// TicketIDByCode finds the ticket of day with code (codes are unique per day).
func (s *Store) TicketIDByCode(ctx context.Context, day, code string) (string, error) {
	var id string
	err := s.rdb.QueryRowContext(ctx, `SELECT id FROM tickets WHERE day = ? AND code = ?`, day, code).Scan(&id)
	return id, notFound(err)
}

// Waitings lists the waiting time of every ticket of the days fromDay..toDay
// (YYYY-MM-DD, inclusive) issued before end that was still waiting after
// start: until its first call, or, never called, until it was cancelled or
// finished (a ticket is cancelled at its day's end at the latest).
func (s *Store) Waitings(ctx context.Context, fromDay, toDay string, start, end time.Time) ([]report.Waiting, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT issue_service_id, issued_at, COALESCE(first_called_at, finished_at)
		FROM tickets WHERE day BETWEEN ? AND ? AND issued_at < ?
		AND (COALESCE(first_called_at, finished_at) IS NULL OR COALESCE(first_called_at, finished_at) > ?)`,
		fromDay, toDay, end.UnixMicro(), start.UnixMicro())
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []report.Waiting
	for rows.Next() {
		var w report.Waiting
		var issued int64
		var until sql.NullInt64
		if err := rows.Scan(&w.ServiceID, &issued, &until); err != nil {
			return nil, unavailable(err)
		}
		w.Issued = time.UnixMicro(issued)
		if until.Valid {
			w.Until = time.UnixMicro(until.Int64)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// WaitSamples lists every called ticket of the days fromDay..toDay
// (inclusive): the field it was issued for, when, and its wait until its
// first call.
func (s *Store) WaitSamples(ctx context.Context, fromDay, toDay string) ([]report.WaitSample, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT issue_service_id, issued_at, first_called_at
		FROM tickets WHERE day BETWEEN ? AND ? AND first_called_at IS NOT NULL`, fromDay, toDay)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []report.WaitSample
	for rows.Next() {
		var w report.WaitSample
		var issued, first int64
		if err := rows.Scan(&w.ServiceID, &issued, &first); err != nil {
			return nil, unavailable(err)
		}
		w.Issued = time.UnixMicro(issued)
		w.Wait = max(time.Duration(first-issued)*time.Microsecond, 0)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(err)
	}
	return out, nil
}
