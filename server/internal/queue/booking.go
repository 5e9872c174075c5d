package queue

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/civiq/civiq/server/protocol"
)

// Appointments: a citizen books a slot of a field on a day, gets
// a short code, and checks in at the kiosk with it for a ticket marked as
// booked. Every decision (capacity, one booking per phone, check-in) is
// made inside a store transaction, which the store serialises with every
// other write, so a slot is never overbooked.

// Booking defaults.
const (
	DefaultWindowBefore = 15 // minutes before the slot start
	DefaultWindowAfter  = 10 // minutes after the slot start
	maxDaysAhead        = 60
	maxSlotCapacity     = 1000
	// bookingAlphabet has no look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B, 6/G).
	bookingAlphabet = "ACDEFHJKMNPRTUVWXY3479"
	bookingCodeLen  = 6
)

// newBookingCode returns a random code of the booking alphabet.
func newBookingCode() string {
	b := make([]byte, bookingCodeLen)
	for i := range b {
		var r [1]byte
		for {
			rand.Read(r[:])
			// Reject the top of the byte range so every letter is equally likely.
			if int(r[0]) < 256-256%len(bookingAlphabet) {
				break
			}
		}
		b[i] = bookingAlphabet[int(r[0])%len(bookingAlphabet)]
	}
	return string(b)
}

// NormalizeBookingCode upper-cases a typed or scanned code and drops
// spaces and dashes; "" when it cannot be a booking code.
func NormalizeBookingCode(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == '\t':
		case r < 128 && strings.ContainsRune(bookingAlphabet, unicode.ToUpper(r)):
			b.WriteRune(unicode.ToUpper(r))
		default:
			return ""
		}
	}
	if b.Len() != bookingCodeLen {
		return ""
	}
	return b.String()
}

// normalizePhone keeps the digits of a Vietnamese phone number, with +84
// written as 0; ok is false when it is not 9 to 11 digits.
func normalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "+84") {
		s = "0" + s[3:]
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	if b.Len() < 9 || b.Len() > 11 {
		return "", false
	}
	return b.String(), true
}

// phoneHash is the keyed hash a phone number is stored as.
func phoneHash(secret []byte, phone string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("booking-phone:" + phone))
	return m.Sum(nil)
}

// ValidateBookingSettings checks s and fills in the default windows.
func ValidateBookingSettings(s *protocol.BookingSettings) error {
	if s.DaysAhead < 0 || s.DaysAhead > maxDaysAhead {
		return Errorf(protocol.CodeBadRequest, "days_ahead must be between 0 and %d", maxDaysAhead)
	}
	if s.WindowBefore == 0 {
		s.WindowBefore = DefaultWindowBefore
	}
	if s.WindowAfter == 0 {
		s.WindowAfter = DefaultWindowAfter
	}
	if s.WindowBefore < 0 || s.WindowBefore > 240 || s.WindowAfter < 0 || s.WindowAfter > 240 {
		return Errorf(protocol.CodeBadRequest, "window_before and window_after must be between 1 and 240 minutes")
	}
	for k, d := range s.Days {
		if !slices.Contains([]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, k) {
			return Errorf(protocol.CodeBadRequest, "unknown weekday %q (use mon, tue, wed, thu, fri, sat, sun)", k)
		}
		if d.Capacity < 0 || d.Capacity > maxSlotCapacity {
			return Errorf(protocol.CodeBadRequest, "%s: capacity must be between 0 and %d", k, maxSlotCapacity)
		}
		if len(d.Starts) > 200 {
			return Errorf(protocol.CodeBadRequest, "%s: at most 200 slot starts", k)
		}
		for _, st := range d.Starts {
			m, err := parseClock(st)
			if err != nil || m >= 24*60 {
				return Errorf(protocol.CodeBadRequest, "%s: slot start %q is not HH:MM", k, st)
			}
		}
		if len(d.Starts) == 0 && d.Capacity > 0 && (d.SlotMinutes < 5 || d.SlotMinutes > 240) {
			return Errorf(protocol.CodeBadRequest, "%s: slot_minutes must be between 5 and 240 (or give starts)", k)
		}
	}
	return nil
}

