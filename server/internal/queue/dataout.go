package queue

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/civiq/civiq/server/protocol"
)

// ValidateDone checks the visit record of POST /counters/{id}/done and
// returns it cleaned: codes and note trimmed, repeated codes (a scanner
// read twice) kept once.
func ValidateDone(req protocol.DoneRequest) (protocol.DoneRequest, error) {
	if req.Outcome != "" && !slices.Contains(protocol.Outcomes(), req.Outcome) {
		return req, Errorf(protocol.CodeBadRequest, "outcome must be one of %s", strings.Join(protocol.Outcomes(), ", "))
	}
	if len(req.DossierCodes) > protocol.MaxDossierCodes {
		return req, Errorf(protocol.CodeBadRequest, "at most %d dossier codes per visit", protocol.MaxDossierCodes)
	}
	var codes []string
	for _, c := range req.DossierCodes {
		c = strings.TrimSpace(c)
		if n := utf8.RuneCountInString(c); n < 1 || n > protocol.MaxDossierCodeLen || !utf8.ValidString(c) {
			return req, Errorf(protocol.CodeBadRequest, "a dossier code is 1 to %d characters", protocol.MaxDossierCodeLen)
		}
		for _, r := range c {
			if !unicode.IsPrint(r) {
				return req, Errorf(protocol.CodeBadRequest, "dossier code %q holds a character that is not printable", c)
			}
		}
		if !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	req.DossierCodes = codes
	req.Note = strings.TrimSpace(req.Note)
	if !utf8.ValidString(req.Note) || utf8.RuneCountInString(req.Note) > protocol.MaxVisitNote {
		return req, Errorf(protocol.CodeBadRequest, "the note is at most %d characters", protocol.MaxVisitNote)
	}
	for _, r := range req.Note {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return req, Errorf(protocol.CodeBadRequest, "the note holds control characters")
		}
	}
	return req, nil
}

// empty tells whether a visit record holds nothing to store.
func emptyVisit(req protocol.DoneRequest) bool {
	return req.Outcome == "" && len(req.DossierCodes) == 0 && req.Note == ""
}

// DoneWith completes the counter's current ticket with the clerk's visit
// record (outcome, dossier codes, note), stored in the same transaction; an
// empty record is Done. clerk is the user who pressed done, recorded when
// the ticket does not name the clerk who called it.
func (e *Engine) DoneWith(ctx context.Context, counterID, clerk string, req protocol.DoneRequest) (protocol.Ticket, error) {
	req, err := ValidateDone(req)
	if err != nil {
		return protocol.Ticket{}, err
	}
	return e.current(ctx, counterID, func(tx Tx, c *CounterRecord, cur *TicketRecord, now time.Time) error {
		cur.Status, cur.FinishedAt = protocol.StatusDone, &now
		if !emptyVisit(req) {
			v := Visit{TicketID: cur.ID, Day: cur.Day, ServiceID: cur.ServiceID, CounterID: counterID, ClerkID: cur.ClerkID,
				Outcome: req.Outcome, DossierCodes: req.DossierCodes, Note: req.Note, FinishedAt: now}
			if v.ClerkID == "" {
				v.ClerkID = clerk
			}
			if err := tx.InsertVisit(v); err != nil {
				return err
			}
			cur.Outcome, cur.DossierCodes, cur.Note = req.Outcome, req.DossierCodes, req.Note
		}
		return e.finish(tx, *cur, c, protocol.StatusDone, now)
	})
}

// withVisit adds the stored visit record to a finished ticket read from
// the store (tickets keep their record in another table).
func (e *Engine) withVisit(ctx context.Context, rec *TicketRecord) error {
	if rec.Status != protocol.StatusDone {
		return nil
	}
	v, err := e.store.VisitOf(ctx, rec.ID)
	if IsNotFound(err) {
		return nil
	} else if err != nil {
		return err
	}
	rec.Outcome, rec.DossierCodes, rec.Note = v.Outcome, v.DossierCodes, v.Note
	return nil
}

// Visits lists the visit records of tickets finished in [from, to).
func (e *Engine) Visits(ctx context.Context, from, to time.Time) ([]Visit, error) {
	out, err := e.store.Visits(ctx, from, to)
	for i := range out {
		out[i].FinishedAt = out[i].FinishedAt.In(e.opts.Location)
	}
	return out, err
}

// DisruptionAllowed decides whether the caller may start or end a
// disruption on counterIDs (empty: the whole centre); the HTTP layer
// passes the principal's rule.
type DisruptionAllowed func(counterIDs []string) error

