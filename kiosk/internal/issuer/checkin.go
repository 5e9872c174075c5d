package issuer

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
)

// Booking codes (issue 17): six characters of an alphabet without
// look-alikes, as the server makes them (server/internal/queue's
// bookingAlphabet; the kiosk cannot import it, so it is repeated here and
// a test of package ui checks a code the server made).
const (
	// BookingAlphabet is every character a booking code may hold, in the
	// order of the kiosk's on-screen keyboard.
	BookingAlphabet = "ACDEFHJKMNPRTUVWXY3479"
	// BookingCodeLen is the length of a booking code.
	BookingCodeLen = 6
)

// BookingCode upper-cases a typed or scanned code and drops spaces and
// dashes, as the server does; "" when it cannot be a booking code.
func BookingCode(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r == ' ' || r == '-' || r == '\t':
		case r < 128 && strings.ContainsRune(BookingAlphabet, unicode.ToUpper(r)):
			b.WriteRune(unicode.ToUpper(r))
		default:
			return ""
		}
	}
	if b.Len() != BookingCodeLen {
		return ""
	}
	return b.String()
}

// ErrCheckInOffline means the server cannot be reached: a booking is
// checked only by the server, so the kiosk cannot check one in offline
// (it can still issue a walk-in ticket from its leases).
var ErrCheckInOffline = errors.New("app: bookings cannot be checked in while the server is unreachable")

// CheckIn checks a booking in (the code typed or scanned at the kiosk)
// and prints its ticket. The answer says whether the ticket is booked,
// early (it waits until its window opens) or late (a walk-in ticket). The
// server's refusals (unknown, cancelled, another day) come back as
// *client.Error; an unreachable server as ErrCheckInOffline.
func (k *Kiosk) CheckIn(ctx context.Context, code, lang string) (Result, protocol.CheckInResponse, error) {
	if lang != protocol.LangEN {
		lang = protocol.LangVI
	}
	if !k.State().Online {
		return Result{}, protocol.CheckInResponse{}, ErrCheckInOffline
	}
	cctx, cancel := context.WithTimeout(ctx, max(k.o.IssueTimeout, 5*time.Second))
	resp, err := k.o.Client.CheckInBooking(cctx, code, lang)
	cancel()
	if err != nil {
		if client.IsUnreachable(err) && ctx.Err() == nil {
			k.o.Log.Warn("server unreachable, booking not checked in", "err", err)
			k.setOffline(err)
			k.wake()
			return Result{}, protocol.CheckInResponse{}, ErrCheckInOffline
		}
		return Result{}, protocol.CheckInResponse{}, err
	}
	svc, ok := k.field(resp.Ticket.ServiceID)
	if !ok {
		svc = protocol.Service{ID: resp.Ticket.ServiceID, Name: protocol.Text{Vi: resp.Ticket.ServiceID}}
	}
	res := Result{Ticket: resp.Ticket, Field: svc}
	if res.Ticket.Lang == "" {
		res.Ticket.Lang = lang
	}
	res.img, err = k.render(res)
	if err != nil {
		return res, resp, err
	}
	res.PrintErr = k.print(ctx, res)
	return res, resp, nil
}

// Location is the centre's time zone (slot times are shown in it).
func (k *Kiosk) Location() *time.Location {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.loc
}
