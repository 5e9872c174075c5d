package client

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civiq/civiq/server/protocol"
)

// SubscribeOptions tune Subscribe.
type SubscribeOptions struct {
	// Since is the last seq already seen (0: start with a snapshot).
	Since int64
	// Epoch is the epoch Since belongs to.
	Epoch string
	// MinBackoff and MaxBackoff bound the reconnect delay (default 250 ms, 10 s).
	MinBackoff, MaxBackoff time.Duration
	// OnState is told when the connection goes up (true) or down (false).
	OnState func(connected bool, err error)
	// Path is the websocket path (default "/ws").
	Path string
}

// Subscribe streams events to fn until ctx ends, reconnecting with
// exponential backoff and resuming from the last seq delivered, so fn sees
// every event once, in order; when the server can no longer resume (history
// pruned, epoch changed) fn receives a snapshot event instead. fn runs on
// one goroutine; if it returns an error, the connection is dropped and
// resumed from the last event fn accepted.
//
// With several addresses (NewMulti) a connection that fails or ends moves
// the subscription to the next address, where it resumes from the same seq
// (instances on one database share the event log and its seqs). The delay
// grows only once every address has failed in a row.
func (c *Client) Subscribe(ctx context.Context, opts SubscribeOptions, fn func(protocol.Event) error) error {
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 250 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 10 * time.Second
	}
	if opts.Path == "" {
		opts.Path = "/ws"
	}
	since, epoch := opts.Since, opts.Epoch
	have := since > 0
	backoff := opts.MinBackoff
	failed := 0 // connections in a row that ended before an event
	for {
		connected := false
		at := c.current()
		err := c.subscribeOnce(ctx, c.addrs[at], opts.Path, since, epoch, have, func(ev protocol.Event) error {
			if !connected {
				connected = true
				backoff, failed = opts.MinBackoff, 0
			}
			if ev.Type != protocol.EventSnapshot && have && ev.Epoch == epoch && ev.Seq <= since {
				return nil // duplicate (never expected; cheap to guard)
			}
			if err := fn(ev); err != nil {
				return err
			}
			since, epoch, have = ev.Seq, ev.Epoch, true
			return nil
		}, opts.OnState)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if opts.OnState != nil {
			opts.OnState(false, err)
		}
		var stop errStop
		if !errors.As(err, &stop) {
			c.moveOn(at) // the server went away or refused: try the next address
		}
		// Jittered exponential backoff, so a hall of displays does not
		// reconnect in lockstep after a server restart.
		d := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
		if failed++; failed%len(c.addrs) == 0 {
			backoff = min(backoff*2, opts.MaxBackoff)
		}
	}
}

func wsURL(base *url.URL, path string, since int64, epoch string, have bool) string {
	u := *base
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	u.Path = strings.TrimRight(u.Path, "/") + path
	q := u.Query()
	if have {
		q.Set("since", strconv.FormatInt(since, 10))
		if epoch != "" {
			q.Set("epoch", epoch)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// errStop carries fn's error out of the read loop.
type errStop struct{ err error }

func (e errStop) Error() string { return e.err.Error() }

func (c *Client) subscribeOnce(ctx context.Context, base *url.URL, path string, since int64, epoch string, have bool, fn func(protocol.Event) error, onState func(bool, error)) error {
	h := http.Header{}
	if c.token != "" {
		h.Set("Authorization", "Bearer "+c.token)
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
	conn, resp, err := d.DialContext(ctx, wsURL(base, path, since, epoch, have), h)
	if err != nil {
		if resp != nil && resp.StatusCode >= 400 {
			return &Error{Status: resp.StatusCode, Code: http.StatusText(resp.StatusCode), Message: "websocket refused"}
		}
		return err
	}
	if onState != nil {
		onState(true, nil)
	}
	var once sync.Once
	closeConn := func() { once.Do(func() { conn.Close() }) }
	defer closeConn()
	stop := context.AfterFunc(ctx, closeConn)
	defer stop()
	// The server pings every 25 s; silence for longer than this means the
	// connection is dead even if TCP has not noticed.
	const silence = 70 * time.Second
	conn.SetReadLimit(16 << 20)
	conn.SetReadDeadline(time.Now().Add(silence))
	conn.SetPingHandler(func(data string) error {
		conn.SetReadDeadline(time.Now().Add(silence))
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
	})
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		conn.SetReadDeadline(time.Now().Add(silence))
		var ev protocol.Event
		if err := json.Unmarshal(msg, &ev); err != nil {
			return errors.New("civiq: malformed event from server: " + err.Error())
		}
		if err := fn(ev); err != nil {
			return errStop{err}
		}
	}
}
