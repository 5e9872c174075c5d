// Package store is the storage contract: the one interface, Store, that a
// storage backend implements and the server (package app) holds. It names
// every method the server calls on storage; the parts each consumer needs
// are declared by that consumer (queue.Store, auth.Store, webhook.Store,
// report.Source) and embedded here, so one compile-time check
//
//	var _ store.Store = (*Store)(nil)
//
// in a backend covers all of it. Implementations: store/sqlite (embedded
// default) and store/postgres. The suite in store/storetest tests what a
// store must do; queue/enginetest runs the engine's behaviour on it.
//
// Errors shared by every backend: queue.ErrNotFound (IsNotFound) for a
// missing row, ErrClosed after Close, and protocol.CodeUnavailable errors
// (queue.Error) when storage itself fails.
package store

import (
	"context"
	"time"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/report"
	"github.com/civiq/civiq/server/internal/webhook"
	"github.com/civiq/civiq/server/protocol"
)

// ErrClosed is returned by a store's updates after Close.
var ErrClosed = &queue.Error{Code: protocol.CodeUnavailable, Message: "store is closed"}

// Store is everything the server asks of storage.
type Store interface {
	queue.Store
	auth.Store
	webhook.Store
	Reports
	Housekeeping

	// Epoch is the event epoch of this store: it changes when the event
	// history restarts (a restored backup), so clients resynchronise.
	Epoch() string
	// Health is nil while the store can commit now, else a
	// protocol.CodeUnavailable error whose message says why ("disk full",
	// …). It must answer quickly (within ctx) even when storage hangs.
	Health(ctx context.Context) error
	// StorageError maps an error from this store to a
	// protocol.CodeUnavailable error when storage itself failed, so the
	// request answers 503, never 500; other errors pass through.
	StorageError(err error) error
	// Close stops background work, fails queued updates with ErrClosed
	// and releases the storage.
	Close() error
}

// Reports is what the reports (summaries, groupings, disruption minutes)
// need from storage.
type Reports interface {
	// ReportSource is the store as a report.Source for a centre in loc;
	// days from today on are computed from the tickets on every report.
	ReportSource(loc *time.Location, today string) report.Source
	// WarmReports computes and caches the summaries of every past day
	// (before today) that has none and returns how many it computed.
	WarmReports(ctx context.Context, loc *time.Location, today string) (int, error)
	// ReportDisruptions lists the disruptions overlapping [from, to) as the
	// reports count them; one still open lasts until now.
	ReportDisruptions(ctx context.Context, from, to, now time.Time) ([]report.Disruption, error)
	// UserNames maps user ids to usernames and names, for the clerk grouping.
	UserNames(ctx context.Context) (map[string]report.User, error)
	// Waitings lists the waiting time of every ticket of the days
	// fromDay..toDay (inclusive) issued before end that was still waiting
	// after start.
	Waitings(ctx context.Context, fromDay, toDay string, start, end time.Time) ([]report.Waiting, error)
	// TicketIDByCode finds the ticket of day with code (codes are unique
	// per day; ErrNotFound when none).
	TicketIDByCode(ctx context.Context, day, code string) (string, error)
	// WaitSamples lists every ticket of the days fromDay..toDay
	// (inclusive) that was called: the field it was issued for, when, and
	// its wait until its first call. The public waits page folds them
	// into each field's usual wait by weekday and hour.
	WaitSamples(ctx context.Context, fromDay, toDay string) ([]report.WaitSample, error)
}

// Housekeeping is the server's periodic and one-off maintenance.
// (auth.Store's DeleteExpiredSessions is housekeeping too.)
type Housekeeping interface {
	// PruneEvents deletes events older than before, keeping at least keep
	// of the newest, and returns how many it deleted. Clients that ask for
	// pruned events get a snapshot instead.
	PruneEvents(ctx context.Context, before time.Time, keep int) (int64, error)
	// ImportHistory copies the finished days (before day before) of the
	// CiviQ SQLite database at path (the simulator's) into this store:
	// tickets, visit records, ratings and disruptions, in one transaction,
	// without their events. It returns the number of tickets copied.
	ImportHistory(ctx context.Context, path, before string) (int, error)
}
