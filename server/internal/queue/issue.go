package queue

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/civiq/civiq/internal/cccd"
	"github.com/civiq/civiq/server/protocol"
)

// FormatCode formats a ticket code: prefix and at least three digits (A001,
// A999, A1000).
func FormatCode(prefix string, n int) string { return fmt.Sprintf("%s%03d", prefix, n) }

// IssueResult is a newly issued (or idempotently re-read) ticket.
type IssueResult struct {
	Ticket protocol.Ticket
	// Token is the ticket's bearer token for the phone page.
	Token string
	// Replayed is true when an Idempotency-Key matched an earlier issue.
	Replayed bool
}

const maxIdemKeyLen = 200

// Issue issues a ticket in req.ServiceID. issuer names the kiosk or user; an
// idemKey already used by the same issuer returns the earlier ticket.
func (e *Engine) Issue(ctx context.Context, issuer string, req protocol.IssueRequest, idemKey string) (IssueResult, error) {
	if req.ServiceID == "" {
		return IssueResult{}, Errorf(protocol.CodeBadRequest, "service_id is required")
	}
	switch req.Lang {
	case "":
		req.Lang = protocol.LangVI
	case protocol.LangVI, protocol.LangEN:
	default:
		return IssueResult{}, Errorf(protocol.CodeBadRequest, "lang must be \"vi\" or \"en\"")
	}
	if err := validIDCard(req.IDCard, e.now()); err != nil {
		return IssueResult{}, err
	}
	if len(idemKey) > maxIdemKeyLen || !utf8.ValidString(idemKey) {
		return IssueResult{}, Errorf(protocol.CodeBadRequest, "Idempotency-Key is longer than %d bytes or not UTF-8", maxIdemKeyLen)
	}
	// Whether a counter serves the field is read from the cache (updated
	// before a counter change returns), not from every counter row in the
	// issuing transaction: a race with a counter edit is harmless.
	e.mu.RLock()
	served := e.c.served(req.ServiceID)
	e.mu.RUnlock()
	var rec TicketRecord
	replayed := false
	_, err := e.store.Update(ctx, func(tx Tx) error {
		if idemKey != "" {
			old, err := tx.TicketByIdemKey(issuer, idemKey)
			switch {
			case err == nil:
				if old.IssueServiceID != req.ServiceID || old.Priority != req.Priority {
					return Errorf(protocol.CodeConflict, "Idempotency-Key was already used for another request")
				}
				rec, replayed = old, true
				return nil
			case !IsNotFound(err):
				return err
			}
		}
		var err error
		rec, err = e.issueTx(tx, issuer, req, idemKey, served, nil)
		return err
	})
	if err != nil {
		return IssueResult{}, err
	}
	if req.IDCard != nil && req.IDCard.Name != "" && !replayed {
		if c := e.Centre(); c.ShowCitizenName != nil && *c.ShowCitizenName {
			e.rememberName(rec.ID, req.IDCard.Name)
		}
	}
	t := e.view(rec)
	e.mu.RLock()
	tok := TicketToken(e.c.secret, rec.ID)
	e.mu.RUnlock()
	return IssueResult{Ticket: t, Token: tok, Replayed: replayed}, nil
}

