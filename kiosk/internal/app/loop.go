package app

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/civiq/civiq/kiosk/internal/printer"
	"github.com/civiq/civiq/kiosk/internal/spool"
	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
)

// syncBatch is how many offline tickets go in one sync request.
const syncBatch = 100

// Run keeps the kiosk live until ctx ends: it polls the field list every
// Poll (1 s: the server lets kiosks open no event stream, and one small
// GET a second shows a change made in /admin on the tiles within about a
// second), and while the server answers it syncs offline tickets, refills
// leases and sends heartbeats; while it does not, it retries after 0.5–1,
// 1–2, then 2–4 s (MaxBackoff, with jitter, so kiosks that lost the server
// together do not all knock at once), so offline tickets sync a few
// seconds after the server is back.
func (k *Kiosk) Run(ctx context.Context) {
	backoff := time.Duration(0)
	var b beat
	for {
		err := k.step(ctx, &b)
		if ctx.Err() != nil {
			return
		}
		wait := k.o.Poll
		if err != nil {
			backoff = min(max(2*backoff, time.Second), k.o.MaxBackoff)
			wait = jitter(backoff)
			k.o.Log.Debug("server unreachable", "err", err, "retry_in", wait)
		} else {
			backoff = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-k.o.After(wait):
		case <-k.kick:
		}
	}
}

