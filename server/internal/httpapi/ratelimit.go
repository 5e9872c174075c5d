package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/civiq/civiq/server/protocol"

	"golang.org/x/time/rate"
)

// SharedLimiter takes tokens from buckets every server instance of the
// centre shares (the PostgreSQL store): perSecond refills the bucket key,
// which holds at most burst; the answer is whether a token was there and
// otherwise how long until one is.
type SharedLimiter interface {
	TakeToken(ctx context.Context, key string, perSecond float64, burst int) (bool, time.Duration, error)
}

// limiter is a set of token buckets keyed by client (IP or principal).
type limiter struct {
	rate  rate.Limit
	burst int
	// shared, when set, holds the buckets instead (name prefixes the
	// keys); the local ones serve only while it cannot be reached.
	shared SharedLimiter
	name   string
	log    *slog.Logger

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
	// refused holds, per key, until when the shared buckets refused it:
	// meanwhile it is refused here without asking the database, so a
	// flood of guesses costs PostgreSQL one statement per refill.
	refused map[string]time.Time
	// warned is when the shared buckets' failure was last logged.
	warned time.Time
}

// sharedTakeTimeout bounds a take from the shared buckets: a slow database
// is answered by the local ones instead.
const sharedTakeTimeout = 500 * time.Millisecond

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{rate: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}, swept: time.Now()}
}

// sharedBy makes the limiter take from sl's buckets named name|key (nil:
// keeps its own).
func (l *limiter) sharedBy(sl SharedLimiter, name string, log *slog.Logger) *limiter {
	l.shared, l.name, l.log = sl, name, log
	return l
}

// takeShared is take against the shared buckets (when there are), key
// being a client address (an IPv6 address counts by its /64, what one
// subscriber gets); should they fail, the instance limits on its own
// meanwhile.
func (l *limiter) takeShared(ctx context.Context, key string) (bool, time.Duration) {
	if l == nil || l.rate <= 0 || l.shared == nil {
		return l.take(key)
	}
	key = addressKey(key)
	now := time.Now()
	l.mu.Lock()
	until, ok := l.refused[key]
	if ok && now.After(until) {
		delete(l.refused, key)
		ok = false
	}
	l.mu.Unlock()
	if ok {
		return false, until.Sub(now)
	}
	tctx, cancel := context.WithTimeout(ctx, sharedTakeTimeout)
	defer cancel()
	allowed, wait, err := l.shared.TakeToken(tctx, l.name+"|"+key, float64(l.rate), l.burst)
	if err != nil {
		if ctx.Err() == nil {
			l.warn(now, err)
		}
		return l.take(key)
	}
	if !allowed {
		l.mu.Lock()
		if l.refused == nil || len(l.refused) > 100_000 {
			l.refused = map[string]time.Time{} // many addresses: start over
		}
		l.refused[key] = now.Add(wait)
		l.mu.Unlock()
	}
	return allowed, wait
}

// warn logs the shared buckets' failure, once a minute at most.
func (l *limiter) warn(now time.Time, err error) {
	l.mu.Lock()
	quiet := now.Sub(l.warned) < time.Minute
	if !quiet {
		l.warned = now
	}
	l.mu.Unlock()
	if !quiet && l.log != nil && !errors.Is(err, context.Canceled) {
		l.log.Warn("shared rate limit unavailable; this instance limits alone", "limit", l.name, "err", err)
	}
}

// addressKey is the bucket key of a client address: the address itself,
// its /64 for IPv6, or "other" for what is not an address.
func addressKey(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "other"
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// allow takes a token for key.
func (l *limiter) allow(key string) bool {
	ok, _ := l.take(key)
	return ok
}

// take takes a token for key; when there is none it says how long until
// the next one (what Retry-After tells the client).
func (l *limiter) take(key string) (bool, time.Duration) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		// Forget idle clients so the map stays small.
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	res := b.lim.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Minute
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// rateLimitedError is a 429 that knows how long the client must wait.
type rateLimitedError struct {
	error
	wait time.Duration
}

func (e rateLimitedError) Unwrap() error { return e.error }

// tooMany is the 429 error of a limiter's refusal.
func tooMany(wait time.Duration, format string, args ...any) error {
	return rateLimitedError{errf(protocol.CodeRateLimited, format, args...), wait}
}

// retryAfter is the Retry-After value of a wait: whole seconds, rounded up.
func retryAfter(wait time.Duration) string {
	return strconv.Itoa(max(1, int((wait+time.Second-1)/time.Second)))
}

// clientIP is the peer address of r; proxies are trusted only when asked.
func clientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if h := r.Header.Get("X-Real-IP"); h != "" {
			ip, err := netip.ParseAddr(strings.TrimSpace(h))
			if err != nil {
				// Not an address: one key for all such, and no private
				// address to pass for (/metrics).
				return "invalid"
			}
			return ip.Unmap().String()
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
