package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

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
// Batches of several instances take turns: each first takes one advisory
// lock (qBatchTurn) held until it commits. Nearly every update writes rows
// that every batch writes (today's number row of a field, the day's report
// generation, the event counter), so batches of two instances could not
// run side by side anyway; taking turns from the start, a batch never
// waits for another's rows halfway, nor rolls updates back because it
// would, and the waiting instance gathers a larger batch meanwhile.
//
// Other transactions (outside the writers) must not deadlock a batch
// either: until an update of the batch has succeeded (the batch holds no
// row lock yet), an update may wait for a lock another transaction holds;
// the ones after run with lock_timeout 1 ms and, when they would wait, are
// rolled back to their savepoint and go first in the next batch (where
// they may wait, holding no other lock of the batch). So a batch waits
// only as a single-update transaction would.

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

// delivery is a committed batch: its events go to the sink, then its
// updates are answered.
type delivery struct {
	events []protocol.Event
	ops    []*op
}

// deliverer passes committed batches to the sink in commit order and
// answers their updates, while the writer runs the next batch.
func (s *Store) deliverer(dq <-chan delivery, done chan<- struct{}) {
	defer close(done)
	for d := range dq {
		if len(d.events) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			s.deliver(ctx, d.events)
			cancel()
		}
		for _, o := range d.ops {
			close(o.done)
		}
	}
}