// slotStarts are the slot starts of a field on day (YYYY-MM-DD in loc),
// with the capacity of each; none when the weekday takes no bookings.
func slotStarts(set protocol.BookingSettings, hours protocol.Hours, day string, loc *time.Location) ([]time.Time, int) {
	d0, err := time.ParseInLocation(time.DateOnly, day, loc)
	if err != nil {
		return nil, 0
	}
	key := weekdayKey(d0.Weekday())
	plan, ok := set.Days[key]
	if !ok || plan.Capacity <= 0 {
		return nil, 0
	}
	at := func(min int) time.Time {
		return time.Date(d0.Year(), d0.Month(), d0.Day(), min/60, min%60, 0, 0, loc)
	}
	var out []time.Time
	if len(plan.Starts) > 0 {
		for _, s := range plan.Starts {
			if m, err := parseClock(s); err == nil {
				out = append(out, at(m))
			}
		}
	} else if plan.SlotMinutes > 0 {
		for _, s := range hours[key] {
			iv, err := parseInterval(s)
			if err != nil {
				continue
			}
			for m := iv.from; m+plan.SlotMinutes <= iv.to; m += plan.SlotMinutes {
				out = append(out, at(m))
			}
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(out, time.Time.Equal), plan.Capacity
}

// addDays is day plus n calendar days.
func addDays(day string, n int) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}

// bookableDay refuses a day the field takes no bookings on.
func (e *Engine) bookableDay(set protocol.BookingSettings, svc protocol.Service, day, today string, holiday bool) error {
	switch {
	case !set.Enabled || !svc.Enabled:
		return Errorf(protocol.CodeBookingClosed, "%s takes no bookings", svc.Name.Vi)
	case day < today:
		return Errorf(protocol.CodeBookingClosed, "%s is past", day)
	case day > addDays(today, set.DaysAhead):
		return Errorf(protocol.CodeBookingClosed, "%s can be booked at most %d days ahead", svc.Name.Vi, set.DaysAhead)
	case holiday:
		return Errorf(protocol.CodeBookingClosed, "the centre is closed on %s (holiday)", day)
	}
	return nil
}

// Slots lists the slots of a field on day with their free places; slots
// already started are left out.
func (e *Engine) Slots(ctx context.Context, serviceID, day string) ([]protocol.Slot, error) {
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return nil, Errorf(protocol.CodeBadRequest, "day must be YYYY-MM-DD")
	}
	set, svc, hours, err := e.bookingConfig(ctx, serviceID)
	if err != nil {
		return nil, err
	}
	hols, err := e.store.Holidays(ctx)
	if err != nil {
		return nil, err
	}
	now := e.now()
	holiday := slices.ContainsFunc(hols, func(h protocol.Holiday) bool { return h.Day == day })
	if err := e.bookableDay(set, svc, day, Day(now, e.opts.Location), holiday); err != nil {
		return nil, err
	}
	starts, capacity := slotStarts(set, hours, day, e.opts.Location)
	taken, err := e.store.SlotCounts(ctx, serviceID, day)
	if err != nil {
		return nil, err
	}
	out := []protocol.Slot{}
	for _, st := range starts {
		if !st.After(now) {
			continue
		}
		out = append(out, protocol.Slot{Start: st, Capacity: capacity, Free: max(0, capacity-taken[st.Unix()])})
	}
	return out, nil
}

// bookingConfig reads a field's settings and opening hours.
func (e *Engine) bookingConfig(ctx context.Context, serviceID string) (protocol.BookingSettings, protocol.Service, protocol.Hours, error) {
	e.mu.RLock()
	svc, ok := e.c.services[serviceID]
	centre := e.c.centre
	e.mu.RUnlock()
	if !ok {
		return protocol.BookingSettings{}, svc, nil, Errorf(protocol.CodeNotFound, "unknown service %q", serviceID)
	}
	all, err := e.store.ListBookingSettings(ctx)
	if err != nil {
		return protocol.BookingSettings{}, svc, nil, err
	}
	for _, s := range all {
		if s.ServiceID == serviceID {
			return s, svc, effectiveHours(svc, centre), nil
		}
	}
	return protocol.BookingSettings{ServiceID: serviceID}, svc, nil, Errorf(protocol.CodeBookingClosed, "%s takes no bookings", svc.Name.Vi)
}

