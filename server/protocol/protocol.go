// Package protocol holds the public wire types of CiviQ (wire contract v1).
//
// It is shared by the server, the kiosk, the display and outside clients, so
// it imports only the standard library. Fields may be added; existing fields
// are never renamed or removed.
//
// Beside the types it holds the one reader of event data (DecodeEvent) and
// the pure reducers built on it: Apply folds events into the hall's Board
// (displays, the server's cache, the pages' board.js cross-checked against
// it), PhoneChange folds them into a phone's TicketView (the server's
// ticket hub).
package protocol

import (
	"encoding/json"
	"time"
)

// Version is the wire contract version served under /api/v1.
const Version = "v1"

// Text is a name in Vietnamese (first) and English.
type Text struct {
	Vi string `json:"vi"`
	En string `json:"en"`
}

// In returns the text in lang ("vi" or "en"), falling back to Vietnamese.
func (t Text) In(lang string) string {
	if lang == LangEN && t.En != "" {
		return t.En
	}
	return t.Vi
}

// Languages a ticket may be issued in.
const (
	LangVI = "vi"
	LangEN = "en"
)

// Reasons a field is not open for new tickets (Service.ClosedReason).
const (
	ClosedOutsideHours = "outside_hours"
	ClosedDailyCap     = "daily_cap"
	ClosedDisabled     = "disabled"
	// ClosedNoCounter: no counter serves the field, so nobody would call
	// its tickets (unless the admin set Service.AcceptUnserved).
	ClosedNoCounter = "no_counter"
	// ClosedHoliday: the centre is closed today (a holiday).
	ClosedHoliday = "holiday"
)

// Service is a field (lĩnh vực) citizens take tickets for. The wire
// contract calls it a service (service_id, /api/v1/services), so does the
// code; prose and comments say field (docs/ARCHITECTURE.md, "Glossary").
type Service struct {
	ID     string `json:"id"`
	Prefix string `json:"prefix"`
	Name   Text   `json:"name"`
	// Open tells whether a ticket can be issued now.
	Open bool `json:"open"`
	// Waiting is the number of tickets waiting in this field.
	Waiting int `json:"waiting"`

	// ClosedReason says why Open is false: outside_hours, daily_cap,
	// disabled or no_counter.
	ClosedReason string `json:"closed_reason,omitempty"`
	// DailyCap is the most tickets issued per day (0: no cap).
	DailyCap int `json:"daily_cap"`
	// IssuedToday counts tickets issued today in this field.
	IssuedToday int `json:"issued_today"`
	// TargetMinutes is the service-level target for the wait (0: none).
	TargetMinutes int `json:"target_minutes"`
	// Enabled is false when an admin switched the field off.
	Enabled bool `json:"enabled"`
	// Order is the position on the kiosk (ascending).
	Order int `json:"order"`
	// Hours are the opening hours of this field; empty means the centre's hours.
	Hours Hours `json:"hours,omitempty"`
	// AvgServiceSeconds is the rolling mean service time used for estimates.
	AvgServiceSeconds int `json:"avg_service_seconds,omitempty"`
	// ETANewSeconds is the expected wait of a ticket issued now in this
	// field (an extension of the contract, in GET /api/v1/services only;
	// absent when the field is closed or no open counter serves it; 0 when
	// a counter would call it at once).
	ETANewSeconds *int `json:"eta_new_seconds,omitempty"`
	// Group is an optional heading the kiosk groups fields under (a
	// department with its procedures, or "Nhận hồ sơ" / "Trả kết quả");
	// absent: the field stands on its own.
	Group *Text `json:"group,omitempty"`
	// AcceptUnserved lets the kiosk issue tickets for the field even when
	// no counter serves it (otherwise it is closed with reason no_counter).
	AcceptUnserved bool `json:"accept_unserved,omitempty"`
	// PriorityRule is how call-next orders the field's priority tickets
	// against its regular ones (an extension of the contract): "strict"
	// (absent: priority first, at most MaxPriorityStreak in a row while
	// regular tickets wait), "interleave" (1 priority : PriorityEvery
	// regular while both wait) or "off" (priority tickets queue with
	// everyone by issue time).
	PriorityRule string `json:"priority_rule,omitempty"`
	// PriorityEvery is N of the interleave rule (1–20); 0 otherwise.
	PriorityEvery int `json:"priority_every,omitempty"`
	// BookedPosition is where call-next puts the field's booked tickets
	// inside their window (an extension of the contract): "first" (absent:
	// before everyone, as Qmatic and bcgov's TheQ call a checked-in
	// appointment), "after_priority" (after the priority tickets the
	// priority rule would call, within its anti-starvation bound: priority
	// by law before a booked time) or "in_line" (in the walk-in line at
	// the slot's start, as Qminder places an appointment: the booked
	// citizen is served as if they had come at their booked time).
	BookedPosition string `json:"booked_position,omitempty"`
}