func (s *Store) writer() {
	dq, delivered := make(chan delivery, 2), make(chan struct{})
	go s.deliverer(dq, delivered)
	defer func() {
		// Every update taken is answered before written closes.
		close(dq)
		<-delivered
		close(s.written)
	}()
	var carry []*op // updates deferred from the last batch, first in the next
	for {
		batch, ok := store.Gather(carry, s.ops, s.quit, s.opts.MaxBatch)
		if !ok {
			s.failPending(nil)
			return
		}
		carry = s.commit(batch, dq)
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

// commit runs a batch in one transaction and answers its updates, the
// committed ones through dq (after their events reach the sink); it
// returns the updates deferred to the next batch.
//
// Round trips are what the batch costs (pipe.go): an update's writes and
// the release of its savepoint travel with the next statement that needs
// an answer, usually the next update's first read; the last update's,
// with the statement allocating the batch's seqs.
func (s *Store) commit(batch []*op, dq chan<- delivery) (carry []*op) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var answered []*op
	isAnswered := map[*op]bool{}
	answer := func(o *op) {
		if !isAnswered[o] {
			isAnswered[o] = true
			answered = append(answered, o)
		}
	}
	defer func() {
		for _, o := range answered {
			close(o.done)
		}
	}()
	var ok []*op // run successfully (the last ones' held writes may be unsent)
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
	conn, tx, err := s.begin(ctx)
	if err != nil && pgconn.SafeToRetry(err) {
		// A pooled connection found dead (PostgreSQL restarted): once more.
		conn, tx, err = s.begin(ctx)
	}
	if err != nil {
		return failAll(err)
	}
	// The batch's COMMIT is sent with its last statements (appendOK), not
	// through tx: when the connection is not idle at the end, the batch
	// did not commit, and is rolled back.
	released := false
	release := func() {
		if released {
			return
		}
		released = true
		if conn.Conn().PgConn().TxStatus() != 'I' {
			tx.Rollback(context.Background())
		}
		conn.Release()
	}
	defer release()
	p := &pipe{Tx: tx}
	// One savepoint "op" stays open: an update that succeeds releases it
	// and opens the next; one that fails rolls back to it, which keeps it.
	// Once an update has succeeded the batch holds locks, and the updates
	// after it must not wait for others' (lock_timeout 1 ms: they go first
	// in the next batch instead). lock_timeout is set between a release
	// and the next savepoint, so no rollback undoes it.
	// Batches of all instances take turns (qBatchTurn), sent with the
	// first statement.
	p.hold(held{sql: qBatchTurn})
	p.hold(held{sql: `SAVEPOINT op`})
	noWait := false // lock_timeout is set
	var cache batchCache
	todo := slices.Clone(batch)
	failed := func(o *op, err error) {
		if c, _ := pgCode(err); c == "55P03" && len(ok) > 0 {
			carry = append(carry, o) // would wait: first in the next batch
			return
		}
		if retryable(err) && o.retries < s.opts.MaxRetries {
			o.retries++
			todo = append([]*op{o}, todo...)
			return
		}
		o.err = storageErr(err)
		answer(o)
	}
	// rollback undoes the update being run (cur, nil: none) after its
	// failure (curErr), or after a held statement's (f): when f is an earlier
	// update's, that one is undone with the updates after it, which run
	// again, cur too. A non-nil answer is the error the whole batch fails
	// with (the transaction is gone).
	rollback := func(cur *op, curErr error, f *heldErr) error {
		cache.reset() // it may hold what an update read of its own writes
		if cur != nil {
			p.drop(cur)
		}
		if f == nil {
			// Held statements of earlier updates are sent first.
			_, err := p.Exec(ctx, `ROLLBACK TO SAVEPOINT op`)
			if f = p.takeFailure(); f == nil {
				if err != nil {
					return err
				}
				failed(cur, curErr)
				return nil
			}
		}
		p.held = nil
		if f.owner == nil {
			return f.err // the writer's own statement failed: not an update's doing
		}
		if _, err := p.Exec(ctx, `ROLLBACK TO SAVEPOINT op`); err != nil {
			return err
		}
		if f.owner == cur {
			failed(cur, f.err)
			return nil
		}
		i := slices.Index(ok, f.owner)
		if i < 0 {
			return f.err
		}
		// Its savepoint is the one rolled back to (its release was not
		// run): the updates after it did not run.
		again := slices.Clone(ok[i+1:])
		if cur != nil {
			again = append(again, cur)
		}
		for _, o := range again {
			o.events = nil
		}
		f.owner.events = nil
		ok = ok[:i]
		todo = append(again, todo...)
		failed(f.owner, f.err)
		return nil
	}
	for {
		// Updates that came while the batch waited for its turn or ran
		// join it before its tail: the turn is what the instances' batches
		// share, and an update that joins costs the batch little (an issue
		// no round trip), where waiting for the next batch would cost it
		// another turn.
	join:
		for len(todo) == 0 && len(batch) < s.opts.MaxBatch {
			select {
			case o := <-s.ops:
				batch = append(batch, o)
				todo = append(todo, o)
			default:
				break join
			}
		}
		if len(todo) == 0 {
			// The tail: confirm the last update's writes, allocate the
			// batch's seqs, commit, in one round trip.
			all, err := s.appendOK(ctx, p, ok, noWait)
			if f := p.takeFailure(); f != nil {
				if err := rollback(nil, nil, f); err != nil {
					return failAll(err)
				}
				continue
			}
			var ce *commitErr
			if errors.As(err, &ce) {
				// Deferred updates were not run: they go to the next batch.
				for _, o := range ok {
					o.err = batchErr(ce.err)
					o.events = nil
					answer(o)
				}
				return carry
			}
			if err != nil {
				return failAll(err)
			}
			for _, o := range ok {
				isAnswered[o] = true
			}
			release() // before waiting for the deliverer
			dq <- delivery{events: all, ops: ok}
			return carry
		}
		o := todo[0]
		todo = todo[1:]
		if err := o.ctx.Err(); err != nil {
			o.err = err
			answer(o)
			continue
		}
		w := &wtx{s: s, tx: p, p: p, op: o, ctx: ctx, cache: &cache}
		err := safeRun(o.fn, w)
		if f := p.takeFailure(); f != nil {
			if err := rollback(o, nil, f); err != nil {
				return failAll(err)
			}
			continue
		}
		if err != nil {
			if rerr := rollback(o, err, nil); rerr != nil {
				if !errors.Is(err, errHeldFailed) {
					o.err = storageErr(err)
				}
				return failAll(rerr)
			}
			continue
		}
		o.events = w.events
		ok = append(ok, o)
		p.hold(held{sql: `RELEASE SAVEPOINT op`})
		if !noWait {
			p.hold(held{sql: `SET LOCAL lock_timeout = '1ms'`, ok: func() { noWait = true }})
		}
		p.hold(held{sql: `SAVEPOINT op`})
	}
}

// appendOK sends the held statements, allocates the seqs of the events
// of ok, copied into each update's events, and commits, in one round trip;
// it returns the events. A failure of the commit itself is a *commitErr.
func (s *Store) appendOK(ctx context.Context, p *pipe, ok []*op, noWait bool) ([]protocol.Event, error) {
	var all []protocol.Event
	for _, o := range ok {
		all = append(all, o.events...)
	}
	if len(all) == 0 {
		br, err := p.send(ctx, query{sql: `COMMIT`})
		if err != nil {
			return nil, err
		}
		return nil, committed(br)
	}
	if noWait || len(p.held) > 0 {
		// The seq row is waited for: its holder is committing.
		p.hold(held{sql: `SET LOCAL lock_timeout = 0`})
	}
	if err := s.appendEvents(ctx, p, all); err != nil {
		return nil, err
	}
	// all shares its elements' storage with nothing: copy the seqs back.
	i := 0
	for _, o := range ok {
		for j := range o.events {
			o.events[j].Seq = all[i].Seq
			i++
		}
	}
	return all, nil
}

// commitErr is the failure of a batch's COMMIT: the batch was rolled
// back, or whether it committed is not known (the connection was lost).
type commitErr struct{ err error }

func (e *commitErr) Error() string { return "postgres: commit: " + e.err.Error() }
func (e *commitErr) Unwrap() error { return e.err }

// errRolledBack is a COMMIT that rolled back (PostgreSQL answers so to
// the COMMIT of a failed transaction).
var errRolledBack = errors.New("postgres: the transaction was rolled back")

// committed reads the answer to the COMMIT queued next in br, and closes br.
func committed(br pgx.BatchResults) error {
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil && tag.String() != "COMMIT" {
		err = errRolledBack
	}
	if err != nil {
		return &commitErr{err: err}
	}
	return nil
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
// (locked until commit), sets their Seq, and commits.
func (s *Store) appendEvents(ctx context.Context, p *pipe, evs []protocol.Event) error {
	if p.failed != nil {
		return errHeldFailed
	}
	n := len(evs)
	types, ats, offs, datas := make([]string, n), make([]time.Time, n), make([]int32, n), make([]string, n)
	for i, ev := range evs {
		_, off := ev.At.Zone()
		types[i], ats[i], offs[i], datas[i] = ev.Type, ev.At, int32(off), string(ev.Data)
	}
	br, err := p.send(ctx, query{qAppendEvents, []any{n, types, ats, offs, datas, s.channel, s.feed.selfTag()}}, query{sql: `COMMIT`})
	if err != nil {
		return err
	}
	rows, err := br.Query()
	var seqs []int64
	if err == nil {
		seqs, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	}
	if err != nil {
		br.Close()
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return err // the insert failed: the COMMIT after it did not run
		}
		// The connection was lost or the batch timed out with the COMMIT
		// sent: whether it ran is not known.
		return &commitErr{err: err}
	}
	if err := committed(br); err != nil {
		return err
	}
	if len(seqs) != n {
		return &commitErr{err: fmt.Errorf("postgres: %d events stored of %d", len(seqs), n)}
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

// qBatchTurn is the advisory lock the batches of every instance take in
// turn (transaction-scoped: released at commit or when the connection
// drops), one per schema (a database may hold several).
const qBatchTurn = `SELECT pg_advisory_xact_lock(7431002, hashtext(current_schema()))`

// qAppendEvents allocates the seqs of a batch's events from the counter
// row (locked until commit: writers of events commit one after the other,
// so seqs are gap-free and in commit order), stores the events and wakes
// the other instances at commit ($6: the schema's channel; the
// notification says the batch's last seq and which store committed it, $7:
// feed.go).
const qAppendEvents = `WITH s AS (UPDATE event_seq SET last = last + $1 WHERE id = 1 RETURNING last),
	n AS (SELECT pg_notify($6, s.last::text || ' ' || $7) FROM s)
	INSERT INTO events (seq, type, at, at_offset, data)
	SELECT s.last - $1 + e.ord, e.type, e.at, e.off, e.data::json
	FROM s, (SELECT count(*) FROM n) AS k,
		unnest($2::text[], $3::timestamptz[], $4::int[], $5::text[]) WITH ORDINALITY AS e(type, at, off, data, ord)
	RETURNING seq`

// begin takes a connection from the pool and opens a batch's transaction.
func (s *Store) begin(ctx context.Context) (*pgxpool.Conn, pgx.Tx, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		conn.Release() // a dead connection is closed, not pooled
		return nil, nil, err
	}
	return conn, tx, nil
}