// StartDisruption opens a disruption and publishes disruption.started. An
// identical one (same cause, same counters) already open is a conflict,
// so two clerks reporting the same fault do not double its minutes.
func (e *Engine) StartDisruption(ctx context.Context, by string, req protocol.DisruptionRequest, allowed DisruptionAllowed) (protocol.Disruption, error) {
	if !slices.Contains(protocol.Causes(), req.Cause) {
		return protocol.Disruption{}, Errorf(protocol.CodeBadRequest, "cause must be one of %s", strings.Join(protocol.Causes(), ", "))
	}
	req.Note = strings.TrimSpace(req.Note)
	if !utf8.ValidString(req.Note) || utf8.RuneCountInString(req.Note) > protocol.MaxDisruptionNote {
		return protocol.Disruption{}, Errorf(protocol.CodeBadRequest, "the note is at most %d characters", protocol.MaxDisruptionNote)
	}
	for _, r := range req.Note {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return protocol.Disruption{}, Errorf(protocol.CodeBadRequest, "the note holds control characters")
		}
	}
	ids := []string{}
	for _, id := range req.CounterIDs {
		if slices.Contains(ids, id) {
			return protocol.Disruption{}, Errorf(protocol.CodeBadRequest, "counter %q is listed twice", id)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if err := allowed(ids); err != nil {
		return protocol.Disruption{}, err
	}
	var out protocol.Disruption
	_, err := e.store.Update(ctx, func(tx Tx) error {
		for _, id := range ids {
			if _, err := tx.Counter(id); IsNotFound(err) {
				return Errorf(protocol.CodeUnprocessable, "unknown counter %q", id)
			} else if err != nil {
				return err
			}
		}
		open, err := tx.OpenDisruptions()
		if err != nil {
			return err
		}
		for _, o := range open {
			if o.Cause == req.Cause && slices.Equal(o.CounterIDs, ids) {
				return Errorf(protocol.CodeConflict, "this disruption is already open (%s)", o.ID)
			}
		}
		now := e.now()
		out = protocol.Disruption{ID: ticketID(), Cause: req.Cause, CounterIDs: ids, Note: req.Note, StartedAt: now}
		if err := tx.InsertDisruption(out, by); err != nil {
			return err
		}
		return tx.AppendEvent(protocol.EventDisruptionStarted, now, out)
	})
	return out, err
}

// EndDisruption ends an open disruption and publishes disruption.ended.
func (e *Engine) EndDisruption(ctx context.Context, id, by string, allowed DisruptionAllowed) (protocol.Disruption, error) {
	var out protocol.Disruption
	_, err := e.store.Update(ctx, func(tx Tx) error {
		d, err := tx.Disruption(id)
		if IsNotFound(err) {
			return Errorf(protocol.CodeNotFound, "unknown disruption %q", id)
		} else if err != nil {
			return err
		}
		if err := allowed(d.CounterIDs); err != nil {
			return err
		}
		if d.EndedAt != nil {
			return Errorf(protocol.CodeConflict, "disruption %s has already ended", id)
		}
		now := e.now()
		if err := tx.EndDisruption(id, now, by); err != nil {
			return err
		}
		d.EndedAt = &now
		d.StartedAt = d.StartedAt.In(e.opts.Location)
		out = d
		return tx.AppendEvent(protocol.EventDisruptionEnded, now, d)
	})
	return out, err
}

// Disruptions lists every disruption overlapping [from, to), oldest first.
func (e *Engine) Disruptions(ctx context.Context, from, to time.Time) ([]protocol.Disruption, error) {
	out, err := e.store.Disruptions(ctx, from, to)
	for i := range out {
		out[i] = localDisruption(out[i], e.opts.Location)
	}
	return out, err
}

func localDisruption(d protocol.Disruption, loc *time.Location) protocol.Disruption {
	d.StartedAt = d.StartedAt.In(loc)
	if d.EndedAt != nil {
		t := d.EndedAt.In(loc)
		d.EndedAt = &t
	}
	return d
}

// OpenDisruptions are the disruptions open now, oldest first.
func (e *Engine) OpenDisruptions() []protocol.Disruption {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return slices.Clone(e.c.board.Disruptions)
}

// DisruptionsOfField are the open disruptions touching field id: the
// centre-wide ones and those at a counter serving it (for the phone page),
// without their notes.
func (e *Engine) DisruptionsOfField(id string) []protocol.Disruption {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []protocol.Disruption
	for _, d := range e.c.board.Disruptions {
		touches := len(d.CounterIDs) == 0
		for _, cs := range e.c.board.Counters {
			if !touches && d.Touches(cs.Counter.ID) && slices.Contains(cs.Counter.ServiceIDs, id) {
				touches = true
			}
		}
		if touches {
			d.Note = ""
			out = append(out, d)
		}
	}
	return out
}

// CounterHistory lists the tickets finished at a counter today (done or
// no-show), newest first, with their visit records: the console's "just
// served" list, which survives a reload.
func (e *Engine) CounterHistory(ctx context.Context, counterID string, limit int) ([]protocol.Ticket, error) {
	if _, err := e.Counter(counterID); err != nil {
		return nil, err
	}
	recs, err := e.store.FinishedAt(ctx, counterID, Day(e.now(), e.opts.Location), limit)
	if err != nil {
		return nil, err
	}
	out := make([]protocol.Ticket, 0, len(recs))
	for _, rec := range recs {
		out = append(out, e.public(rec))
	}
	return out, nil
}