// Book books a slot. by is "public" or the user or integration that books
// for a citizen.
func (e *Engine) Book(ctx context.Context, by string, req protocol.BookingRequest) (protocol.Booking, error) {
	if req.ServiceID == "" || req.Start.IsZero() {
		return protocol.Booking{}, Errorf(protocol.CodeBadRequest, "service_id and start are required")
	}
	phone := ""
	if req.Phone != "" {
		p, ok := normalizePhone(req.Phone)
		if !ok {
			return protocol.Booking{}, Errorf(protocol.CodeBadRequest, "phone must be 9 to 11 digits")
		}
		phone = p
	}
	var rec BookingRecord
	_, err := e.store.Update(ctx, func(tx Tx) error {
		now := e.now()
		loc := e.opts.Location
		svc, err := tx.Service(req.ServiceID)
		if IsNotFound(err) {
			return Errorf(protocol.CodeNotFound, "unknown service %q", req.ServiceID)
		} else if err != nil {
			return err
		}
		set, err := tx.BookingSettings(req.ServiceID)
		if IsNotFound(err) {
			return Errorf(protocol.CodeBookingClosed, "%s takes no bookings", svc.Name.Vi)
		} else if err != nil {
			return err
		}
		centre, err := tx.Centre()
		if err != nil {
			return err
		}
		day := Day(req.Start, loc)
		holiday, err := tx.Holiday(day)
		if err != nil {
			return err
		}
		if err := e.bookableDay(set, svc, day, Day(now, loc), holiday); err != nil {
			return err
		}
		starts, capacity := slotStarts(set, effectiveHours(svc, centre), day, loc)
		if !slices.ContainsFunc(starts, req.Start.Equal) {
			return Errorf(protocol.CodeUnprocessable, "%s is not a slot of %s", req.Start.In(loc).Format("2006-01-02 15:04"), svc.Name.Vi)
		}
		if !req.Start.After(now) {
			return Errorf(protocol.CodeBookingClosed, "this slot has already started")
		}
		taken, err := tx.CountSlot(svc.ID, req.Start)
		if err != nil {
			return err
		}
		if taken >= capacity {
			return Errorf(protocol.CodeSlotFull, "this slot is full")
		}
		var hash []byte
		if phone != "" {
			hash = phoneHash(tx.Secret(), phone)
			dup, err := tx.PhoneBooked(svc.ID, day, hash)
			if err != nil {
				return err
			}
			if dup {
				return Errorf(protocol.CodePhoneBooked, "this phone number already has a booking of %s on %s", svc.Name.Vi, day)
			}
		}
		code := ""
		for range 8 {
			c := newBookingCode()
			if _, err := tx.BookingByCode(c); IsNotFound(err) {
				code = c
				break
			} else if err != nil {
				return err
			}
		}
		if code == "" {
			return Errorf(protocol.CodeUnavailable, "no free booking code, try again")
		}
		rec = BookingRecord{
			Booking: protocol.Booking{
				Code: code, ServiceID: svc.ID, Day: day, SlotStart: req.Start.In(loc),
				WindowFrom: req.Start.Add(-time.Duration(set.WindowBefore) * time.Minute).In(loc),
				WindowTo:   req.Start.Add(time.Duration(set.WindowAfter) * time.Minute).In(loc),
				Status:     protocol.BookingBooked, HasPhone: hash != nil, CreatedAt: now, CreatedBy: by,
			},
			PhoneHash: hash,
		}
		return tx.InsertBooking(rec)
	})
	return e.bookingView(rec), err
}

// CancelBooking cancels a booking by its code. A booking made with a phone
// number needs the same number, unless privileged (the admin or the
// integration API). Cancelling a cancelled booking answers it again.
func (e *Engine) CancelBooking(ctx context.Context, code, phone string, privileged bool) (protocol.Booking, error) {
	c := NormalizeBookingCode(code)
	if c == "" {
		return protocol.Booking{}, Errorf(protocol.CodeNotFound, "unknown booking code")
	}
	var rec BookingRecord
	_, err := e.store.Update(ctx, func(tx Tx) error {
		var err error
		rec, err = tx.BookingByCode(c)
		if IsNotFound(err) {
			return Errorf(protocol.CodeNotFound, "unknown booking code")
		} else if err != nil {
			return err
		}
		if rec.PhoneHash != nil && !privileged {
			p, ok := normalizePhone(phone)
			if !ok || !hmac.Equal(phoneHash(tx.Secret(), p), rec.PhoneHash) {
				return Errorf(protocol.CodeForbidden, "this booking was made with a phone number: give the same number to cancel it")
			}
		}
		switch rec.Status {
		case protocol.BookingCancelled:
			return nil
		case protocol.BookingCheckedIn:
			return Errorf(protocol.CodeBookingUsed, "this booking was already checked in")
		case protocol.BookingNoShow:
			return Errorf(protocol.CodeBookingNoShow, "this booking's time has passed")
		}
		rec.Status = protocol.BookingCancelled
		return tx.UpdateBooking(rec)
	})
	return e.bookingView(rec), err
}

