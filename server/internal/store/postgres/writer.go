package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/store"
	"github.com/civiq/civiq/server/protocol"
)

// Group commit. PostgreSQL acknowledges a commit after its WAL is flushed,
// and the event counter row (qAppendEvents) orders the committing
// transactions, so one transaction per update would cost one flush each,
// one after the other. Instead one writer goroutine per store takes every
// pending update and runs each in its own savepoint of one transaction (a
// failing update rolls back alone), allocates the seqs of all their events
// and commits once: one flush acknowledges the whole batch.
//
// Batches of two instances must not deadlock on each other: only the
// batch's first update may wait for a lock another transaction holds; the
// others run with lock_timeout 1 ms and, when they would wait, are rolled
// back to their savepoint and go first in the next batch (where they may
// wait, holding no other lock of the batch). So a batch waits only as a
// single-update transaction would.

type op struct {
	ctx     context.Context
	fn      func(w *wtx) error
	events  []protocol.Event
	err     error
	done    chan struct{}
	retries int
}

// Update implements queue.Store. fn runs in a READ COMMITTED transaction
// whose reads of the rows it decides on take row locks (tx.go); an update
// that fails on a serialization failure or a deadlock, or that lost an
// idempotency race, is run again.
func (s *Store) Update(ctx context.Context, fn func(tx queue.Tx) error) ([]protocol.Event, error) {
	return s.update(ctx, func(w *wtx) error { return fn(w) })
}

func (s *Store) update(ctx context.Context, fn func(w *wtx) error) ([]protocol.Event, error) {
	if s.closed() {
		return nil, ErrClosed
	}
	// A writer that has stopped (written) answered everything it took.
	o := &op{ctx: ctx, fn: fn, done: make(chan struct{})}
	if err := store.Submit(ctx, s.ops, o, o.done, s.quit, s.written); err != nil {
		return nil, err
	}
	return o.events, o.err
}

func (s *Store) writer() {
	defer close(s.written)
	var carry []*op // updates deferred from the last batch, first in the next
	for {
		batch, ok := store.Gather(carry, s.ops, s.quit, s.opts.MaxBatch)
		if !ok {
			s.failPending(nil)
			return
		}
		carry = s.commit(batch)
		select {
		case <-s.quit:
			s.failPending(carry)
			return
		default:
		}
	}
}

// failPending answers the updates still queued with ErrClosed.
func (s *Store) failPending(carry []*op) {
	for _, o := range carry {
		o.err = ErrClosed
		close(o.done)
	}
	for {
		select {
		case o := <-s.ops:
			o.err = ErrClosed
			close(o.done)
		default:
			return
		}
	}
}