// Positions of a field's booked tickets (Service.BookedPosition).
const (
	BookedFirst         = "first"
	BookedAfterPriority = "after_priority"
	BookedInLine        = "in_line"
)

// Booked is the field's booked position, with the default filled in.
func (s Service) Booked() string {
	if s.BookedPosition == "" {
		return BookedFirst
	}
	return s.BookedPosition
}

// Priority rules of a field (Service.PriorityRule).
const (
	PriorityStrict     = "strict"
	PriorityInterleave = "interleave"
	PriorityOff        = "off"
)

// MaxPriorityEvery bounds Service.PriorityEvery.
const MaxPriorityEvery = 20

// Rule is the field's priority rule, with the default filled in.
func (s Service) Rule() string {
	if s.PriorityRule == "" {
		return PriorityStrict
	}
	return s.PriorityRule
}

// Hours are opening hours per weekday. Keys are "mon".."sun"; each value is a
// list of "HH:MM-HH:MM" intervals in the centre's time zone ("24:00" ends the
// day). A weekday that is absent or has no interval is closed.
type Hours map[string][]string

// Counter statuses.
const (
	CounterOpen   = "open"
	CounterPaused = "paused"
	CounterClosed = "closed"
)

// Counter is a service desk (quầy).
type Counter struct {
	ID         string   `json:"id"`
	Number     int      `json:"number"`
	Name       Text     `json:"name"`
	ServiceIDs []string `json:"service_ids"`
	Status     string   `json:"status"`
	// ServedToday counts tickets finished (done) at this counter today.
	ServedToday int `json:"served_today"`
}

// Ticket statuses.
const (
	StatusWaiting   = "waiting"
	StatusCalled    = "called"
	StatusDone      = "done"
	StatusNoShow    = "no_show"
	StatusCancelled = "cancelled"
)

// Ticket is a queue ticket. Token and TrackURL are only sent to whoever issued
// the ticket and to holders of the token; boards and events omit them.
type Ticket struct {
	ID         string     `json:"id"`
	Code       string     `json:"code"`
	Number     int        `json:"number"`
	ServiceID  string     `json:"service_id"`
	Status     string     `json:"status"`
	Priority   bool       `json:"priority"`
	IssuedAt   time.Time  `json:"issued_at"`
	CalledAt   *time.Time `json:"called_at,omitempty"`
	CounterID  string     `json:"counter_id,omitempty"`
	Token      string     `json:"token,omitempty"`
	TrackURL   string     `json:"track_url,omitempty"`
	Ahead      int        `json:"ahead"`
	ETASeconds int        `json:"eta_seconds"`
	// ETALowSeconds and ETAHighSeconds are the range 8 in 10 citizens in
	// this position are called in (an extension of the contract; absent
	// when there is no range: a free counter, or no open counter).
	ETALowSeconds  int `json:"eta_low_seconds,omitempty"`
	ETAHighSeconds int `json:"eta_high_seconds,omitempty"`

	// Day is the local service day (YYYY-MM-DD) the number belongs to.
	Day string `json:"day"`
	// Lang is the language the citizen chose at the kiosk.
	Lang string `json:"lang"`
	// FinishedAt is when the ticket was done, no-show or cancelled.
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// Recalls counts recalls of the current call.
	Recalls int `json:"recalls,omitempty"`
	// FromServiceID is the field a transferred ticket came from.
	FromServiceID string `json:"from_service_id,omitempty"`
	// Offline is true for a ticket a kiosk issued while the server was unreachable.
	Offline bool `json:"offline,omitempty"`

	// Outcome, DossierCodes and Note are the visit record the clerk noted
	// when the ticket was done (shared/DATA-OUT.md); absent when none was
	// recorded. The phone view never carries Note.
	Outcome      string   `json:"outcome,omitempty"`
	DossierCodes []string `json:"dossier_codes,omitempty"`
	Note         string   `json:"note,omitempty"`

	// Booking is set on a ticket a citizen booked ahead and checked in
	// (an extension of the contract; absent for walk-ins). Call-next gives
	// it its own class while its window is open (docs/ARCHITECTURE.md).
	Booking *TicketBooking `json:"booking,omitempty"`
}

