package queue

import (
	"context"
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
}

// CounterRecord is a counter as stored.
type CounterRecord struct {
	protocol.Counter
	// PriorityStreak counts priority tickets called in a row at this counter,
	// for the anti-starvation rule.
	PriorityStreak int
	// ServedDay is the day Counter.ServedToday counts for.
	ServedDay string
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

// Store is durable storage for the queue. Implementations: sqlite (embedded
// default) and postgres (scale-out). All of the queue's decisions (number
// allocation, call-next) are made inside Update, so several server instances
// can share one store; the engine's in-memory state is only a cache fed by the
// committed events.
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

	InsertTicket(t TicketRecord) error
	UpdateTicket(t TicketRecord) error
	Ticket(id string) (TicketRecord, error)
	// TicketByIdemKey finds a ticket issued by issuer with an Idempotency-Key.
	TicketByIdemKey(issuer, key string) (TicketRecord, error)
	// CurrentTicket is the ticket called at counter (status called), if any.
	CurrentTicket(counterID string) (TicketRecord, error)
	// OldestWaiting is the waiting ticket of day among serviceIDs with the
	// given priority that was issued first (ties by id).
	OldestWaiting(serviceIDs []string, day string, priority bool) (TicketRecord, error)
	// OpenBefore lists tickets of days before day still waiting or called.
	OpenBefore(day string) ([]TicketRecord, error)

	// AppendEvent records an event; its seq is assigned at commit order.
	AppendEvent(typ string, at time.Time, data any) error
}
