package queue

import (
	"context"
	"crypto/sha256"
	"sync"

	"github.com/civiq/civiq/server/protocol"
)

// pendingEntry is one leased number whose ticket may not exist yet.
type pendingEntry struct {
	lease  *LeaseRecord
	number int
}

// pendingIndex maps the token of every leased number of today and later to
// its lease. Tokens are HMACs of the store secret, so they cannot be found
// from the token alone: the index is built from the stored leases, lazily
// and once per lease (leases never change), on the first unknown token
// after a lease was granted. Reading the leases from the store, not only
// remembering the ones this process granted, keeps it right when several
// instances share a store. Its size is bounded by the offline range
// (MaxOfflineNumber - OfflineBase numbers per field and day).
type pendingIndex struct {
	mu     sync.Mutex
	day    string              // the service day the index was built for
	leases map[string]struct{} // the leases indexed
	tokens map[[sha256.Size]byte]pendingEntry
}

// PendingTicket is the ticket a leased number's token will name once its
// kiosk syncs it. It carries what the lease knows: id, code, number, field,
// day and Offline; its Status is protocol.StatusPendingSync, ahead and
// eta_seconds are -1 and issued_at is the zero time (not known yet).
//
// PendingByToken answers it for the token of a leased number of today or
// later whose ticket the server has not stored; it answers a not_found
// error otherwise. Call it after TicketByToken missed.
func (e *Engine) PendingByToken(ctx context.Context, token string) (protocol.Ticket, error) {
	key := sha256.Sum256([]byte(token))
	today := Day(e.now(), e.opts.Location)
	p := &e.pending
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.tokens[key]; !ok || p.day != today {
		if err := e.refreshPending(ctx, today); err != nil {
			return protocol.Ticket{}, err
		}
	}
	en, ok := p.tokens[key]
	if !ok {
		return protocol.Ticket{}, Errorf(protocol.CodeNotFound, "unknown ticket")
	}
	l := en.lease
	return protocol.Ticket{
		ID: LeasedTicketID(e.secret(), l.ServiceID, l.Day, en.number), Code: FormatCode(l.Prefix, en.number), Number: en.number,
		ServiceID: l.ServiceID, Status: protocol.StatusPendingSync, Ahead: -1, ETASeconds: -1, Day: l.Day, Offline: true,
	}, nil
}

// refreshPending indexes the leases granted since the last refresh; on a
// new day it starts over, forgetting the leases of past days.
// e.pending.mu held.
func (e *Engine) refreshPending(ctx context.Context, today string) error {
	p := &e.pending
	if p.day != today {
		p.day, p.leases, p.tokens = today, map[string]struct{}{}, map[[sha256.Size]byte]pendingEntry{}
	}
	ls, err := e.store.LeasesFrom(ctx, today)
	if err != nil {
		return err
	}
	secret := e.secret()
	for i := range ls {
		l := &ls[i]
		if _, done := p.leases[l.ID]; done {
			continue
		}
		p.leases[l.ID] = struct{}{}
		for n := l.From; n <= l.To; n++ {
			tok := TicketToken(secret, LeasedTicketID(secret, l.ServiceID, l.Day, n))
			p.tokens[sha256.Sum256([]byte(tok))] = pendingEntry{lease: l, number: n}
		}
	}
	return nil
}

// secret is the store secret tokens are derived from.
func (e *Engine) secret() []byte {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.c.secret
}