// jitter spreads a wait of d over [d/2, d].
func jitter(d time.Duration) time.Duration {
	if d < 2 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// beat remembers the last heartbeat sent, so a change is reported at once,
// and the last printer check.
type beat struct {
	at        time.Time
	fault     printer.Reason
	pending   int
	printerAt time.Time
}

// Step is one round of Run (for tests and tools): refresh the fields,
// sync, refill leases, ask the printer and send a heartbeat. It returns
// the error that made the server count as unreachable, if any.
func (k *Kiosk) Step(ctx context.Context) error { return k.step(ctx, nil) }

// step sends a heartbeat when due or when something changed since b (nil:
// always), and asks the printer every third poll (nil: always).
func (k *Kiosk) step(ctx context.Context, b *beat) error {
	err := k.refresh(ctx)
	if err == nil && k.State().StorageDown {
		err = k.probe(ctx)
	}
	if err == nil {
		err = k.syncPending(ctx)
	}
	if err == nil {
		k.refill(ctx)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if b == nil || time.Since(b.printerAt) >= 3*k.o.Poll {
		k.checkPrinter(ctx)
		if b != nil {
			b.printerAt = time.Now()
		}
	}
	st := k.State()
	if err == nil && (b == nil || time.Since(b.at) >= k.o.Heartbeat || st.PrinterFault != b.fault || st.Pending != b.pending) {
		if k.heartbeat(ctx) == nil && b != nil {
			b.at, b.fault, b.pending = time.Now(), st.PrinterFault, st.Pending
		}
	}
	return err
}

// probe asks a server that could not store whether it can again: the
// heartbeat stores the kiosk's status.
func (k *Kiosk) probe(ctx context.Context) error {
	if err := k.heartbeat(ctx); client.IsUnreachable(err) {
		return err
	}
	k.o.Log.Info("server stores again")
	k.update(func(st *State) { st.Online, st.StorageDown = true, false })
	return nil
}

// refresh reads the centre and the field list.
func (k *Kiosk) refresh(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	svcs, err := k.o.Client.Services(rctx)
	var c protocol.Centre
	if err == nil {
		c, err = k.o.Client.Centre(rctx)
	}
	if err != nil {
		if k.State().Online {
			k.o.Log.Warn("server unreachable", "err", err)
		}
		k.setOffline(err)
		return err
	}
	if err := k.o.Spool.SetCache(c, svcs); err != nil {
		k.o.Log.Error("cannot keep the field list", "err", err)
	}
	loc := location(c)
	k.mu.Lock()
	k.loc = loc
	k.mu.Unlock()
	k.update(func(st *State) {
		st.Centre, st.Services, st.Known = c, svcs, true
		if st.StorageDown {
			return // online again once it stores (probe)
		}
		if !st.Online {
			k.o.Log.Info("server reachable")
		}
		st.Online = true
	})
	return nil
}

// syncPending hands the offline tickets to the server, oldest first.
func (k *Kiosk) syncPending(ctx context.Context) error {
	for {
		pend := k.o.Spool.Pending()
		if len(pend) == 0 {
			return nil
		}
		batch := make([]protocol.OfflineTicket, 0, min(len(pend), syncBatch))
		for _, p := range pend[:min(len(pend), syncBatch)] {
			batch = append(batch, p.OfflineTicket)
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		res, err := k.o.Client.SyncTickets(sctx, batch)
		cancel()
		if err != nil {
			if client.IsUnreachable(err) {
				k.setOffline(err)
				return err
			}
			// A refusal of the whole batch is a bug on one side; keep the
			// tickets (they are the citizens') and try again later.
			k.o.Log.Error("offline tickets refused", "err", err, "count", len(batch))
			return err
		}
		done := make([]protocol.OfflineTicket, 0, len(batch))
		for i, r := range res.Results {
			if i >= len(batch) {
				break
			}
			if r.Error != nil {
				// Refused for good (not retriable): logged for the staff.
				k.o.Log.Error("offline ticket refused", "code", pend[i].Code, "error", r.Error.Code, "message", r.Error.Message)
			} else {
				k.o.Log.Info("offline ticket synced", "code", pend[i].Code, "replayed", r.Replayed)
			}
			done = append(done, batch[i])
		}
		if err := k.o.Spool.Done(done); err != nil {
			return err
		}
		n := len(k.o.Spool.Pending())
		k.update(func(st *State) { st.Pending = n })
		if len(done) == 0 {
			return nil
		}
	}
}

// refill keeps LeaseSize/2 to LeaseSize numbers per field for today and
// tomorrow, so the kiosk can go on across midnight.
func (k *Kiosk) refill(ctx context.Context) {
	now := k.o.Now()
	if err := k.o.Spool.Prune(now); err != nil {
		k.o.Log.Error("spool", "err", err)
	}
	k.mu.Lock()
	loc := k.loc
	k.mu.Unlock()
	local := now.In(loc)
	days := []string{local.Format("2006-01-02"), time.Date(local.Year(), local.Month(), local.Day()+1, 12, 0, 0, 0, loc).Format("2006-01-02")}
	for _, svc := range k.State().Services {
		if !svc.Enabled {
			continue
		}
		for _, day := range days {
			if k.o.Spool.Available(svc.ID, day) > k.o.LeaseSize/2 {
				continue
			}
			lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			l, err := k.o.Client.Lease(lctx, protocol.LeaseRequest{ServiceID: svc.ID, Day: day, Count: k.o.LeaseSize})
			cancel()
			if err != nil {
				k.o.Log.Warn("lease refused", "service", svc.ID, "day", day, "err", err)
				if storageDown(err) {
					k.setOffline(err)
				}
				return
			}
			if err := k.o.Spool.AddLease(l); err != nil {
				k.o.Log.Error("cannot keep lease", "err", err)
				return
			}
		}
	}
}

// checkPrinter asks the printer how it is, so a fault shows before the
// next citizen taps, and a fixed printer clears the message.
func (k *Kiosk) checkPrinter(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	pr, _ := k.Printer()
	s, err := pr.Status(pctx)
	if ctx.Err() != nil {
		return
	}
	var fault printer.Reason
	state := s.State
	switch {
	case err != nil:
		fault = printer.ReasonOf(err)
		if fault == "" {
			fault = printer.ReasonError
		}
		state = stateOf(fault)
	case !s.Ready():
		fault = reasonOfState(s.State)
	}
	k.update(func(st *State) { st.Printer, st.PrinterFault = state, fault })
}

func reasonOfState(s printer.State) printer.Reason {
	switch s {
	case printer.StatePaperOut:
		return printer.ReasonPaperOut
	case printer.StateCoverOpen:
		return printer.ReasonCoverOpen
	case printer.StateOffline:
		return printer.ReasonOffline
	}
	return printer.ReasonError
}

// heartbeat reports the printer and the pending offline tickets.
func (k *Kiosk) heartbeat(ctx context.Context) error {
	st := k.State()
	hs := protocol.DeviceStatus{Pending: len(k.o.Spool.Pending()), Version: k.o.Version}
	if st.Printer != printer.StateUnknown {
		hs.Printer = string(st.Printer)
	}
	if st.PrinterFault != "" {
		hs.Message = "Máy in gặp sự cố: " + st.PrinterFault.Text("vi")
	}
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := k.o.Client.Heartbeat(hctx, hs)
	if err != nil && !client.IsUnreachable(err) {
		k.o.Log.Warn("heartbeat refused", "err", err)
	}
	if storageDown(err) {
		k.setOffline(err)
	}
	return err
}

// Pending returns the offline tickets not synced yet.
func (k *Kiosk) Pending() []spool.Pending { return k.o.Spool.Pending() }