// bookingView is a stored booking with its times in the centre's zone.
func (e *Engine) bookingView(b BookingRecord) protocol.Booking {
	loc := e.opts.Location
	v := b.Booking
	v.SlotStart, v.WindowFrom, v.WindowTo, v.CreatedAt = v.SlotStart.In(loc), v.WindowFrom.In(loc), v.WindowTo.In(loc), v.CreatedAt.In(loc)
	if v.CheckedAt != nil {
		t := v.CheckedAt.In(loc)
		v.CheckedAt = &t
	}
	return v
}

// CheckIn turns a booking of today into a ticket of its field (issuer is
// the kiosk). Inside or before the window the ticket is booked (before,
// it waits until the window opens); after the window it is a walk-in
// ticket and the booking counts as a no-show. A second check-in returns
// the same ticket.
func (e *Engine) CheckIn(ctx context.Context, issuer, code, lang string) (protocol.CheckInResponse, string, error) {
	c := NormalizeBookingCode(code)
	if c == "" {
		return protocol.CheckInResponse{}, "", Errorf(protocol.CodeNotFound, "unknown booking code")
	}
	switch lang {
	case "":
		lang = protocol.LangVI
	case protocol.LangVI, protocol.LangEN:
	default:
		return protocol.CheckInResponse{}, "", Errorf(protocol.CodeBadRequest, "lang must be \"vi\" or \"en\"")
	}
	var out protocol.CheckInResponse
	var ticket TicketRecord
	_, err := e.store.Update(ctx, func(tx Tx) error {
		b, err := tx.BookingByCode(c)
		if IsNotFound(err) {
			return Errorf(protocol.CodeNotFound, "unknown booking code")
		} else if err != nil {
			return err
		}
		now := e.now()
		today := Day(now, e.opts.Location)
		if b.TicketID != "" {
			ticket, err = tx.Ticket(b.TicketID)
			if err != nil {
				return err
			}
			out = protocol.CheckInResponse{Booking: e.bookingView(b), Booked: b.Status == protocol.BookingCheckedIn,
				Late: b.Status != protocol.BookingCheckedIn, Replayed: true}
			return nil
		}
		switch {
		case b.Status == protocol.BookingCancelled:
			return Errorf(protocol.CodeBookingCancelled, "this booking was cancelled")
		case b.Day < today && b.Status == protocol.BookingNoShow:
			return Errorf(protocol.CodeBookingNoShow, "this booking was for %s and was not used", b.Day)
		case b.Day != today:
			return Errorf(protocol.CodeBookingOtherDay, "this booking is for %s, not today", b.Day)
		}
		e.mu.RLock()
		served := e.c.served(b.ServiceID)
		e.mu.RUnlock()
		req := protocol.IssueRequest{ServiceID: b.ServiceID, Lang: lang}
		if now.After(b.WindowTo) {
			// Late: the slot is lost; a walk-in ticket on the usual rules.
			ticket, err = e.issueTx(tx, issuer, req, "", served, nil)
			if err != nil {
				return err
			}
			b.Status = protocol.BookingNoShow
			out.Late = true
		} else {
			ticket, err = e.issueTx(tx, issuer, req, "", served, &b)
			if err != nil {
				return err
			}
			b.Status = protocol.BookingCheckedIn
			out.Booked, out.Early = true, now.Before(b.WindowFrom)
		}
		b.TicketID, b.TicketCode, b.CheckedAt = ticket.ID, ticket.Code, &now
		out.Booking = e.bookingView(b)
		return tx.UpdateBooking(b)
	})
	if err != nil {
		return protocol.CheckInResponse{}, "", err
	}
	out.Ticket = e.view(ticket)
	e.mu.RLock()
	tok := TicketToken(e.c.secret, ticket.ID)
	e.mu.RUnlock()
	return out, tok, nil
}

