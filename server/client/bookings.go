package client

import (
	"context"
	"net/http"

	"github.com/civiq/civiq/server/protocol"
)

// CheckInBooking turns a booking code (typed or scanned at the kiosk) into
// a ticket: booked inside or before the booking's window, a walk-in after
// it (docs/API.md, "Appointments"). A second call with the same code
// returns the same ticket (Replayed).
func (c *Client) CheckInBooking(ctx context.Context, code, lang string) (protocol.CheckInResponse, error) {
	var out protocol.CheckInResponse
	_, err := c.Do(ctx, http.MethodPost, "/api/v1/bookings/checkin", protocol.CheckInRequest{Code: code, Lang: lang}, &out, nil)
	return out, err
}

// Book books a slot for a citizen (the integration token or an admin).
func (c *Client) Book(ctx context.Context, req protocol.BookingRequest) (protocol.Booking, error) {
	var out protocol.Booking
	_, err := c.Do(ctx, http.MethodPost, "/api/v1/bookings", req, &out, nil)
	return out, err
}

// CancelBooking cancels a booking by its code (phone: the number it was
// booked with, unless the client is the integration or an admin).
func (c *Client) CancelBooking(ctx context.Context, code, phone string) (protocol.Booking, error) {
	var out protocol.Booking
	_, err := c.Do(ctx, http.MethodPost, "/api/v1/bookings/cancel", protocol.CancelBookingRequest{Code: code, Phone: phone}, &out, nil)
	return out, err
}