// commit runs a batch in one transaction and answers its updates; it
// returns the updates deferred to the next batch.
func (s *Store) commit(batch []*op) (carry []*op) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var answered []*op
	answer := func(o *op) { answered = append(answered, o) }
	defer func() {
		for _, o := range answered {
			close(o.done)
		}
	}()
	failAll := func(err error) []*op {
		err = batchErr(err)
		for _, o := range batch {
			if o.err == nil {
				o.err = err
			}
			o.events = nil
			answer(o)
		}
		return nil
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil && pgconn.SafeToRetry(err) {
		// A pooled connection found dead (PostgreSQL restarted): once more.
		tx, err = s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	}
	if err != nil {
		return failAll(err)
	}
	defer tx.Rollback(context.Background())
	var ok []*op
	// One savepoint "op" stays open: an update that succeeds releases it
	// and opens the next in the same round trip; one that fails rolls back
	// to it, which keeps it. lock_timeout is set between a release and the
	// next savepoint, so no rollback undoes it.
	if _, err := tx.Exec(ctx, `SAVEPOINT op`); err != nil {
		return failAll(err)
	}
	var cache batchCache
	waitLocks := true // the first update may wait for locks
	noWait := false   // lock_timeout is set for the others
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			o.err = err
			answer(o)
			continue
		}
		if !waitLocks && !noWait {
			if _, err := tx.Exec(ctx, `RELEASE SAVEPOINT op; SET LOCAL lock_timeout = '1ms'; SAVEPOINT op`); err != nil {
				return failAll(err)
			}
			noWait = true
		}
		for {
			w := &wtx{s: s, tx: tx, ctx: ctx, cache: &cache}
			err := safeRun(o.fn, w)
			if err == nil {
				if _, err := tx.Exec(ctx, `RELEASE SAVEPOINT op; SAVEPOINT op`); err != nil {
					return failAll(err)
				}
				o.events = w.events
				ok = append(ok, o)
				break
			}
			cache.reset() // it may hold what the update read of its own writes
			if _, rerr := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT op`); rerr != nil {
				// The transaction itself is gone (connection lost).
				o.err = storageErr(err)
				return failAll(rerr)
			}
			if c, _ := pgCode(err); c == "55P03" && !waitLocks {
				carry = append(carry, o) // would wait: first in the next batch
				break
			}
			if retryable(err) && o.retries < s.opts.MaxRetries {
				o.retries++
				continue
			}
			o.err = storageErr(err)
			answer(o)
			break
		}
		waitLocks = false
	}
	var all []protocol.Event
	for _, o := range ok {
		all = append(all, o.events...)
	}
	if len(all) > 0 {
		if noWait {
			if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = 0`); err != nil {
				return failAll(err)
			}
		}
		if err := s.appendEvents(ctx, tx, all); err != nil {
			return failAll(err)
		}
		// all shares its elements' storage with nothing: copy the seqs back.
		i := 0
		for _, o := range ok {
			for j := range o.events {
				o.events[j].Seq = all[i].Seq
				i++
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		// Deferred updates were not run: they go to the next batch.
		for _, o := range ok {
			o.err = batchErr(err)
			o.events = nil
			answer(o)
		}
		return carry
	}
	if len(all) > 0 {
		s.deliver(ctx, all)
	}
	for _, o := range ok {
		answer(o)
	}
	return carry
}

// batchErr is the error of a batch that failed as a whole.
func batchErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		// The batch's own deadline (callers' contexts are not used for
		// statements): PostgreSQL stopped answering.
		return &queue.Error{Code: protocol.CodeUnavailable, Message: "storage is not answering", Err: err}
	}
	return storageErr(err)
}

// appendEvents stores events with seqs allocated from the counter row
// (locked until commit) and sets their Seq.
func (s *Store) appendEvents(ctx context.Context, tx pgx.Tx, evs []protocol.Event) error {
	n := len(evs)
	types, ats, offs, datas := make([]string, n), make([]time.Time, n), make([]int32, n), make([]string, n)
	for i, ev := range evs {
		_, off := ev.At.Zone()
		types[i], ats[i], offs[i], datas[i] = ev.Type, ev.At, int32(off), string(ev.Data)
	}
	rows, err := tx.Query(ctx, qAppendEvents, n, types, ats, offs, datas, s.channel)
	if err != nil {
		return err
	}
	seqs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	if len(seqs) != n {
		return fmt.Errorf("postgres: %d events stored of %d", len(seqs), n)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	for i := range evs {
		evs[i].Seq = seqs[i]
	}
	return nil
}

// errRetry asks the writer to run the update again.
var errRetry = errors.New("postgres: retry")

func retryable(err error) bool {
	if errors.Is(err, errRetry) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return false
}

// qAppendEvents allocates the seqs of a batch's events from the counter
// row (locked until commit: writers of events commit one after the other,
// so seqs are gap-free and in commit order), stores the events and wakes
// the other instances at commit ($6: the schema's channel).
const qAppendEvents = `WITH s AS (UPDATE event_seq SET last = last + $1 WHERE id = 1 RETURNING last),
	n AS (SELECT pg_notify($6, s.last::text) FROM s)
	INSERT INTO events (seq, type, at, at_offset, data)
	SELECT s.last - $1 + e.ord, e.type, e.at, e.off, e.data::json
	FROM s, (SELECT count(*) FROM n) AS k,
		unnest($2::text[], $3::timestamptz[], $4::int[], $5::text[]) WITH ORDINALITY AS e(type, at, off, data, ord)
	RETURNING seq`
