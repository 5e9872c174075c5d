package postgres

import (
	"context"
	"errors"
	"math"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// sweepBucketsEvery is how often an instance deletes full buckets.
const sweepBucketsEvery = time.Minute

// buckets are token buckets in a table (a centre's rate_buckets, migration
// 0015, or the province's) shared by every instance on the database.
type buckets struct {
	table string // schema-qualified where it is not the search path's
	// swept is when full buckets were last deleted here (Unix ns).
	swept atomic.Int64
}

// TakeToken takes one token from the centre's bucket key, shared by every
// instance on this database: the bucket holds at most burst tokens and
// gains perSecond a second. It answers whether a token was there and,
// when not, how long until one is. Only failed reads of the database are
// errors (the caller then limits on its own).
func (s *Store) TakeToken(ctx context.Context, key string, perSecond float64, burst int) (bool, time.Duration, error) {
	if s.closed() {
		return false, 0, ErrClosed
	}
	ok, wait, err := s.buckets.take(ctx, s.pool, key, perSecond, burst)
	return ok, wait, unavailable(err)
}

func (b *buckets) take(ctx context.Context, q querier, key string, perSecond float64, burst int) (bool, time.Duration, error) {
	if perSecond <= 0 || burst < 1 {
		return false, 0, errors.New("postgres: a bucket needs a positive rate and a burst of at least 1")
	}
	if err := b.sweep(ctx, q); err != nil {
		return false, 0, err
	}
	// The refill is computed in the statement, under the row's lock, from
	// one reading of the clock (excluded.at), so two instances taking at
	// once both count the other's take.
	var left float64
	err := q.QueryRow(ctx, `INSERT INTO `+b.table+` AS b (key, tokens, at, full_at)
		VALUES ($1, $3::float8 - 1, clock_timestamp(), clock_timestamp() + make_interval(secs => 1 / $2::float8))
		ON CONFLICT (key) DO UPDATE SET
			tokens = LEAST($3::float8, b.tokens + EXTRACT(EPOCH FROM excluded.at - b.at)::float8 * $2) - 1,
			at = excluded.at,
			full_at = excluded.at + make_interval(secs => ($3::float8 + 1 - LEAST($3::float8, b.tokens + EXTRACT(EPOCH FROM excluded.at - b.at)::float8 * $2)) / $2)
		WHERE LEAST($3::float8, b.tokens + EXTRACT(EPOCH FROM excluded.at - b.at)::float8 * $2) >= 1
		RETURNING tokens`, key, perSecond, burst).Scan(&left)
	if err == nil {
		return true, 0, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return false, 0, err
	}
	// Refused: the wait is what the missing part of a token takes.
	var have float64
	if err := q.QueryRow(ctx, `SELECT LEAST($2::float8, tokens + EXTRACT(EPOCH FROM clock_timestamp() - at)::float8 * $3)
		FROM `+b.table+` WHERE key = $1`, key, burst, perSecond).Scan(&have); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return false, time.Second, nil // swept meanwhile: try again soon
		}
		return false, 0, err
	}
	wait := time.Duration(math.Ceil((1 - have) / perSecond * float64(time.Second)))
	return false, max(wait, time.Millisecond), nil
}

// sweep deletes the buckets that are full again (as good as none), at
// most once a minute per instance.
func (b *buckets) sweep(ctx context.Context, q querier) error {
	now := time.Now()
	last := b.swept.Load()
	if last != 0 && now.Sub(time.Unix(0, last)) < sweepBucketsEvery {
		return nil
	}
	if !b.swept.CompareAndSwap(last, now.UnixNano()) {
		return nil // another request sweeps
	}
	_, err := q.Exec(ctx, `DELETE FROM `+b.table+` WHERE full_at < clock_timestamp()`)
	return err
}
