// Package webhook delivers the event log to outside systems (the one-stop
// software, the province) as signed HTTP POSTs, following the Standard
// Webhooks specification (DATA-OUT.md). Nothing is queued in memory: each
// endpoint keeps a cursor, the seq of the last event it acknowledged, in
// the store, and a worker per endpoint reads the events table after it. So
// delivery is at least once, in seq order, survives restarts, and a
// receiver that was down gets everything it missed. The clerk's "next"
// never waits for a delivery: the engine only wakes the workers. With
// several server instances on one database only the instance holding an
// endpoint's lease in the store delivers to it (Dispatcher).
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Endpoint is a registered receiver.
type Endpoint struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	// Secret is shown once, when the endpoint is created.
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Cursor is the seq of the last event acknowledged (or skipped by the filter).
	Cursor int64 `json:"cursor"`
	// Attempts and FailingSince describe the event being retried, if any.
	Attempts     int        `json:"attempts"`
	FailingSince *time.Time `json:"failing_since,omitempty"`
	NextAttempt  *time.Time `json:"next_attempt,omitempty"`
}

// Attempt is one delivery attempt, kept for the admin page.
type Attempt struct {
	ID        int64     `json:"id"`
	WebhookID string    `json:"webhook_id"`
	Seq       int64     `json:"seq"`
	EventType string    `json:"event_type"`
	Attempt   int       `json:"attempt"`
	At        time.Time `json:"at"`
	// Status is the HTTP status (0: no answer).
	Status     int    `json:"status"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
	Resend     bool   `json:"resend,omitempty"`
	OK         bool   `json:"ok"`
}

// Request is the body of POST /api/v1/webhooks.
type Request struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

var patternRE = regexp.MustCompile(`^[a-z*][a-z0-9_.*]{0,63}$`)

// MaxEndpoints bounds the endpoints a centre may register.
const MaxEndpoints = 20

// Validate checks a registration; it returns the events filter to store
// (empty: all events).
func (r Request) Validate() ([]string, error) {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(r.URL) > 2000 {
		return nil, fmt.Errorf("url must be an absolute http:// or https:// URL")
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("url must not have a #fragment")
	}
	if len(r.Events) > 20 {
		return nil, fmt.Errorf("at most 20 event patterns")
	}
	out := []string{}
	for _, p := range r.Events {
		if !patternRE.MatchString(p) {
			return nil, fmt.Errorf("event pattern %q: lowercase letters, digits, dots, underscores and * only", p)
		}
		if _, err := path.Match(p, "x"); err != nil {
			return nil, fmt.Errorf("event pattern %q: %v", p, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// Matches tells whether an event type passes the filter (empty: all).
// Patterns are globs: "ticket.*" matches "ticket.called".
func Matches(filter []string, typ string) bool {
	if len(filter) == 0 {
		return true
	}
	for _, p := range filter {
		if ok, _ := path.Match(p, typ); ok {
			return true
		}
	}
	return false
}

// NewSecret returns "whsec_" + base64 of 32 random bytes.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// NewID returns a random endpoint id.
func NewID() string { return "wh_" + strings.ToLower(rand.Text()[:16]) }

// MessageID is the webhook-id of an event: unique per event, the same on
// every retry (Standard Webhooks), so receivers can drop duplicates.
func MessageID(epoch string, seq int64) string {
	return "msg_" + epoch + "_" + strconv.FormatInt(seq, 10)
}

// Sign returns the webhook-signature header value for a message:
// "v1," + base64(HMAC-SHA256(key, id.timestamp.body)), where key is the
// base64-decoded part of the secret after "whsec_".
func Sign(secret, id string, ts int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "", fmt.Errorf("webhook: bad secret: %w", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// Verify checks a received message as a receiver would: the signature
// (any of the space-separated ones) and a timestamp within tolerance.
func Verify(secret, id, timestamp, signatures string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook: bad timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook: timestamp outside tolerance")
	}
	want, err := Sign(secret, id, ts, body)
	if err != nil {
		return err
	}
	for _, s := range strings.Fields(signatures) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("webhook: no valid signature")
}

// Backoff is the wait before attempt n+1 after n failed attempts: about
// 1 s, doubling, at most 10 minutes.
func Backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 20 {
		return MaxBackoff
	}
	return min(time.Second<<(n-1), MaxBackoff)
}

// MaxBackoff is the longest wait between attempts.
const MaxBackoff = 10 * time.Minute

// Timeout is how long a receiver has to answer 2xx.
const Timeout = 10 * time.Second
