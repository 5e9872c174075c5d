package protocol

import "time"

// LeaseRequest is the body of POST /api/v1/leases: a kiosk reserves Count
// numbers of a field for Day (today or tomorrow, default today) so it can
// keep issuing tickets while the server is unreachable.
type LeaseRequest struct {
	ServiceID string `json:"service_id"`
	Day       string `json:"day,omitempty"`
	Count     int    `json:"count"`
}

// Lease is a block of ticket numbers reserved for one kiosk. The numbers
// come from a range of their own (OfflineBase+1 upwards), so the numbers
// issued online stay gap-free.
type Lease struct {
	ID        string `json:"id"`
	ServiceID string `json:"service_id"`
	Prefix    string `json:"prefix"`
	// Day is the service day (YYYY-MM-DD) the numbers belong to.
	Day string `json:"day"`
	// From and To are the first and last number of the block.
	From int `json:"from"`
	To   int `json:"to"`
	// CreatedAt is when the lease was granted.
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is the end of Day; later, the numbers are of no use.
	ExpiresAt time.Time `json:"expires_at"`
	// Tickets are the future tickets, one per number, with the token and
	// track URL the printed QR code carries.
	Tickets []LeasedTicket `json:"tickets"`
}

// LeasedTicket is one number of a lease, ready to print.
type LeasedTicket struct {
	Number   int    `json:"number"`
	Code     string `json:"code"`
	Token    string `json:"token"`
	TrackURL string `json:"track_url"`
}

// StatusPendingSync is the status of a leased ticket the kiosk printed
// while the server was unreachable and has not synced yet: the server knows
// its token from the lease, not yet its issue time or priority. Only
// GET /api/v1/tickets/{token} and its /view answer it, with 202 Accepted.
const StatusPendingSync = "pending_sync"

// OfflineBase is the number after which leased (offline) numbers start.
const OfflineBase = 5000

// OfflineTicket is a ticket a kiosk issued from a lease while offline.
type OfflineTicket struct {
	LeaseID  string    `json:"lease_id"`
	Number   int       `json:"number"`
	Priority bool      `json:"priority"`
	Lang     string    `json:"lang"`
	IssuedAt time.Time `json:"issued_at"`
	// Replaces is the Idempotency-Key of an online issue that timed out
	// just before this ticket was printed offline in its place. The server
	// may have stored that ticket although the kiosk never saw the answer;
	// if it is still waiting, the sync cancels it, so the citizen is not in
	// the queue twice.
	Replaces string `json:"replaces,omitempty"`
}

// SyncRequest is the body of POST /api/v1/tickets/sync.
type SyncRequest struct {
	Tickets []OfflineTicket `json:"tickets"`
}

// SyncResult is the outcome of one offline ticket: the ticket as now
// stored (also when it was synced before), or an error that will not go
// away by retrying.
type SyncResult struct {
	LeaseID string     `json:"lease_id"`
	Number  int        `json:"number"`
	Ticket  *Ticket    `json:"ticket,omitempty"`
	Error   *ErrorBody `json:"error,omitempty"`
	// Replayed is true when the ticket had been synced before.
	Replayed bool `json:"replayed,omitempty"`
}

// SyncResponse is the answer to POST /api/v1/tickets/sync, one result per
// ticket in request order.
type SyncResponse struct {
	Results []SyncResult `json:"results"`
}
