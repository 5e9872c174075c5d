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
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// Client talks to one server, or to one of several instances of it (one
// centre on one PostgreSQL database, docs/DEPLOY.md). It is safe for
// concurrent use.
//
// With several addresses the client stays on the one that last answered and
// moves to the next when a request cannot be made there: a connection that
// could not be opened (nothing was sent, so any request moves), or, for
// requests that are safe to repeat — GET and HEAD, and writes carrying an
// Idempotency-Key header such as IssueTicket with a key — any network error
// and 502/503/504. A write that may have reached a server is never sent to
// another one: the caller gets the error, as with one address.
type Client struct {
	addrs []*url.URL
	cur   *atomic.Int32 // index into addrs of the address in use, shared by WithToken copies
	token string
	http  *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient replaces the default HTTP client (10 s timeout, 3 s to
// open a connection).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// New returns a client for the server at baseURL (http://host:port)
// authenticating with token (a device token or a login token; may be empty).
func New(baseURL, token string, opts ...Option) (*Client, error) {
	return NewMulti([]string{baseURL}, token, opts...)
}

// NewMulti returns a client for a server reached at any of addrs (each
// http(s)://host[:port], at least one): instances sharing one database, or
// load balancers in front of them. It starts with the first.
func NewMulti(addrs []string, token string, opts ...Option) (*Client, error) {
	if len(addrs) == 0 {
		return nil, errors.New("client: no server URL")
	}
	c := &Client{cur: new(atomic.Int32), token: token}
	for _, a := range addrs {
		u, err := parseAddr(a)
		if err != nil {
			return nil, err
		}
		c.addrs = append(c.addrs, u)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// A server that is gone should cost a moment, not the whole timeout,
	// before the next address is tried.
	tr.DialContext = (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	c.http = &http.Client{Timeout: 10 * time.Second, Transport: tr}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

func parseAddr(a string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(a), "/"))
	if err != nil {
		return nil, fmt.Errorf("client: server URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("client: server URL %q must be http(s)://host[:port]", a)
	}
	return u, nil
}

// BaseURL is the base URL of the server address in use.
func (c *Client) BaseURL() string { return c.addrs[c.current()].String() }

// Addresses are the client's server addresses, in the order given.
func (c *Client) Addresses() []string {
	out := make([]string, len(c.addrs))
	for i, u := range c.addrs {
		out[i] = u.String()
	}
	return out
}

func (c *Client) current() int { return int(c.cur.Load()) % len(c.addrs) }

// moveOn makes the address after from the one in use, unless another
// request already moved away from from.
func (c *Client) moveOn(from int) {
	c.cur.CompareAndSwap(int32(from), int32((from+1)%len(c.addrs)))
}

// WithToken returns a copy of the client using another token. The copy
// shares the address in use with c.
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
// answer into out (nil to ignore). It returns the HTTP status. With several
// addresses it tries the next one where that is safe (see Client).
func (c *Client) Do(ctx context.Context, method, path string, body any, out any, header http.Header) (int, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return 0, err
		}
	}
	repeatable := method == http.MethodGet || method == http.MethodHead || header.Get("Idempotency-Key") != ""
	first := c.current()
	var status int
	var err error
	for i := range len(c.addrs) {
		at := (first + i) % len(c.addrs)
		status, err = c.doAt(ctx, c.addrs[at], method, path, b, body != nil, out, header)
		// No answer (status 0) or the instance cannot serve (502/503/504);
		// a 2xx whose body did not read or decode is an answer.
		failed := err != nil && (status == 0 || status >= 500) && IsUnreachable(err)
		if len(c.addrs) == 1 || ctx.Err() != nil || !(notSent(err) || repeatable && failed) {
			if err == nil || !IsUnreachable(err) {
				c.cur.Store(int32(at)) // it answered: stay there
			}
			return status, err
		}
		c.moveOn(at)
	}
	return status, err
}

// notSent reports whether err means the request never left: the connection
// to the server could not be opened.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func (c *Client) doAt(ctx context.Context, base *url.URL, method, path string, b []byte, hasBody bool, out any, header http.Header) (int, error) {
	var rd io.Reader
	if hasBody {
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base.String()+path, rd)
	if err != nil {
		return 0, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if hasBody {
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
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 400 {
		var pe protocol.Error
		if json.Unmarshal(rb, &pe) == nil && pe.Error.Code != "" {
			return resp.StatusCode, &Error{Status: resp.StatusCode, Code: pe.Error.Code, Message: pe.Error.Message}
		}
		return resp.StatusCode, &Error{Status: resp.StatusCode, Code: http.StatusText(resp.StatusCode), Message: strings.TrimSpace(string(rb))}
	}
	if out != nil && resp.StatusCode != http.StatusNoContent && len(rb) > 0 {
		if err := json.Unmarshal(rb, out); err != nil {
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
