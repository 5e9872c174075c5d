package wiring

import "context"

// Sync reads the registry now, as the poll does (tests: an instance
// that has not read it since a change elsewhere).
func (p *Province) Sync(ctx context.Context) error { return p.sync(ctx) }
