package queue

import (
	"context"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

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

// DataTx is what visit records and disruptions need inside a write
// transaction; the SQL stores implement it next to Tx.
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
