package sqlite

import (
	"context"
	"time"
)

// SharePresence implements queue.PresenceStore: one server owns a SQLite
// store (the data folder lock), so there is no other instance to tell.
func (s *Store) SharePresence(context.Context, []string, time.Duration) error { return nil }

// StaffedElsewhere implements queue.PresenceStore: there is no elsewhere.
func (s *Store) StaffedElsewhere(context.Context) (map[string]bool, error) {
	return map[string]bool{}, nil
}