// markNoShows marks the bookings whose window ended without a check-in as
// no-shows (run by Housekeep).
func markNoShows(tx Tx, now time.Time) error {
	due, err := tx.DueBookings(now)
	if err != nil {
		return err
	}
	for _, b := range due {
		b.Status = protocol.BookingNoShow
		if err := tx.UpdateBooking(b); err != nil {
			return err
		}
	}
	return nil
}

// BookingSettings lists the settings of every field that has some.
func (e *Engine) BookingSettings(ctx context.Context) ([]protocol.BookingSettings, error) {
	return e.store.ListBookingSettings(ctx)
}

// PutBookingSettings replaces the settings of a field.
func (e *Engine) PutBookingSettings(ctx context.Context, s protocol.BookingSettings) (protocol.BookingSettings, error) {
	if err := ValidateBookingSettings(&s); err != nil {
		return s, err
	}
	_, err := e.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Service(s.ServiceID); IsNotFound(err) {
			return Errorf(protocol.CodeNotFound, "unknown service %q", s.ServiceID)
		} else if err != nil {
			return err
		}
		return tx.PutBookingSettings(s)
	})
	return s, err
}

// Holidays lists the centre's holidays.
func (e *Engine) Holidays(ctx context.Context) ([]protocol.Holiday, error) {
	return e.store.Holidays(ctx)
}

// PutHolidays replaces the centre's holidays.
func (e *Engine) PutHolidays(ctx context.Context, hs []protocol.Holiday) ([]protocol.Holiday, error) {
	if len(hs) > 1000 {
		return nil, Errorf(protocol.CodeBadRequest, "at most 1000 holidays")
	}
	seen := map[string]bool{}
	for i, h := range hs {
		if _, err := time.Parse(time.DateOnly, h.Day); err != nil {
			return nil, Errorf(protocol.CodeBadRequest, "holiday %q is not YYYY-MM-DD", h.Day)
		}
		if seen[h.Day] {
			return nil, Errorf(protocol.CodeBadRequest, "holiday %s is listed twice", h.Day)
		}
		seen[h.Day] = true
		hs[i].Name = strings.TrimSpace(h.Name)
		if len([]rune(hs[i].Name)) > 100 {
			return nil, Errorf(protocol.CodeBadRequest, "a holiday name has at most 100 characters")
		}
	}
	slices.SortFunc(hs, func(a, b protocol.Holiday) int { return strings.Compare(a.Day, b.Day) })
	if _, err := e.store.Update(ctx, func(tx Tx) error { return tx.PutHolidays(hs) }); err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.c.holidays = holidaySet(hs)
	e.c.holidaysGen++
	e.mu.Unlock()
	return hs, nil
}

func holidaySet(hs []protocol.Holiday) map[string]bool {
	out := make(map[string]bool, len(hs))
	for _, h := range hs {
		out[h.Day] = true
	}
	return out
}

// Bookings lists the bookings of day with their state.
func (e *Engine) Bookings(ctx context.Context, day string) ([]protocol.Booking, error) {
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return nil, Errorf(protocol.CodeBadRequest, "day must be YYYY-MM-DD")
	}
	recs, err := e.store.Bookings(ctx, day)
	if err != nil {
		return nil, err
	}
	out := make([]protocol.Booking, len(recs))
	for i, r := range recs {
		out[i] = e.bookingView(r)
	}
	return out, nil
}

// BookingStats counts bookings, check-ins and no-shows per field and day.
func (e *Engine) BookingStats(ctx context.Context, fromDay, toDay string) ([]protocol.BookingStat, error) {
	for _, d := range []string{fromDay, toDay} {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return nil, Errorf(protocol.CodeBadRequest, "from and to must be YYYY-MM-DD")
		}
	}
	if toDay < fromDay || toDay > addDays(fromDay, 400) {
		return nil, Errorf(protocol.CodeBadRequest, "to must be after from, at most 400 days apart")
	}
	return e.store.BookingStats(ctx, fromDay, toDay)
}

// Today is the current service day.
func (e *Engine) Today() string { return Day(e.now(), e.opts.Location) }
