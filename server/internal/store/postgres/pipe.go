package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pipe is a batch's transaction in which statements whose only possible
// outcome worth waiting for is an error (a write the update needs no
// answer from, a savepoint's release) are held back and sent in one round
// trip with the next statement whose answer is needed (a pgx pipeline):
// the writer is one goroutine, so every round trip it saves is time the
// whole batch, and every instance waiting on its locks, saves.
//
// A held statement that fails aborts the transaction there, the statements
// after it in the pipeline are not run, and the failure is kept with the
// update it belongs to (failed): the writer rolls back to that update's
// savepoint and answers it as if the statement had failed when it was
// held. Statements read and written in order, so a held write is seen by
// every statement after it.
type pipe struct {
	pgx.Tx
	held   []held
	failed *heldErr
}

// held is a statement waiting to be sent.
type held struct {
	sql    string
	args   []any
	owner  *op               // the update it belongs to; nil: the writer's own
	mapErr func(error) error // the update's error when it fails (nil: as is)
	ok     func()            // run once it has succeeded (nil: nothing)
}

// query is a statement sent with the held ones.
type query struct {
	sql  string
	args []any
}

// heldErr is the failure of a held statement.
type heldErr struct {
	owner *op
	err   error
}

// errHeldFailed is what statements answer after a held statement failed:
// the transaction is aborted until the writer rolls back.
var errHeldFailed = errors.New("postgres: an earlier statement of the batch failed")

func (p *pipe) hold(h held) { p.held = append(p.held, h) }

// drop forgets the held statements of o, which is being rolled back (they
// are the last ones: o runs after every other update with held statements).
func (p *pipe) drop(o *op) {
	i := len(p.held)
	for i > 0 && p.held[i-1].owner == o {
		i--
	}
	clear(p.held[i:])
	p.held = p.held[:i]
}

// takeFailure returns the failure of a held statement, if any, and clears it.
func (p *pipe) takeFailure() *heldErr {
	f := p.failed
	p.failed = nil
	return f
}

// send sends the held statements followed by qs, and reads the held
// statements' results. It returns the batch's results positioned at the
// first of qs.
func (p *pipe) send(ctx context.Context, qs ...query) (pgx.BatchResults, error) {
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(p.held)+len(qs))}
	for _, h := range p.held {
		b.Queue(h.sql, h.args...)
	}
	for _, q := range qs {
		b.Queue(q.sql, q.args...)
	}
	hs := p.held
	p.held = nil
	br := p.Tx.SendBatch(ctx, b)
	for _, h := range hs {
		if _, err := br.Exec(); err != nil {
			if h.mapErr != nil {
				err = h.mapErr(err)
			}
			p.failed = &heldErr{owner: h.owner, err: err}
			br.Close()
			return nil, errHeldFailed
		}
		if h.ok != nil {
			h.ok()
		}
	}
	return br, nil
}

// read is a query of readAll, and what is done with each of its rows.
type read struct {
	sql  string
	args []any
	row  func(pgx.Rows) error
}

// readAll runs rs in one round trip, with the held statements.
func (p *pipe) readAll(ctx context.Context, rs ...read) error {
	if p.failed != nil {
		return errHeldFailed
	}
	qs := make([]query, len(rs))
	for i, r := range rs {
		qs[i] = query{sql: r.sql, args: r.args}
	}
	br, err := p.send(ctx, qs...)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if err := eachRow(br, r); err != nil {
			br.Close()
			return err
		}
	}
	return br.Close()
}

func eachRow(br pgx.BatchResults, r read) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := r.row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// flush sends the held statements on their own.
func (p *pipe) flush(ctx context.Context) error {
	if p.failed != nil {
		return errHeldFailed
	}
	if len(p.held) == 0 {
		return nil
	}
	br, err := p.send(ctx)
	if err != nil {
		return err
	}
	return br.Close()
}

// Exec implements pgx.Tx.
func (p *pipe) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if p.failed != nil {
		return pgconn.CommandTag{}, errHeldFailed
	}
	if len(p.held) == 0 {
		return p.Tx.Exec(ctx, sql, args...)
	}
	br, err := p.send(ctx, query{sql, args})
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// Query implements pgx.Tx.
func (p *pipe) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if p.failed != nil {
		return newFailedRows(errHeldFailed), errHeldFailed
	}
	if len(p.held) == 0 {
		return p.Tx.Query(ctx, sql, args...)
	}
	br, err := p.send(ctx, query{sql, args})
	if err != nil {
		return newFailedRows(err), err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return rows, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// QueryRow implements pgx.Tx.
func (p *pipe) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if p.failed == nil && len(p.held) == 0 {
		return p.Tx.QueryRow(ctx, sql, args...)
	}
	rows, err := p.Query(ctx, sql, args...)
	return pipeRow{rows: rows, err: err}
}

// SendBatch implements pgx.Tx (the held statements go first, on their own).
func (p *pipe) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := p.flush(ctx); err != nil {
		return failedBatch{err: err}
	}
	return p.Tx.SendBatch(ctx, b)
}

// Begin implements pgx.Tx (a savepoint, after the held statements).
func (p *pipe) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := p.flush(ctx); err != nil {
		return nil, err
	}
	return p.Tx.Begin(ctx)
}

// CopyFrom implements pgx.Tx.
func (p *pipe) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	if err := p.flush(ctx); err != nil {
		return 0, err
	}
	return p.Tx.CopyFrom(ctx, table, cols, src)
}

// Prepare implements pgx.Tx.
func (p *pipe) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if err := p.flush(ctx); err != nil {
		return nil, err
	}
	return p.Tx.Prepare(ctx, name, sql)
}

// batchRows are a query's rows read from a pipeline, which they close.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.br.Close()
}

// pipeRow is QueryRow's answer from a pipeline (as pgx's: the first row,
// ErrNoRows when there is none).
type pipeRow struct {
	rows pgx.Rows
	err  error
}

func (r pipeRow) Scan(dest ...any) error {
	if r.err != nil {
		if r.rows != nil {
			r.rows.Close()
		}
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

// failedRows are the rows of a statement that was not sent. (The
// embedded interfaces are nil: only the methods below are answered, so a
// method pgx adds later does not break the build.)
type failedRows struct {
	pgx.Rows
	err error
}

func newFailedRows(err error) failedRows { return failedRows{err: err} }

func (r failedRows) Close()                        {}
func (r failedRows) Err() error                    { return r.err }
func (r failedRows) CommandTag() pgconn.CommandTag { return pgconn.CommandTag{} }
func (r failedRows) Next() bool                    { return false }
func (r failedRows) Scan(...any) error             { return r.err }
func (r failedRows) Values() ([]any, error)        { return nil, r.err }

// failedBatch are the results of a batch that was not sent.
type failedBatch struct {
	pgx.BatchResults
	err error
}

func (b failedBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b failedBatch) Query() (pgx.Rows, error)         { return newFailedRows(b.err), b.err }
func (b failedBatch) QueryRow() pgx.Row                { return pipeRow{err: b.err} }
func (b failedBatch) Close() error                     { return b.err }
