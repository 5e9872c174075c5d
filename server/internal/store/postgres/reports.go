package postgres

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	rows, err := r.s.pool.Query(ctx, `SELECT g.day, d.data FROM report_gen g
		LEFT JOIN report_days d ON d.day = g.day AND d.dim = $1 AND d.gen = g.gen
		WHERE g.day BETWEEN $2 AND $3 ORDER BY g.day`, string(dim), from, to)
	if err != nil {
		return nil, unavailable(err)
	}
	var missing []string
	var day string
	var data []byte
	_, err = pgx.ForEachRow(rows, []any{&day, &data}, func() error {
		if data == nil || day >= r.today {
			missing = append(missing, day)
			return nil
		}
		m, err := decodeAccs(data)
		if err != nil {
			return err
		}
		out[day] = m
		return nil
	})
	if err != nil {
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
		return nil, fmt.Errorf("postgres: bad report summary: %w", err)
	}
	return m, nil
}

// summarize folds one day's tickets into its summaries, reading the day's
// generation in the same snapshot.
func (s *Store) summarize(ctx context.Context, day string, loc *time.Location) (report.Day, int64, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, unavailable(err)
	}
	defer tx.Rollback(ctx)
	var gen int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE((SELECT gen FROM report_gen WHERE day = $1), 0)`, day).Scan(&gen); err != nil {
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
	rows, err := q.Query(ctx, `SELECT t.issue_service_id, t.status, t.from_service_id <> '', t.issued_at,
		t.first_called_at, t.service_started_at, t.finished_at, t.first_counter_id, t.first_clerk_id, COALESCE(r.score, ''),
		COALESCE(v.outcome, ''), COALESCE(v.dossier_count, 0),
		CASE WHEN r.ticket_id IS NULL THEN ARRAY[]::text[] ELSE ARRAY(SELECT reason FROM rating_reasons rr WHERE rr.ticket_id = t.id) END
		FROM tickets t LEFT JOIN ratings r ON r.ticket_id = t.id LEFT JOIN visits v ON v.ticket_id = t.id WHERE t.day = $1
		ORDER BY t.issued_at, t.id`, day)
	if err != nil {
		return nil, unavailable(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (report.Fact, error) {
		var f report.Fact
		var issued time.Time
		var first, started, finished *time.Time
		var reasons []string
		if err := r.Scan(&f.ServiceID, &f.Status, &f.Transferred, &issued, &first, &started, &finished,
			&f.CounterID, &f.ClerkID, &f.Rating, &f.Outcome, &f.Dossiers, &reasons); err != nil {
			return f, err
		}
		if len(reasons) > 0 {
			f.Reasons = reasons
		}
		f.Day = day
		f.Hour = issued.In(loc).Hour()
		f.Target = targets[f.ServiceID]
		f.Wait, f.Service = -1, -1
		if first != nil {
			f.Wait = max(first.Sub(issued), 0)
		}
		if f.Status == protocol.StatusDone && started != nil && finished != nil {
			f.Service = max(finished.Sub(*started), 0)
		}
		return f, nil
	})
	return out, unavailable(err)
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
		// FOR SHARE: a change to the day (which bumps the row) waits for
		// this transaction, or this one sees its new generation.
		err := w.tx.QueryRow(w.ctx, `SELECT gen FROM report_gen WHERE day = $1 FOR SHARE`, day).Scan(&cur)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if cur != gen {
			return nil
		}
		for dim, b := range blobs {
			if _, err := w.tx.Exec(w.ctx, `INSERT INTO report_days (day, dim, gen, data) VALUES ($1, $2, $3, $4)
				ON CONFLICT (day, dim) DO UPDATE SET gen = excluded.gen, data = excluded.data`, day, string(dim), gen, b); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// WarmReports computes and caches the summaries of every past day that has
// none, so the first report of a long range is as fast as the next ones.
func (s *Store) WarmReports(ctx context.Context, loc *time.Location, today string) (int, error) {
	rows, err := s.pool.Query(ctx, `SELECT g.day FROM report_gen g WHERE g.day < $1 AND NOT EXISTS
		(SELECT 1 FROM report_days d WHERE d.day = g.day AND d.dim = 'all' AND d.gen = g.gen) ORDER BY g.day DESC`, today)
	if err != nil {
		return 0, unavailable(err)
	}
	todo, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, unavailable(err)
	}
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
	rows, err := s.pool.Query(ctx, `SELECT id, username, name FROM users`)
	if err != nil {
		return nil, unavailable(err)
	}
	out := map[string]report.User{}
	var id string
	var u report.User
	_, err = pgx.ForEachRow(rows, []any{&id, &u.Username, &u.Name}, func() error { out[id] = u; return nil })
	return out, unavailable(err)
}

// TicketIDByCode finds the ticket of day with code (codes are unique per day).
func (s *Store) TicketIDByCode(ctx context.Context, day, code string) (string, error) {
	var id string
	err := s.pool.QueryRow(ctx, `SELECT id FROM tickets WHERE day = $1 AND code = $2`, day, code).Scan(&id)
	return id, unavailableOrNotFound(err)
}

// Waitings lists the waiting time of every ticket of the days fromDay..toDay
// (YYYY-MM-DD, inclusive) issued before end that was still waiting after
// start: until its first call, or, never called, until it was cancelled or
// finished.
func (s *Store) Waitings(ctx context.Context, fromDay, toDay string, start, end time.Time) ([]report.Waiting, error) {
	rows, err := s.pool.Query(ctx, `SELECT issue_service_id, issued_at, COALESCE(first_called_at, finished_at)
		FROM tickets WHERE day BETWEEN $1 AND $2 AND issued_at < $3
		AND (COALESCE(first_called_at, finished_at) IS NULL OR COALESCE(first_called_at, finished_at) > $4)`,
		fromDay, toDay, end, start)
	if err != nil {
		return nil, unavailable(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (report.Waiting, error) {
		var w report.Waiting
		var until *time.Time
		err := r.Scan(&w.ServiceID, &w.Issued, &until)
		if until != nil {
			w.Until = *until
		}
		return w, err
	})
	return out, unavailable(err)
}

// WaitSamples lists every called ticket of the days fromDay..toDay
// (inclusive): the field it was issued for, when, and its wait until its
// first call.
func (s *Store) WaitSamples(ctx context.Context, fromDay, toDay string) ([]report.WaitSample, error) {
	rows, err := s.pool.Query(ctx, `SELECT issue_service_id, issued_at, first_called_at
		FROM tickets WHERE day BETWEEN $1 AND $2 AND first_called_at IS NOT NULL`, fromDay, toDay)
	if err != nil {
		return nil, unavailable(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (report.WaitSample, error) {
		var w report.WaitSample
		var first time.Time
		err := r.Scan(&w.ServiceID, &w.Issued, &first)
		w.Wait = max(first.Sub(w.Issued), 0)
		return w, err
	})
	return out, unavailable(err)
}
