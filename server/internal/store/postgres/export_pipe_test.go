package postgres

import (
	"context"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// UpdateTogether runs fns as one batch of the group-commit writer, in
// that order, and returns each one's events and error (the writer must be
// idle: nothing else updates the store meanwhile).
func (s *Store) UpdateTogether(fns ...func(queue.Tx) error) ([][]protocol.Event, []error) {
	ops := make([]*op, len(fns))
	for i, fn := range fns {
		ops[i] = &op{ctx: context.Background(), fn: func(w *wtx) error { return fn(w) }, done: make(chan struct{})}
	}
	dq, done := make(chan delivery), make(chan struct{})
	go s.deliverer(dq, done)
	for batch := ops; len(batch) > 0; {
		batch = s.commit(batch, dq)
	}
	close(dq)
	<-done
	evs, errs := make([][]protocol.Event, len(ops)), make([]error, len(ops))
	for i, o := range ops {
		<-o.done
		evs[i], errs[i] = o.events, o.err
	}
	return evs, errs
}
