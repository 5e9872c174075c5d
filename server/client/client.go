// Package client is the public Go client of the CiviQ server: REST calls of
// the wire contract v1 and a websocket subscription that reconnects with
// backoff and resumes from the last seq it saw. The kiosk and the display use
// it; outside programs may too.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// Client talks to one server. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient replaces the default HTTP client (10 s timeout).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// New returns a client for the server at baseURL (http://host:port)
// authenticating with token (a device token or a login token; may be empty).
func New(baseURL, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("client: server URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("client: server URL %q must be http(s)://host[:port]", baseURL)
	}
	c := &Client{base: u, token: token, http: &http.Client{Timeout: 10 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// BaseURL is the server's base URL.
func (c *Client) BaseURL() string { return c.base.String() }

// WithToken returns a copy of the client using another token.
func (c *Client) WithToken(token string) *Client {
	cc := *c
	cc.token = token
	return &cc
}

// Error is an error answer of the server.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("civiq: %d %s: %s", e.Status, e.Code, e.Message)
}

// IsCode reports whether err is a server error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// IsUnreachable reports whether err means the server could not be reached
// or is not serving (network error, timeout, 502/503/504), as opposed to a
// definite refusal.
func IsUnreachable(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Status == http.StatusBadGateway || e.Status == http.StatusServiceUnavailable || e.Status == http.StatusGatewayTimeout
	}
	return !errors.Is(err, context.Canceled)
}

// Do sends a request with a JSON body (nil for none) and decodes a JSON
// answer into out (nil to ignore). It returns the HTTP status.
func (c *Client) Do(ctx context.Context, method, path string, body any, out any, header http.Header) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return 0, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 400 {
		var pe protocol.Error
		if json.Unmarshal(b, &pe) == nil && pe.Error.Code != "" {
			return resp.StatusCode, &Error{Status: resp.StatusCode, Code: pe.Error.Code, Message: pe.Error.Message}
		}
		return resp.StatusCode, &Error{Status: resp.StatusCode, Code: http.StatusText(resp.StatusCode), Message: strings.TrimSpace(string(b))}
	}
	if out != nil && resp.StatusCode != http.StatusNoContent && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("civiq: decode %s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// Login logs a user in; use WithToken(resp.Token) for later calls.
func (c *Client) Login(ctx context.Context, username, password string) (protocol.LoginResponse, error) {
	var r protocol.LoginResponse
	_, err := c.Do(ctx, http.MethodPost, "/api/v1/login", protocol.LoginRequest{Username: username, Password: password}, &r, nil)
	return r, err
}

// Health checks GET /healthz.
func (c *Client) Health(ctx context.Context) error {
	var h protocol.Health
	_, err := c.Do(ctx, http.MethodGet, "/healthz", nil, &h, nil)
	return err
}

// Centre returns the centre settings.
func (c *Client) Centre(ctx context.Context) (protocol.Centre, error) {
	var r protocol.Centre
	_, err := c.Do(ctx, http.MethodGet, "/api/v1/centre", nil, &r, nil)
	return r, err
}

// Services lists the fields.
func (c *Client) Services(ctx context.Context) ([]protocol.Service, error) {
	var r []protocol.Service
	_, err := c.Do(ctx, http.MethodGet, "/api/v1/services", nil, &r, nil)
	return r, err
}

// Counters lists the counters.
func (c *Client) Counters(ctx context.Context) ([]protocol.Counter, error) {
	var r []protocol.Counter
	_, err := c.Do(ctx, http.MethodGet, "/api/v1/counters", nil, &r, nil)
	return r, err
}

// Board returns the board.
func (c *Client) Board(ctx context.Context) (protocol.Board, error) {
	var r protocol.Board
	_, err := c.Do(ctx, http.MethodGet, "/api/v1/board", nil, &r, nil)
	return r, err
}

// CreateDevice registers a kiosk or display (admin).
func (c *Client) CreateDevice(ctx context.Context, kind, name string) (protocol.Device, error) {
	var r protocol.Device
	_, err := c.Do(ctx, http.MethodPost, "/api/v1/devices", protocol.DeviceRequest{Kind: kind, Name: name}, &r, nil)
	return r, err
}

// Pair trades a one-time pairing code (made in /admin, POST
// /api/v1/devices/pairing) for a new device and its token. The client
// needs no token.
func (c *Client) Pair(ctx context.Context, code string) (protocol.Device, error) {
	var r protocol.Device
	_, err := c.Do(ctx, http.MethodPost, "/api/v1/pair", protocol.PairRequest{Code: code}, &r, nil)
	return r, err
}

// Heartbeat reports a device's status.
func (c *Client) Heartbeat(ctx context.Context, st protocol.DeviceStatus) error {
	_, err := c.Do(ctx, http.MethodPost, "/api/v1/devices/heartbeat", st, nil, nil)
	return err
}

// IssueTicket issues a ticket. A non-empty idempotencyKey makes retries
// safe: the same key returns the same ticket.
func (c *Client) IssueTicket(ctx context.Context, req protocol.IssueRequest, idempotencyKey string) (protocol.Ticket, error) {
	var t protocol.Ticket
	var h http.Header
	if idempotencyKey != "" {
		h = http.Header{"Idempotency-Key": {idempotencyKey}}
	}
	_, err := c.Do(ctx, http.MethodPost, "/api/v1/tickets", req, &t, h)
	return t, err
}

// Ticket returns the ticket holding token.
func (c *Client) Ticket(ctx context.Context, token string) (protocol.Ticket, error) {
	var t protocol.Ticket
	_, err := c.Do(ctx, http.MethodGet, "/api/v1/tickets/"+url.PathEscape(token), nil, &t, nil)
	return t, err
}

func (c *Client) counterAction(ctx context.Context, counterID, action string, body any) (*protocol.Ticket, error) {
	var t protocol.Ticket
	status, err := c.Do(ctx, http.MethodPost, "/api/v1/counters/"+url.PathEscape(counterID)+"/"+action, body, &t, nil)
	if err != nil || status == http.StatusNoContent {
		return nil, err
	}
	return &t, nil
}

// Next completes the counter's current ticket and calls the next one; nil
// when nobody waits.
func (c *Client) Next(ctx context.Context, counterID string) (*protocol.Ticket, error) {
	return c.counterAction(ctx, counterID, "next", nil)
}

// Recall calls the counter's current ticket again.
func (c *Client) Recall(ctx context.Context, counterID string) (*protocol.Ticket, error) {
	return c.counterAction(ctx, counterID, "recall", nil)
}

// Done completes the counter's current ticket.
func (c *Client) Done(ctx context.Context, counterID string) (*protocol.Ticket, error) {
	return c.counterAction(ctx, counterID, "done", nil)
}

// NoShow marks the counter's current ticket as not shown up.
func (c *Client) NoShow(ctx context.Context, counterID string) (*protocol.Ticket, error) {
	return c.counterAction(ctx, counterID, "no-show", nil)
}

// Transfer moves the counter's current ticket to another field.
func (c *Client) Transfer(ctx context.Context, counterID, serviceID string) (*protocol.Ticket, error) {
	return c.counterAction(ctx, counterID, "transfer", protocol.TransferRequest{ServiceID: serviceID})
}

// SetCounterStatus opens, pauses or closes a counter.
func (c *Client) SetCounterStatus(ctx context.Context, counterID, status string) (protocol.Counter, error) {
	var r protocol.Counter
	_, err := c.Do(ctx, http.MethodPut, "/api/v1/counters/"+url.PathEscape(counterID)+"/status", protocol.CounterStatusRequest{Status: status}, &r, nil)
	return r, err
}
