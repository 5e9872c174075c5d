package protocol

import "time"

// Booking states.
const (
	BookingBooked    = "booked"
	BookingCheckedIn = "checked_in"
	BookingCancelled = "cancelled"
	BookingNoShow    = "no_show"
)

// Error codes of appointments (docs/API.md, "Appointments").
const (
	// CodeSlotFull: the slot has no free place left (409).
	CodeSlotFull = "slot_full"
	// CodeBookingClosed: the day is a holiday, closed, too far ahead or
	// past, or the field takes no bookings (422).
	CodeBookingClosed = "booking_closed"
	// CodePhoneBooked: this phone number already holds a booking of this
	// field on this day (409).
	CodePhoneBooked = "phone_already_booked"
	// CodeBookingCancelled: the booking was cancelled (409).
	CodeBookingCancelled = "booking_cancelled"
	// CodeBookingNoShow: the booking of an earlier day was not used (409).
	CodeBookingNoShow = "booking_no_show"
	// CodeBookingOtherDay: the booking is for another day than today (422).
	CodeBookingOtherDay = "booking_other_day"
	// CodeBookingUsed: the booking was already checked in and cannot be
	// cancelled (409).
	CodeBookingUsed = "booking_checked_in"
)

// BookingDay is the booking plan of one weekday of a field.
type BookingDay struct {
	// Starts are the slot start times "HH:MM"; when empty, slots of
	// SlotMinutes are laid out inside the field's opening hours of that day.
	Starts []string `json:"starts,omitempty"`
	// SlotMinutes is the slot length (5..240) when Starts is empty.
	SlotMinutes int `json:"slot_minutes,omitempty"`
	// Capacity is how many bookings each slot takes; 0 takes none that day.
	Capacity int `json:"capacity"`
}

// BookingSettings are the appointment settings of one field.
type BookingSettings struct {
	ServiceID string `json:"service_id"`
	Enabled   bool   `json:"enabled"`
	// DaysAhead is how many days after today a citizen may book (1..60);
	// today itself can be booked too.
	DaysAhead int `json:"days_ahead"`
	// WindowBefore and WindowAfter are the minutes before and after a
	// slot's start during which the booking checks in as booked (default
	// 15 and 10). After the window the booking is a no-show.
	WindowBefore int `json:"window_before"`
	WindowAfter  int `json:"window_after"`
	// Days maps "mon".."sun" to that weekday's plan; a weekday absent takes
	// no bookings.
	Days map[string]BookingDay `json:"days"`
}

// Holiday is a day the whole centre is closed: no bookings and, at the
// kiosk, no tickets.
type Holiday struct {
	Day  string `json:"day"`
	Name string `json:"name,omitempty"`
}

// Slot is one bookable slot of a field and day.
type Slot struct {
	Start    time.Time `json:"start"`
	Capacity int       `json:"capacity"`
	Free     int       `json:"free"`
}

// BookingRequest is the body of POST /api/v1/bookings.
type BookingRequest struct {
	ServiceID string `json:"service_id"`
	// Start is the slot start (RFC 3339), as listed by the slots endpoint.
	Start time.Time `json:"start"`
	// Phone is optional; it is kept only as a keyed hash.
	Phone string `json:"phone,omitempty"`
	Lang  string `json:"lang,omitempty"`
}

// CancelBookingRequest is the body of POST /api/v1/bookings/cancel.
type CancelBookingRequest struct {
	Code string `json:"code"`
	// Phone is required when the booking was made with one (the
	// integration API, with the admin role, may leave it out).
	Phone string `json:"phone,omitempty"`
}

// Booking is an appointment as the API shows it. The phone number is never
// shown; HasPhone says whether one was given.
type Booking struct {
	Code       string    `json:"code"`
	ServiceID  string    `json:"service_id"`
	Day        string    `json:"day"`
	SlotStart  time.Time `json:"slot_start"`
	WindowFrom time.Time `json:"window_from"`
	WindowTo   time.Time `json:"window_to"`
	Status     string    `json:"status"`
	HasPhone   bool      `json:"has_phone"`
	CreatedAt  time.Time `json:"created_at"`
	// CreatedBy is "public" or the user or integration that created it.
	CreatedBy string `json:"created_by,omitempty"`
	// TicketCode is the code of the ticket issued at check-in.
	TicketCode string     `json:"ticket_code,omitempty"`
	CheckedAt  *time.Time `json:"checked_at,omitempty"`
}

// CheckInRequest is the body of POST /api/v1/bookings/checkin.
type CheckInRequest struct {
	Code string `json:"code"`
	Lang string `json:"lang,omitempty"`
}

// CheckInResponse is the answer to a check-in: the ticket and whether it
// is a booked one. Late is true when the window had ended: the ticket is a
// walk-in. Early is true when the window has not opened yet: the ticket
// waits as booked and is called once it opens.
type CheckInResponse struct {
	Ticket  Ticket  `json:"ticket"`
	Booking Booking `json:"booking"`
	Booked  bool    `json:"booked"`
	Early   bool    `json:"early,omitempty"`
	Late    bool    `json:"late,omitempty"`
	// Replayed is true when the booking had already been checked in: the
	// same ticket is returned.
	Replayed bool `json:"replayed,omitempty"`
}

// BookingStat counts the bookings of one field and day for the reports.
type BookingStat struct {
	Day       string `json:"day"`
	ServiceID string `json:"service_id"`
	Booked    int    `json:"bookings"`
	CheckedIn int    `json:"checked_in"`
	NoShow    int    `json:"no_show"`
	Cancelled int    `json:"cancelled"`
}
