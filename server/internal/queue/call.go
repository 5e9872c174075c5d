package queue

import (
	"context"
	"slices"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// counterOf reads a counter inside tx and normalises its served count to day.
func counterOf(tx Tx, id, day string) (CounterRecord, error) {
	c, err := tx.Counter(id)
	return normalCounter(c, err, id, day)
}

// counterAndCurrent is counterOf and the counter's current ticket (nil:
// none), read together.
func counterAndCurrent(tx Tx, id, day string) (CounterRecord, *TicketRecord, error) {
	r, err := tx.ReadCall(CallQuery{Counter: id, Day: day})
	c, err := normalCounter(r.Counter, err, id, day)
	return c, r.Current, err
}

// counterFields are the fields the engine's cache has counter id serve
// (nil: none, or no such counter): a call reads their candidates with the
// counter, and again should the counter's row list others.
func (e *Engine) counterFields(id string) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, cs := range e.c.board.Counters {
		if cs.Counter.ID == id {
			return slices.Clone(cs.Counter.ServiceIDs)
		}
	}
	return nil
}

func normalCounter(c CounterRecord, err error, id, day string) (CounterRecord, error) {
	if IsNotFound(err) {
		return c, Errorf(protocol.CodeNotFound, "unknown counter %q", id)
	}
	if err == nil && c.ServedDay != day {
		c.ServedDay, c.ServedToday = day, 0
	}
	return c, err
}

// finish ends the counter's current ticket with status (done or no_show).
func (e *Engine) finish(tx Tx, cur TicketRecord, c *CounterRecord, status string, now time.Time) error {
	if err := e.finishTicket(tx, cur, c, status, now); err != nil {
		return err
	}
	if status == protocol.StatusDone {
		return tx.PutCounter(*c)
	}
	return nil
}

// finishTicket is finish without storing the counter, whose served count
// a done ticket raised: the caller stores it (Next, once, with the call).
func (e *Engine) finishTicket(tx Tx, cur TicketRecord, c *CounterRecord, status string, now time.Time) error {
	cur.Status = status
	cur.FinishedAt = &now
	if err := tx.UpdateTicket(cur); err != nil {
		return err
	}
	typ := protocol.EventTicketNoShow
	if status == protocol.StatusDone {
		typ = protocol.EventTicketDone
		c.ServedToday++
	}
	return tx.AppendEvent(typ, now, e.public(cur))
}

// Next completes the counter's current ticket as done and calls the next
// one. It returns nil when nobody waits. Decided inside one transaction, so
// two counters pressing Next at once never get the same ticket.
func (e *Engine) Next(ctx context.Context, counterID, clerk string) (*protocol.Ticket, error) {
	var called *TicketRecord
	fields := e.counterFields(counterID)
	_, err := e.store.Update(ctx, func(tx Tx) error {
		called = nil
		now := e.now()
		day := Day(now, e.opts.Location)
		plan, err := planCall(tx, fields)
		if err != nil {
			return err
		}
		read, err := tx.ReadCall(CallQuery{Counter: counterID, Day: day, Booked: plan.fields, Oldest: plan.oldest})
		c, err := normalCounter(read.Counter, err, counterID, day)
		if err != nil {
			return err
		}
		cur := read.Current
		// The counter is stored once, at the end: with the call, or
		// with the served count of the ticket finished when none is left.
		stale := false
		if cur != nil {
			if err := e.finishTicket(tx, *cur, &c, protocol.StatusDone, now); err != nil {
				return err
			}
			stale = true
		}
		if c.Status != protocol.CounterOpen {
			c.Status = protocol.CounterOpen
			if err := tx.PutCounter(c); err != nil {
				return err
			}
			stale = false
			if err := tx.AppendEvent(protocol.EventCounterUpdated, now, c.Counter); err != nil {
				return err
			}
		}
		if !slices.Equal(c.ServiceIDs, plan.fields) {
			// The counter's fields changed since the cache saw them.
			if plan, err = planCall(tx, c.ServiceIDs); err != nil {
				return err
			}
			if read.Booked, read.Oldest, err = tx.CallCandidates(day, plan.fields, plan.oldest); err != nil {
				return err
			}
		}
		t, found, err := e.pick(&c, plan, read.Booked, read.Oldest, now)
		if err != nil {
			return err
		}
		if !found {
			if stale {
				return tx.PutCounter(c)
			}
			return nil
		}
		t.Status = protocol.StatusCalled
		t.CalledAt, t.ServiceStartedAt = &now, &now
		t.CounterID, t.ClerkID, t.Recalls = counterID, clerk, 0
		if t.FirstCalledAt == nil {
			t.FirstCalledAt, t.FirstCounterID, t.FirstClerkID = &now, counterID, clerk
		}
		if err := tx.UpdateTicket(t); err != nil {
			return err
		}
		if err := tx.PutCounter(c); err != nil {
			return err
		}
		called = &t
		return tx.AppendEvent(protocol.EventTicketCalled, now, protocol.Call{Ticket: e.public(t), Counter: c.Counter, At: now})
	})
	if err != nil {
		return nil, err
	}
	e.staffedByCaller(counterID)
	if called == nil {
		return nil, nil
	}
	t := e.view(*called)
	return &t, nil
}