// TicketBooking is the booking a ticket was checked in with.
type TicketBooking struct {
	// Code is the booking code the citizen was given. It is a credential
	// (it cancels and checks in the booking), so it never goes on the wire:
	// tickets reach hall displays. The stores keep it (queue.EncodeBooking).
	Code string `json:"-"`
	// SlotStart is the start of the booked time slot.
	SlotStart time.Time `json:"slot_start"`
	// WindowFrom and WindowTo bound the window in which the booked ticket
	// is called before walk-ins: before WindowFrom it waits (early), after
	// WindowTo it counts as a walk-in by its issue time (late).
	WindowFrom time.Time `json:"window_from"`
	WindowTo   time.Time `json:"window_to"`
}

// Booked phases of a ticket at an instant (TicketBooking.Phase).
const (
	BookingNone   = ""      // a walk-in
	BookingEarly  = "early" // before its window opens
	BookingWindow = "window"
	BookingLate   = "late" // its window has closed: a walk-in
)

// Phase tells where at is relative to the booking's window; a nil booking
// is BookingNone.
func (b *TicketBooking) Phase(at time.Time) string {
	switch {
	case b == nil:
		return BookingNone
	case at.Before(b.WindowFrom):
		return BookingEarly
	case at.After(b.WindowTo):
		return BookingLate
	}
	return BookingWindow
}

// Call is one call-out of a ticket to a counter.
type Call struct {
	Ticket  Ticket    `json:"ticket"`
	Counter Counter   `json:"counter"`
	At      time.Time `json:"at"`
	Recall  bool      `json:"recall"`
}

// CounterState is a counter with the ticket it serves now.
type CounterState struct {
	Counter Counter `json:"counter"`
	Current *Ticket `json:"current"`
}

// Board is what the hall displays show: the state at event Seq of Epoch.
type Board struct {
	Seq      int64          `json:"seq"`
	Epoch    string         `json:"epoch"`
	Counters []CounterState `json:"counters"`
	Recent   []Call         `json:"recent"`
	Waiting  map[string]int `json:"waiting"`

	// Centre carries the centre's name and display settings.
	Centre *Centre `json:"centre,omitempty"`
	// Services lists the fields (for names and prefixes on displays).
	Services []Service `json:"services,omitempty"`
	// Disruptions are the disruptions open now, oldest first (displays
	// show a calm notice while one is open).
	Disruptions []Disruption `json:"disruptions,omitempty"`
}

// Centre holds centre-wide settings shown to every device.
type Centre struct {
	Name     Text   `json:"name"`
	TimeZone string `json:"timezone"`
	// Notice is the scrolling notice line on the displays.
	Notice Text `json:"notice"`
	// ReadNumbers is "number" (A012 read "a, mười hai") or "digits" ("a, không, một, hai").
	ReadNumbers string `json:"read_numbers"`
	// Hours are the centre's default opening hours.
	Hours Hours `json:"hours,omitempty"`
	// KioskLargeText makes the kiosks start in large-text, high-contrast
	// mode (a citizen may switch it off for their turn). Optional: absent
	// in a PUT keeps the stored value; absent in a GET means off.
	KioskLargeText *bool `json:"kiosk_large_text,omitempty"`
	// PriorityAge is the age from which a citizen whose ID card (CCCD) is
	// scanned at the kiosk is offered the priority ticket (40..120; the
	// law's 60 when absent; some centres set 75). Optional: absent in a
	// PUT keeps the stored value.
	PriorityAge *int `json:"priority_age,omitempty"`
	// IDDailyCap is how many tickets one citizen (by the ID card scanned
	// at the kiosk) may take a day, all fields together; 0 is no cap.
	// Optional: absent in a PUT keeps the stored value.
	IDDailyCap *int `json:"id_daily_cap,omitempty"`
	// IDDailyCapPerField is how many tickets one citizen may take a day
	// in one field; 0 is no cap. Optional: absent in a PUT keeps the
	// stored value.
	IDDailyCapPerField *int `json:"id_daily_cap_per_field,omitempty"`
	// ShowCitizenName lets the kiosk send the name read from a scanned ID
	// card with the issue, and the clerk console show it for the ticket
	// being served at that counter only (kept in server memory, never
	// stored). Optional, default off: absent in a PUT keeps the stored
	// value.
	ShowCitizenName *bool `json:"show_citizen_name,omitempty"`
}

