package client

import (
	"context"
	"net/http"

	"github.com/civiq/civiq/server/protocol"
)

// Lease reserves a block of offline ticket numbers (kiosk).
func (c *Client) Lease(ctx context.Context, req protocol.LeaseRequest) (protocol.Lease, error) {
	var l protocol.Lease
	_, err := c.Do(ctx, http.MethodPost, "/api/v1/leases", req, &l, nil)
	return l, err
}

// SyncTickets hands tickets issued offline to the server (kiosk). The
// answer has one result per ticket, in order; syncing again is safe.
func (c *Client) SyncTickets(ctx context.Context, tickets []protocol.OfflineTicket) (protocol.SyncResponse, error) {
	var r protocol.SyncResponse
	_, err := c.Do(ctx, http.MethodPost, "/api/v1/tickets/sync", protocol.SyncRequest{Tickets: tickets}, &r, nil)
	return r, err
}

// Devices lists the registered devices with their last heartbeat (admin).
func (c *Client) Devices(ctx context.Context) ([]protocol.Device, error) {
	var r []protocol.Device
	_, err := c.Do(ctx, http.MethodGet, "/api/v1/devices", nil, &r, nil)
	return r, err
}
