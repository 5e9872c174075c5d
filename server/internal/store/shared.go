package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/civiq/civiq/server/internal/report"
	"github.com/civiq/civiq/server/protocol"
)

// The helpers below are the parts of a backend that do not depend on its
// database: both backends call them, so they behave the same.

// Submit hands op o to a group-commit writer through ops and waits until
// the writer has answered it (closed done), then returns nil: the caller
// reads the outcome from o. It returns ctx's error when o could not be
// queued in time, and ErrClosed when the store is closing (quit) or the
// writer stopped (stopped) without taking o. Once queued, o's outcome is
// awaited even if ctx ends: it may commit.
func Submit[O any](ctx context.Context, ops chan<- O, o O, done, quit, stopped <-chan struct{}) error {
	select {
	case ops <- o:
	case <-ctx.Done():
		return ctx.Err()
	case <-quit:
		return ErrClosed
	}
	select {
	case <-done:
		return nil
	case <-stopped:
		// An op queued (into the buffer) after the writer stopped is never
		// taken; one it took was answered before stopped closed.
		select {
		case <-done:
			return nil
		default:
			return ErrClosed
		}
	}
}

// NewEpoch returns a random event epoch.
func NewEpoch() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewSecret returns a new random store secret (the key of the leased
// tickets' ids, the ID card hash…) encoded as the meta table keeps it.
func NewSecret() string {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	return base64.StdEncoding.EncodeToString(secret)
}

// LoadMeta reads the epoch and the secret from a backend's meta table
// through get (the value of one key); name prefixes the errors.
func LoadMeta(ctx context.Context, name string, get func(ctx context.Context, key string) (string, error)) (epoch string, secret []byte, err error) {
	if epoch, err = get(ctx, "epoch"); err != nil {
		return "", nil, fmt.Errorf("%s: read epoch: %w", name, err)
	}
	sec, err := get(ctx, "secret")
	if err != nil {
		return "", nil, fmt.Errorf("%s: read secret: %w", name, err)
	}
	if secret, err = base64.StdEncoding.DecodeString(sec); err != nil {
		return "", nil, fmt.Errorf("%s: bad secret: %w", name, err)
	}
	return epoch, secret, nil
}

// WarmDays runs warm for each day in order, stopping at the first error
// or when ctx ends, and returns how many days it warmed.
func WarmDays(ctx context.Context, days []string, warm func(ctx context.Context, day string) error) (int, error) {
	for i, day := range days {
		if err := ctx.Err(); err != nil {
			return i, err
		}
		if err := warm(ctx, day); err != nil {
			return i, err
		}
	}
	return len(days), nil
}

// ReportDisruptions turns disruptions into the reports' form: one still
// open lasts until now.
func ReportDisruptions(ds []protocol.Disruption, now time.Time) []report.Disruption {
	out := make([]report.Disruption, 0, len(ds))
	for _, d := range ds {
		end := now
		if d.EndedAt != nil {
			end = *d.EndedAt
		}
		out = append(out, report.Disruption{Start: d.StartedAt, End: end, CounterIDs: d.CounterIDs})
	}
	return out
}

// Gather makes a group-commit writer's next batch: unless batch already
// holds ops, it waits for one on ops, then adds what else is queued there
// now, up to max in all. ok is false when quit closed before an op came.
func Gather[O any](batch []O, ops <-chan O, quit <-chan struct{}, max int) (_ []O, ok bool) {
	if len(batch) == 0 {
		select {
		case o := <-ops:
			batch = append(batch, o)
		case <-quit:
			return batch, false
		}
	}
	for len(batch) < max {
		select {
		case o := <-ops:
			batch = append(batch, o)
		default:
			return batch, true
		}
	}
	return batch, true
}