// DefaultPriorityAge is the age of priority by law (the elderly).
const DefaultPriorityAge = 60

// PriorityAgeOrDefault is c.PriorityAge, or DefaultPriorityAge when unset.
func (c Centre) PriorityAgeOrDefault() int {
	if c.PriorityAge == nil || *c.PriorityAge <= 0 {
		return DefaultPriorityAge
	}
	return *c.PriorityAge
}

// Ways of reading ticket numbers aloud (Centre.ReadNumbers).
const (
	ReadAsNumber = "number"
	ReadAsDigits = "digits"
)

// Event types.
const (
	EventSnapshot          = "snapshot"
	EventTicketIssued      = "ticket.issued"
	EventTicketCalled      = "ticket.called"
	EventTicketRecalled    = "ticket.recalled"
	EventTicketDone        = "ticket.done"
	EventTicketNoShow      = "ticket.no_show"
	EventTicketTransferred = "ticket.transferred"
	EventTicketCancelled   = "ticket.cancelled"
	EventCounterUpdated    = "counter.updated"
	EventServiceUpdated    = "service.updated"
	EventCentreUpdated     = "centre.updated"
	// EventDeviceUpdated (data DeviceChange) tells admins and supervisors
	// that a kiosk or display was created, revoked or reported another
	// status, so that they fetch GET /api/v1/devices again. It is not
	// stored and not part of the board: its seq is the last event's seq,
	// and only admin and supervisor connections on /ws receive it.
	EventDeviceUpdated = "device.updated"
)

// Event is one state change. Seq increases strictly within an Epoch.
type Event struct {
	Seq   int64           `json:"seq"`
	Epoch string          `json:"epoch"`
	Type  string          `json:"type"`
	At    time.Time       `json:"at"`
	Data  json.RawMessage `json:"data"`
}

// Error is the body of every error response.
type Error struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody carries a stable machine code and a human message.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Stable error codes. Clients (the kiosk) switch on them.
const (
	CodeBadRequest      = "bad_request"
	CodeBadJSON         = "bad_json"
	CodeUnauthorized    = "unauthorized"
	CodeForbidden       = "forbidden"
	CodeNotFound        = "not_found"
	CodeConflict        = "conflict"
	CodeTooLarge        = "too_large"
	CodeUnprocessable   = "unprocessable"
	CodeRateLimited     = "rate_limited"
	CodeUnavailable     = "unavailable"
	CodeInternal        = "internal"
	CodeServiceClosed   = "service_closed"
	CodeOutsideHours    = "outside_hours"
	CodeDailyCapReached = "daily_cap_reached"
	// CodeIDDailyCap: the citizen whose ID card was scanned has taken the
	// tickets the centre allows one person a day (422).
	CodeIDDailyCap      = "id_daily_cap"
	CodeNoCurrentTicket = "no_current_ticket"
	CodeCounterClosed   = "counter_closed"
)

// LoginRequest is the body of POST /api/v1/login.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// LoginResponse is the answer to a successful login.
type LoginResponse struct {
	Token string `json:"token"`
	Role  string `json:"role"`
	// User is the username.
	User string `json:"user"`
	// Name is the user's display name.
	Name string `json:"name,omitempty"`
	// CounterIDs are the counters a clerk may serve.
	CounterIDs []string `json:"counter_ids,omitempty"`
	// ExpiresAt is when the token stops working.
	ExpiresAt time.Time `json:"expires_at"`
}

// Roles of users and devices.
const (
	RoleAdmin = "admin"
	// RoleSupervisor reads everything an admin reads (dashboard, reports,
	// ratings, audit log) and changes nothing (shared/DATA-OUT.md).
	RoleSupervisor = "supervisor"
	RoleClerk      = "clerk"
	RoleKiosk      = "kiosk"
	RoleDisplay    = "display"
	// RoleIntegration is a device token for outside software (the one-stop
	// software, the national portal) that creates and cancels bookings
	// and nothing else (docs/API.md, "Appointments").
	RoleIntegration = "integration"
)

