package postgres

import (
	"context"
	"time"
)

// OpenDeaf opens a store whose event reader listens where nobody
// notifies: it learns of other instances' events by polling every poll.
func OpenDeaf(ctx context.Context, url string, poll time.Duration) (*Store, error) {
	return Open(ctx, url, Options{MaxConns: 8, PollEvery: poll, listenOn: "civiq_nobody_notifies"})
}

// Instance is the store's instance id (webhook leases, console presence).
func (s *Store) Instance() string { return s.instance }
