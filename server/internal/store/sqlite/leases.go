package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

var _ queue.LeaseTx = (*wtx)(nil)

// NextLeaseBlock implements queue.LeaseTx. The UPSERT runs in the write
// transaction, so two kiosks leasing at once get disjoint blocks.
func (w *wtx) NextLeaseBlock(serviceID, day string, count int) (int, error) {
	var last int
	err := w.queryRow(`INSERT INTO lease_seq (service_id, day, last) VALUES (?, ?, ?)
		ON CONFLICT (service_id, day) DO UPDATE SET last = last + ? RETURNING last`,
		serviceID, day, protocol.OfflineBase+count, count).Scan(&last)
	return last, err
}

// InsertLease implements queue.LeaseTx.
func (w *wtx) InsertLease(l queue.LeaseRecord) error {
	_, err := w.exec(`INSERT INTO leases (id, issuer, service_id, prefix, day, first, last, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, l.ID, l.Issuer, l.ServiceID, l.Prefix, l.Day, l.From, l.To,
		l.CreatedAt.UnixMicro(), l.ExpiresAt.UnixMicro())
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return queue.Errorf(protocol.CodeConflict, "lease %s already exists", l.ID)
	}
	return err
}

// Lease implements queue.LeaseTx.
func (w *wtx) Lease(id string) (queue.LeaseRecord, error) {
	var l queue.LeaseRecord
	var created, expires int64
	err := w.queryRow(`SELECT id, issuer, service_id, prefix, day, first, last, created_at, expires_at FROM leases WHERE id = ?`, id).
		Scan(&l.ID, &l.Issuer, &l.ServiceID, &l.Prefix, &l.Day, &l.From, &l.To, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return l, queue.ErrNotFound
	}
	l.CreatedAt, l.ExpiresAt = time.UnixMicro(created), time.UnixMicro(expires)
	return l, err
}

// TicketByNumber implements queue.LeaseTx.
func (w *wtx) TicketByNumber(issueServiceID, day string, number int) (queue.TicketRecord, error) {
	return scanTicket(w.queryRow(`SELECT `+ticketCols+` FROM tickets WHERE issue_service_id = ? AND day = ? AND number = ?`, issueServiceID, day, number))
}

var _ queue.LeaseReader = (*Store)(nil)

// LeasesFrom implements queue.LeaseReader.
func (s *Store) LeasesFrom(ctx context.Context, day string) ([]queue.LeaseRecord, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, issuer, service_id, prefix, day, first, last, created_at, expires_at FROM leases WHERE day >= ?`, day)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []queue.LeaseRecord
	for rows.Next() {
		var l queue.LeaseRecord
		var created, expires int64
		if err := rows.Scan(&l.ID, &l.Issuer, &l.ServiceID, &l.Prefix, &l.Day, &l.From, &l.To, &created, &expires); err != nil {
			return nil, err
		}
		l.CreatedAt, l.ExpiresAt = time.UnixMicro(created), time.UnixMicro(expires)
		out = append(out, l)
	}
	return out, rows.Err()
}