// issueTx issues a ticket inside tx. booked is the booking a check-in
// issues the ticket for (booking.go), nil for a walk-in; a booked ticket
// is issued outside the opening hours too (its window may open before
// them), beyond the daily cap, and on no holiday check (bookings refuse
// holidays).
func (e *Engine) issueTx(tx Tx, issuer string, req protocol.IssueRequest, idemKey string, served bool, booked *BookingRecord) (TicketRecord, error) {
	var rec TicketRecord
	now := e.now()
	day := Day(now, e.opts.Location)
	svc, err := tx.Service(req.ServiceID)
	if IsNotFound(err) {
		return rec, Errorf(protocol.CodeNotFound, "unknown service %q", req.ServiceID)
	} else if err != nil {
		return rec, err
	}
	if !svc.Enabled {
		return rec, Errorf(protocol.CodeServiceClosed, "%s is closed today", svc.Name.Vi)
	}
	if !svc.AcceptUnserved && !served {
		return rec, Errorf(protocol.CodeServiceClosed, "no counter serves %s, so nobody would call the ticket (closed_reason no_counter)", svc.Name.Vi)
	}
	centre, err := tx.Centre()
	if err != nil {
		return rec, err
	}
	if booked == nil && !OpenAt(effectiveHours(svc, centre), now) {
		return rec, Errorf(protocol.CodeOutsideHours, "%s is outside its opening hours", svc.Name.Vi)
	}
	if booked == nil {
		if hol, err := tx.Holiday(day); err != nil {
			return rec, err
		} else if hol {
			return rec, Errorf(protocol.CodeServiceClosed, "the centre is closed today (holiday)")
		}
	}
	n, err := tx.NextNumber(svc.ID, day)
	if err != nil {
		return rec, err
	}
	// A booked ticket was admitted when it was booked: the daily cap
	// counts walk-ins.
	if booked == nil && svc.DailyCap > 0 && n > svc.DailyCap {
		return rec, Errorf(protocol.CodeDailyCapReached, "%s has issued its %d tickets for today", svc.Name.Vi, svc.DailyCap)
	}
	// Numbers above OfflineBase belong to kiosks' offline leases (lease.go).
	if n > protocol.OfflineBase {
		return rec, Errorf(protocol.CodeDailyCapReached, "%s has issued its %d online numbers for today", svc.Name.Vi, protocol.OfflineBase)
	}
	var idHash []byte
	if req.IDCard != nil && booked == nil {
		idHash = cccd.Hash(tx.Secret(), req.IDCard.Number)
		if err := idDailyCap(tx, centre, idHash, day, svc); err != nil {
			return rec, err
		}
	}
	id := ticketID()
	rec = TicketRecord{
		Ticket: protocol.Ticket{
			ID: id, Code: FormatCode(svc.Prefix, n), Number: n, ServiceID: svc.ID,
			Status: protocol.StatusWaiting, Priority: req.Priority, IssuedAt: now,
			Day: day, Lang: req.Lang,
		},
		IssueServiceID: svc.ID,
		TokenHash:      HashToken(TicketToken(tx.Secret(), id)),
		IssuedBy:       issuer,
		IdemKey:        idemKey,
		IDHash:         idHash,
	}
	if idHash != nil {
		rec.BirthYear = req.IDCard.BirthYear
	}
	if booked != nil {
		rec.Booking = &protocol.TicketBooking{Code: booked.Code, SlotStart: booked.SlotStart.In(e.opts.Location),
			WindowFrom: booked.WindowFrom.In(e.opts.Location), WindowTo: booked.WindowTo.In(e.opts.Location)}
	}
	if err := tx.InsertTicket(rec); err != nil {
		return rec, err
	}
	return rec, tx.AppendEvent(protocol.EventTicketIssued, now, e.public(rec))
}

// validIDCard checks the ID card sent with an issue: a 12-digit number and
// a birth year from 1900 to this year.
func validIDCard(c *protocol.IssueIDCard, now time.Time) error {
	if c == nil {
		return nil
	}
	if len(c.Name) > maxCitizenName || !utf8.ValidString(c.Name) || strings.ContainsFunc(c.Name, unicode.IsControl) {
		return Errorf(protocol.CodeBadRequest, "id_card.name must be printable UTF-8 of at most %d bytes", maxCitizenName)
	}
	if len(c.Number) != 12 || strings.Trim(c.Number, "0123456789") != "" {
		return Errorf(protocol.CodeBadRequest, "id_card.number must be 12 digits")
	}
	if c.BirthYear < 1900 || c.BirthYear > now.Year() {
		return Errorf(protocol.CodeBadRequest, "id_card.birth_year must be from 1900 to %d", now.Year())
	}
	return nil
}

// idDailyCap refuses a ticket to the citizen of idHash when they have
// taken the centre's id_daily_cap tickets today, or its
// id_daily_cap_per_field in svc. The count runs inside the issuing
// transaction, so two kiosks cannot both pass it.
func idDailyCap(tx Tx, centre protocol.Centre, idHash []byte, day string, svc protocol.Service) error {
	total, perField := 0, 0
	if centre.IDDailyCap != nil {
		total = *centre.IDDailyCap
	}
	if centre.IDDailyCapPerField != nil {
		perField = *centre.IDDailyCapPerField
	}
	if total <= 0 && perField <= 0 {
		return nil
	}
	n, inField, err := tx.IDTicketCounts(idHash, day, svc.ID)
	if err != nil {
		return err
	}
	if total > 0 && n >= total {
		return Errorf(protocol.CodeIDDailyCap, "this citizen has taken the %d tickets a day the centre allows one person", total)
	}
	if perField > 0 && inField >= perField {
		return Errorf(protocol.CodeIDDailyCap, "this citizen has taken the %d tickets a day in %s the centre allows one person", perField, svc.Name.Vi)
	}
	return nil
}