// DeviceRequest is the body of POST /api/v1/devices.
type DeviceRequest struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// PairingCode is the answer of POST /api/v1/devices/pairing: a one-time
// code (8 digits) that a new device trades for its token before ExpiresAt.
type PairingCode struct {
	Code      string    `json:"code"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PairRequest is the body of POST /api/v1/pair; the answer is a Device
// with its Token.
type PairRequest struct {
	Code string `json:"code"`
}

// Device is a registered kiosk or display. Token is only returned once, at creation.
type Device struct {
	ID       string        `json:"id"`
	Kind     string        `json:"kind"`
	Name     string        `json:"name"`
	Token    string        `json:"token,omitempty"`
	Created  time.Time     `json:"created_at"`
	LastSeen *time.Time    `json:"last_seen,omitempty"`
	Revoked  bool          `json:"revoked,omitempty"`
	Status   *DeviceStatus `json:"status,omitempty"`
}

// DeviceChange is the data of a device.updated event.
type DeviceChange struct {
	// ID is the device's id.
	ID string `json:"id"`
	// Change is DeviceCreated, DeviceRevoked or DeviceStatusChanged.
	Change string `json:"change"`
}

// Kinds of DeviceChange.
const (
	DeviceCreated       = "created"
	DeviceRevoked       = "revoked"
	DeviceStatusChanged = "status" // another printer state, message, backlog or version, or back after a silence
)

// Printer states: the values of DeviceStatus.Printer besides "" (no
// printer, or one that cannot report). The kiosk's printer package
// defines its states and fault reasons from these.
const (
	PrinterOK        = "ok"
	PrinterPaperLow  = "paper_low" // still prints; change the roll soon
	PrinterPaperOut  = "paper_out"
	PrinterCoverOpen = "cover_open"
	PrinterOffline   = "offline"
	PrinterError     = "error" // cutter jam, head overheated, ...
)

// PrinterStates lists the printer states in the order the server's error
// message names them.
func PrinterStates() []string {
	return []string{PrinterOK, PrinterPaperLow, PrinterPaperOut, PrinterCoverOpen, PrinterOffline, PrinterError}
}

// DeviceStatus is what a device reports in its heartbeat.
type DeviceStatus struct {
	// Printer is one of the printer states (PrinterOK, …) or "" (no printer).
	Printer string `json:"printer,omitempty"`
	// Message is a human-readable detail.
	Message string `json:"message,omitempty"`
	// Pending counts tickets a kiosk issued offline and has not synced yet.
	Pending int `json:"pending,omitempty"`
	// Version is the device software version.
	Version string `json:"version,omitempty"`
}

// IssueRequest is the body of POST /api/v1/tickets.
type IssueRequest struct {
	ServiceID string `json:"service_id"`
	Priority  bool   `json:"priority"`
	Lang      string `json:"lang"`
	// IDCard is the citizen ID card scanned at the kiosk for this ticket,
	// if any (for the centre's per-person daily cap).
	IDCard *IssueIDCard `json:"id_card,omitempty"`
}

// IssueIDCard is the part of a scanned citizen ID card (CCCD) sent with an
// issue. The server stores only a keyed hash of Number and BirthYear.
type IssueIDCard struct {
	// Number is the card's 12-digit ID number.
	Number    string `json:"number"`
	BirthYear int    `json:"birth_year"`
	// Name is the card's name, sent only when the centre's
	// show_citizen_name is on; kept in server memory, never stored.
	Name string `json:"name,omitempty"`
}

// CalledTicket is the answer of a counter's next and recall: the ticket,
// and the name read from the citizen's ID card when the centre shows it
// (show_citizen_name) and the ticket is being served at that counter.
type CalledTicket struct {
	Ticket
	CitizenName string `json:"citizen_name,omitempty"`
}

// TransferRequest is the body of POST /api/v1/counters/{id}/transfer.
type TransferRequest struct {
	ServiceID string `json:"service_id"`
}

// CounterStatusRequest is the body of PUT /api/v1/counters/{id}/status.
type CounterStatusRequest struct {
	Status string `json:"status"`
}

// Health is the body of GET /healthz.
type Health struct {
	Status string `json:"status"`
}