// current runs fn on the counter's current ticket inside a transaction.
func (e *Engine) current(ctx context.Context, counterID string, fn func(tx Tx, c *CounterRecord, cur *TicketRecord, now time.Time) error) (protocol.Ticket, error) {
	var out TicketRecord
	_, err := e.store.Update(ctx, func(tx Tx) error {
		now := e.now()
		c, cur, err := counterAndCurrent(tx, counterID, Day(now, e.opts.Location))
		if err != nil {
			return err
		}
		if cur == nil {
			return Errorf(protocol.CodeNoCurrentTicket, "counter %d has no ticket being served", c.Number)
		}
		if err := fn(tx, &c, cur, now); err != nil {
			return err
		}
		out = *cur
		return nil
	})
	if err != nil {
		return protocol.Ticket{}, err
	}
	return e.view(out), nil
}

// Recall calls the counter's current ticket again.
func (e *Engine) Recall(ctx context.Context, counterID string) (protocol.Ticket, error) {
	return e.current(ctx, counterID, func(tx Tx, c *CounterRecord, cur *TicketRecord, now time.Time) error {
		cur.Recalls++
		cur.ServiceStartedAt = &now
		if err := tx.UpdateTicket(*cur); err != nil {
			return err
		}
		return tx.AppendEvent(protocol.EventTicketRecalled, now, protocol.Call{Ticket: e.public(*cur), Counter: c.Counter, At: now, Recall: true})
	})
}

// Done completes the counter's current ticket without a visit record
// (DoneWith records one).
func (e *Engine) Done(ctx context.Context, counterID string) (protocol.Ticket, error) {
	return e.DoneWith(ctx, counterID, "", protocol.DoneRequest{})
}

// NoShow marks the counter's current ticket as not shown up.
func (e *Engine) NoShow(ctx context.Context, counterID string) (protocol.Ticket, error) {
	return e.current(ctx, counterID, func(tx Tx, c *CounterRecord, cur *TicketRecord, now time.Time) error {
		cur.Status, cur.FinishedAt = protocol.StatusNoShow, &now
		return e.finish(tx, *cur, c, protocol.StatusNoShow, now)
	})
}

// Transfer puts the counter's current ticket back in the queue of another
// field. It keeps its code and its issue time, so it keeps its place.
func (e *Engine) Transfer(ctx context.Context, counterID, serviceID string) (protocol.Ticket, error) {
	if serviceID == "" {
		return protocol.Ticket{}, Errorf(protocol.CodeBadRequest, "service_id is required")
	}
	return e.current(ctx, counterID, func(tx Tx, c *CounterRecord, cur *TicketRecord, now time.Time) error {
		svc, err := tx.Service(serviceID)
		if IsNotFound(err) {
			return Errorf(protocol.CodeNotFound, "unknown service %q", serviceID)
		} else if err != nil {
			return err
		}
		if svc.ID == cur.ServiceID {
			return Errorf(protocol.CodeUnprocessable, "the ticket is already in %s", svc.Name.Vi)
		}
		cur.FromServiceID, cur.ServiceID = cur.ServiceID, svc.ID
		cur.Status = protocol.StatusWaiting
		cur.CounterID, cur.CalledAt, cur.ServiceStartedAt, cur.ClerkID, cur.Recalls = "", nil, nil, "", 0
		if err := tx.UpdateTicket(*cur); err != nil {
			return err
		}
		return tx.AppendEvent(protocol.EventTicketTransferred, now, e.public(*cur))
	})
}

// SetCounterStatus opens, pauses or closes a counter.
func (e *Engine) SetCounterStatus(ctx context.Context, counterID, status string) (protocol.Counter, error) {
	switch status {
	case protocol.CounterOpen, protocol.CounterPaused, protocol.CounterClosed:
	default:
		return protocol.Counter{}, Errorf(protocol.CodeBadRequest, "status must be open, paused or closed")
	}
	var out protocol.Counter
	_, err := e.store.Update(ctx, func(tx Tx) error {
		now := e.now()
		c, err := counterOf(tx, counterID, Day(now, e.opts.Location))
		if err != nil {
			return err
		}
		out = c.Counter
		if c.Status == status {
			if c.Unstaffed != "" {
				// Closed by hand a counter the server had closed: it
				// stays closed when a console comes back.
				c.Unstaffed = ""
				return tx.PutCounter(c)
			}
			return nil
		}
		c.Status = status
		out = c.Counter
		if err := tx.PutCounter(c); err != nil {
			return err
		}
		return tx.AppendEvent(protocol.EventCounterUpdated, now, c.Counter)
	})
	if err == nil {
		e.statusSetByCaller(counterID, status)
	}
	return out, err
}
