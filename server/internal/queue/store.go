package queue

import (
	"context"
	"encoding/json"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// TicketRecord is a ticket as stored: the wire ticket plus what only the
// server knows.
type TicketRecord struct {
	protocol.Ticket
	// IssueServiceID is the field the number was drawn from; it never changes,
	// even when the ticket is transferred.
	IssueServiceID string
	// TokenHash is SHA-256 of the ticket token; the token itself is never stored.
	TokenHash []byte
	// IssuedBy names the kiosk or user that issued the ticket.
	IssuedBy string
	// IdemKey is the Idempotency-Key the ticket was issued with, if any.
	IdemKey string
	// ServiceStartedAt is when the current call or the last recall started:
	// a report's service time runs from it to done.
	ServiceStartedAt *time.Time
	// ClerkID is the user who called the ticket.
	ClerkID string
	// FirstCalledAt, FirstCounterID and FirstClerkID record the ticket's
	// first call, which a transfer does not clear: reports measure the wait
	// to it and group the ticket by its counter and clerk.
	FirstCalledAt  *time.Time
	FirstCounterID string
	FirstClerkID   string
	// IDHash is cccd.Hash(store secret, ID number) of the citizen ID card
	// scanned at the kiosk for this ticket (nil when none was), and
	// BirthYear its birth year: kept for the per-person daily cap. The
	// number, name and address are never stored. They are written by
	// InsertTicket and not read back with the ticket.
	IDHash    []byte
	BirthYear int
}

// Visit is the record a clerk noted when a visit ended (shared/DATA-OUT.md),
// as stored next to its ticket: the ticket's day, field, counter and clerk
// at the time it was done, so reports can group it.
type Visit struct {
	TicketID  string
	Day       string
	ServiceID string
	CounterID string
	ClerkID   string
	// Outcome is one of protocol.Outcomes, or "" when only codes or a note
	// were recorded.
	Outcome      string
	DossierCodes []string
	Note         string
	FinishedAt   time.Time
}

// CounterRecord is a counter as stored.
type CounterRecord struct {
	protocol.Counter
	// PriorityStreak counts priority tickets called in a row at this counter,
	// for the anti-starvation rule.
	PriorityStreak int
	// RegularRun counts regular tickets called in a row at this counter
	// since its last priority call, for the interleave rule.
	RegularRun int
	// ServedDay is the day Counter.ServedToday counts for.
	ServedDay string
	// Unstaffed is the status (open or paused) of a counter the server
	// closed for want of a clerk console, given back when a console
	// attaches again, through any instance (staffing.go); "" otherwise.
	// Stores keep it only while the counter is closed.
	Unstaffed string
}

// Loaded is the durable state the engine's cache is rebuilt from, read in
// one consistent snapshot at event Seq.
type Loaded struct {
	Seq      int64
	Epoch    string
	Secret   []byte
	Centre   protocol.Centre
	Services []protocol.Service
	Counters []CounterRecord
	// Open holds the tickets of Day and earlier still waiting or called.
	Open []TicketRecord
	// IssuedToday counts tickets per issue field for Day.
	IssuedToday map[string]int
	// ServedToday counts done tickets per counter for Day.
	ServedToday map[string]int
	// Recent are the latest calls, newest first.
	Recent []protocol.Call
	// ServiceSamples are recent service durations per field, oldest first.
	ServiceSamples map[string][]time.Duration
	// Disruptions are the disruptions still open, oldest first.
	Disruptions []protocol.Disruption
}

// Store is durable storage for the queue: the part of the storage contract
// (server/internal/store.Store) the engine uses. Implementations: sqlite
// (embedded default) and postgres (scale-out); both pass the contract suite
// (store/storetest) and the engine's behaviour suite (queue/enginetest). All
// of the queue's decisions (number allocation, call-next) are made inside
// Update, so several server instances can share one store; the engine's
// in-memory state is only a cache fed by the committed events.
//
// Every method is required: the engine never probes a store for optional
// parts. Lookups of something absent answer ErrNotFound (IsNotFound).
type Store interface {
	// Update runs fn in one read-write transaction. When Update returns nil,
	// the transaction and the events fn appended are durable (fsynced), and
	// the events have been passed to the sink set with SetSink. If fn returns
	// an error, nothing it wrote is kept. fn must not retain tx.
	Update(ctx context.Context, fn func(tx Tx) error) ([]protocol.Event, error)
	// SetSink sets the function that receives every committed event, in seq
	// order, exactly once. It is called from one goroutine at a time.
	SetSink(sink func([]protocol.Event))
	// Load reads the state needed to rebuild the cache for service day.
	Load(ctx context.Context, day string) (*Loaded, error)
	// Events returns up to limit events with seq > after, in seq order.
	Events(ctx context.Context, after int64, limit int) ([]protocol.Event, error)
	// FirstSeq is the oldest seq still kept (0 when none is kept).
	FirstSeq(ctx context.Context) (int64, error)
	// Ping checks that storage answers.
	Ping(ctx context.Context) error

	TicketReader
	LeaseReader
	RatingReader
	DataReader
	CalibrationStore
	BookingReader
	PresenceStore
}

// PresenceStore shares which counters have a clerk console attached
// between the server instances of one database (staffing.go), so an
// instance closes a counter for want of a clerk only when no instance has
// a console on it. A store that serves one server only (SQLite) has no
// other instance: it records nothing and finds nobody elsewhere.
type PresenceStore interface {
	// SharePresence records that this store's instance has a console
	// attached to each of counterIDs, for ttl, replacing what it recorded
	// before (none: it has no console).
	SharePresence(ctx context.Context, counterIDs []string, ttl time.Duration) error
	// StaffedElsewhere is the set of counters with a console attached on
	// another instance, whose record has not run out.
	StaffedElsewhere(ctx context.Context) (map[string]bool, error)
}

// OldestQuery asks for the oldest waiting walk-in of ServiceIDs with
// Priority (Tx.CallCandidates).
type OldestQuery struct {
	ServiceIDs []string
	Priority   bool
}

// CallQuery is what Tx.ReadCall reads: Counter(Counter) and
// CurrentTicket(Counter), and when Booked or Oldest are given,
// CallCandidates(Day, Booked, Oldest) (a call at a counter reads the
// candidates of the fields the engine expects it to serve, with the
// counter).
type CallQuery struct {
	Counter string
	Day     string
	Booked  []string
	Oldest  []OldestQuery
}

// CallRead is Tx.ReadCall's answer.
type CallRead struct {
	Counter CounterRecord
	Current *TicketRecord // nil: the counter serves nobody
	Booked  []TicketRecord
	Oldest  []*TicketRecord // one per query of CallQuery.Oldest (nil: none waits)
}

// Tx is what the queue may do inside a transaction.
type Tx interface {
	// Epoch is the store's event epoch.
	Epoch() string
	// Secret is the store's random secret, used to derive ticket tokens.
	Secret() []byte

	Centre() (protocol.Centre, error)
	PutCentre(c protocol.Centre) error

	Service(id string) (protocol.Service, error)
	Services() ([]protocol.Service, error)
	PutService(s protocol.Service) error

	Counter(id string) (CounterRecord, error)
	Counters() ([]CounterRecord, error)
	PutCounter(c CounterRecord) error

	// NextNumber allocates the next ticket number of service for day.
	NextNumber(serviceID, day string) (int, error)
	// IssuedCount is how many numbers of service were allocated for day.
	IssuedCount(serviceID, day string) (int, error)
	// IDTicketCounts counts the tickets of day whose IDHash is idHash:
	// all of them, and those drawn from serviceID (by IssueServiceID).
	IDTicketCounts(idHash []byte, day, serviceID string) (total, inService int, err error)

	InsertTicket(t TicketRecord) error
	UpdateTicket(t TicketRecord) error
	Ticket(id string) (TicketRecord, error)
	// TicketByIdemKey finds a ticket issued by issuer with an Idempotency-Key.
	TicketByIdemKey(issuer, key string) (TicketRecord, error)
	// CurrentTicket is the ticket called at counter (status called), if any.
	CurrentTicket(counterID string) (TicketRecord, error)
	// OldestWaiting is the waiting walk-in ticket (Booking nil) of day
	// among serviceIDs with the given priority that was issued first (ties
	// by id). Booked tickets are read with WaitingBooked.
	OldestWaiting(serviceIDs []string, day string, priority bool) (TicketRecord, error)
	// WaitingBooked lists the waiting tickets of day among serviceIDs that
	// carry a Booking, by issue time (ties by id); nil when none.
	WaitingBooked(serviceIDs []string, day string) ([]TicketRecord, error)
	// ReadCall reads what a call at a counter decides on together, in one
	// round trip where the store has them (CallQuery).
	ReadCall(q CallQuery) (CallRead, error)
	// CallCandidates is WaitingBooked(booked, day) and OldestWaiting(q.ServiceIDs,
	// day, q.Priority) of each of oldest (nil where none waits) read
	// together, in one round trip where the store has them.
	CallCandidates(day string, booked []string, oldest []OldestQuery) ([]TicketRecord, []*TicketRecord, error)
	// OpenBefore lists tickets of days before day still waiting or called.
	OpenBefore(day string) ([]TicketRecord, error)

	// AppendEvent records an event; its seq is assigned at commit order.
	AppendEvent(typ string, at time.Time, data any) error

	LeaseTx
	RatingTx
	DataTx
	BookingTx
}

// TicketReader finds tickets by token hash outside a write transaction.
type TicketReader interface {
	// TicketByTokenHash is the ticket whose token hashes to hash
	// (ErrNotFound when none).
	TicketByTokenHash(ctx context.Context, hash []byte) (TicketRecord, error)
}

// LeaseTx is what offline issuing needs inside a write transaction.
type LeaseTx interface {
	// NextLeaseBlock reserves count numbers of service for day in the
	// offline range and returns the last one; the first is last-count+1.
	// The first block of a day starts at protocol.OfflineBase+1.
	NextLeaseBlock(serviceID, day string, count int) (int, error)
	// InsertLease stores a lease.
	InsertLease(l LeaseRecord) error
	// Lease returns a lease by id (ErrNotFound when unknown).
	Lease(id string) (LeaseRecord, error)
	// TicketByNumber returns the ticket drawn from issueServiceID with
	// number on day (ErrNotFound when none).
	TicketByNumber(issueServiceID, day string, number int) (TicketRecord, error)
}

// LeaseReader lists stored leases outside a write transaction; the engine
// uses it to recognise the tokens of leased tickets not yet synced.
type LeaseReader interface {
	// LeasesFrom returns the leases of day and later days.
	LeasesFrom(ctx context.Context, day string) ([]LeaseRecord, error)
}

// RatingTx is what rating needs inside a write transaction.
type RatingTx interface {
	// InsertRating stores r; a ticket already rated is a conflict error.
	InsertRating(r protocol.Rating) error
	// Rated tells whether the ticket has a rating.
	Rated(ticketID string) (bool, error)
	// LastDone is the ticket most recently finished as done at the counter
	// (ErrNotFound when none).
	LastDone(counterID string) (TicketRecord, error)
}

// RatingReader reads ratings outside a transaction.
type RatingReader interface {
	// IsRated tells whether the ticket has a rating.
	IsRated(ctx context.Context, ticketID string) (bool, error)
	// LastDoneAt is the ticket most recently finished as done at the counter
	// (ErrNotFound when none).
	LastDoneAt(ctx context.Context, counterID string) (TicketRecord, error)
	// Ratings lists ratings given in [from, to), newest first.
	Ratings(ctx context.Context, from, to time.Time, limit int) ([]protocol.Rating, error)
}

// DataTx is what visit records and disruptions need inside a write
// transaction.
type DataTx interface {
	// InsertVisit stores the visit record of a ticket just done; a second
	// record of the same ticket is a conflict error.
	InsertVisit(v Visit) error
	// InsertDisruption stores a new (open) disruption started by user by.
	InsertDisruption(d protocol.Disruption, by string) error
	// Disruption reads one disruption (ErrNotFound when unknown).
	Disruption(id string) (protocol.Disruption, error)
	// EndDisruption sets the end of an open disruption.
	EndDisruption(id string, at time.Time, by string) error
	// OpenDisruptions lists the disruptions not ended, oldest first.
	OpenDisruptions() ([]protocol.Disruption, error)
}

// DataReader reads visit records and disruptions outside a transaction,
// for the API and the reports.
type DataReader interface {
	// VisitOf is the visit record of a ticket (ErrNotFound when none).
	VisitOf(ctx context.Context, ticketID string) (Visit, error)
	// Visits lists the visit records of tickets finished in [from, to),
	// oldest first.
	Visits(ctx context.Context, from, to time.Time) ([]Visit, error)
	// Disruptions lists every disruption that overlaps [from, to) (still
	// open ones overlap every range after their start), oldest first.
	Disruptions(ctx context.Context, from, to time.Time) ([]protocol.Disruption, error)
	// FinishedAt lists the tickets of day finished (done or no-show) at a
	// counter, newest first, with their visit records.
	FinishedAt(ctx context.Context, counterID, day string, limit int) ([]TicketRecord, error)
}

// CalibrationStore keeps what the wait estimate learned from the day's
// calls beyond the stored tickets, so a restart does not start it over
// (the ranges' widening needs forecast.MinWidths calls before it applies).
type CalibrationStore interface {
	// LoadCalibration returns the last saved calibration and the event
	// seq it reflects (nil data and no error when none was saved).
	LoadCalibration(ctx context.Context) (data []byte, seq int64, err error)
	// SaveCalibration replaces the saved calibration; at is Unix seconds.
	SaveCalibration(ctx context.Context, data []byte, seq int64, at int64) error
}

// BookingRecord is an appointment as stored (booking.go).
type BookingRecord struct {
	protocol.Booking
	// PhoneHash is HMAC-SHA256 of the normalised phone number keyed with the
	// store secret; nil when no phone was given. The number itself is never
	// stored.
	PhoneHash []byte
	// TicketID is the ticket issued at check-in.
	TicketID string
}

// BookingTx is what appointments need inside a write transaction. The
// capacity of a slot is checked with CountSlot and enforced by the
// insertion in the same transaction, which the store serialises with
// every other write.
type BookingTx interface {
	// BookingSettings are the settings of a field (ErrNotFound when none).
	BookingSettings(serviceID string) (protocol.BookingSettings, error)
	// PutBookingSettings replaces the settings of s.ServiceID.
	PutBookingSettings(s protocol.BookingSettings) error
	// Holiday tells whether day is a holiday of the centre.
	Holiday(day string) (bool, error)
	// PutHolidays replaces the list of holidays.
	PutHolidays(h []protocol.Holiday) error
	// InsertBooking stores a new booking; a code already used is a
	// conflict error.
	InsertBooking(b BookingRecord) error
	// UpdateBooking stores the status, check-in time and ticket of b.
	UpdateBooking(b BookingRecord) error
	// BookingByCode finds a booking (ErrNotFound when unknown).
	BookingByCode(code string) (BookingRecord, error)
	// CountSlot counts the bookings of a field's slot that hold a place
	// (booked or checked in).
	CountSlot(serviceID string, start time.Time) (int, error)
	// PhoneBooked tells whether phoneHash holds a booking (booked or
	// checked in) of the field on day.
	PhoneBooked(serviceID, day string, phoneHash []byte) (bool, error)
	// DueBookings lists the bookings still booked whose window ended at or
	// before t.
	DueBookings(t time.Time) ([]BookingRecord, error)
}

// BookingReader reads appointments outside a transaction.
type BookingReader interface {
	// ListBookingSettings lists the settings of every field, by field id.
	ListBookingSettings(ctx context.Context) ([]protocol.BookingSettings, error)
	// Holidays lists the holidays, by day.
	Holidays(ctx context.Context) ([]protocol.Holiday, error)
	// SlotCounts counts the places taken per slot start (Unix seconds) of
	// a field on day.
	SlotCounts(ctx context.Context, serviceID, day string) (map[int64]int, error)
	// Bookings lists the bookings of day, by slot start then code.
	Bookings(ctx context.Context, day string) ([]BookingRecord, error)
	// BookingStats counts the bookings per field and day of fromDay..toDay
	// (inclusive) by state.
	BookingStats(ctx context.Context, fromDay, toDay string) ([]protocol.BookingStat, error)
}

// storedBooking is a ticket's booking as the stores keep it: the wire form
// leaves the code out (protocol.TicketBooking), storage keeps it.
type storedBooking struct {
	Code       string    `json:"code"`
	SlotStart  time.Time `json:"slot_start"`
	WindowFrom time.Time `json:"window_from"`
	WindowTo   time.Time `json:"window_to"`
}

// EncodeBooking is the stored form (JSON) of a ticket's booking.
func EncodeBooking(b *protocol.TicketBooking) ([]byte, error) {
	return json.Marshal(storedBooking{Code: b.Code, SlotStart: b.SlotStart, WindowFrom: b.WindowFrom, WindowTo: b.WindowTo})
}

// DecodeBooking reads what EncodeBooking wrote.
func DecodeBooking(data []byte) (*protocol.TicketBooking, error) {
	var s storedBooking
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, err
	}
	return &protocol.TicketBooking{Code: s.Code, SlotStart: s.SlotStart, WindowFrom: s.WindowFrom, WindowTo: s.WindowTo}, nil
}

