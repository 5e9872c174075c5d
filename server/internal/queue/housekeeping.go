package queue

import (
	"context"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// Housekeep cancels tickets left waiting or called from earlier days,
// marks bookings whose window ended unused as no-shows and resets per-day
// counters; run at start and every minute.
func (e *Engine) Housekeep(ctx context.Context) error {
	now := e.now()
	e.rollDay(now)
	day := Day(now, e.opts.Location)
	_, err := e.store.Update(ctx, func(tx Tx) error {
		old, err := tx.OpenBefore(day)
		if err != nil {
			return err
		}
		for _, t := range old {
			t.Status = protocol.StatusCancelled
			t.FinishedAt = &now
			if err := tx.UpdateTicket(t); err != nil {
				return err
			}
			if err := tx.AppendEvent(protocol.EventTicketCancelled, now, e.public(t)); err != nil {
				return err
			}
		}
		if err := markNoShows(tx, now); err != nil {
			return err
		}
		counters, err := tx.Counters()
		if err != nil {
			return err
		}
		for _, c := range counters {
			if c.ServedDay != day && c.ServedToday != 0 {
				// Read again under its lock (tx.Counter): another instance's
				// housekeeping may have reset it meanwhile, and this one
				// must then neither write it nor announce it again.
				if c, err = tx.Counter(c.ID); IsNotFound(err) {
					continue
				} else if err != nil {
					return err
				}
				if c.ServedDay == day || c.ServedToday == 0 {
					continue
				}
				c.ServedDay, c.ServedToday = day, 0
				if err := tx.PutCounter(c); err != nil {
					return err
				}
				if err := tx.AppendEvent(protocol.EventCounterUpdated, now, c.Counter); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return e.reloadHolidays(ctx)
}

// reloadHolidays replaces the cached holidays with the stored ones: those
// set through another server instance on the same database (no event
// carries them) reach this one's fields within a minute.
func (e *Engine) reloadHolidays(ctx context.Context) error {
	e.mu.RLock()
	gen := e.c.holidaysGen
	e.mu.RUnlock()
	hs, err := e.store.Holidays(ctx)
	if err != nil {
		return err
	}
	e.mu.Lock()
	if e.c.holidaysGen == gen { // else PutHolidays here was faster, and newer
		e.c.holidays = holidaySet(hs)
	}
	e.mu.Unlock()
	return nil
}

// staffTick is how often Run looks for counters left without a console.
const staffTick = 5 * time.Second

// Run does housekeeping every interval, and closes counters left without
// a clerk console every few seconds, until ctx ends.
func (e *Engine) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	st := time.NewTicker(min(interval, staffTick))
	defer st.Stop()
	for {
		if err := e.Housekeep(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("housekeeping failed", "err", err)
		}
		if err := e.SaveCalibration(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("saving the wait calibration failed", "err", err)
		}
		for again := true; again; {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				again = false
			case <-st.C:
				if err := e.SharePresence(ctx); err != nil && ctx.Err() == nil {
					e.log.Warn("sharing console presence failed", "err", err)
				}
				if err := e.CloseUnstaffed(ctx); err != nil && ctx.Err() == nil {
					e.log.Warn("closing unstaffed counters failed", "err", err)
				}
			}
		}
	}
}