// ReadCallOf is Tx.ReadCall by its reads one after the other, for a store
// whose reads cost no round trip (SQLite).
func ReadCallOf(tx Tx, q CallQuery) (CallRead, error) {
	var r CallRead
	var err error
	if r.Counter, err = tx.Counter(q.Counter); err != nil {
		return CallRead{}, err
	}
	cur, err := tx.CurrentTicket(q.Counter)
	switch {
	case err == nil:
		r.Current = &cur
	case !IsNotFound(err):
		return CallRead{}, err
	}
	if len(q.Booked) > 0 || len(q.Oldest) > 0 {
		if r.Booked, r.Oldest, err = CallCandidatesOf(tx, q.Day, q.Booked, q.Oldest); err != nil {
			return CallRead{}, err
		}
	}
	return r, nil
}

// CallCandidatesOf is Tx.CallCandidates by its reads one after the other.
func CallCandidatesOf(tx Tx, day string, booked []string, oldest []OldestQuery) ([]TicketRecord, []*TicketRecord, error) {
	list, err := tx.WaitingBooked(booked, day)
	if err != nil {
		return nil, nil, err
	}
	out := make([]*TicketRecord, len(oldest))
	for i, q := range oldest {
		t, err := tx.OldestWaiting(q.ServiceIDs, day, q.Priority)
		if IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		out[i] = &t
	}
	return list, out, nil
}
