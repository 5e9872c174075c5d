package httpapi

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
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
}

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

// takeShared is take against the shared buckets (when there are); should
// they fail, the instance limits on its own meanwhile.
func (l *limiter) takeShared(ctx context.Context, key string) (bool, time.Duration) {
	if l == nil || l.rate <= 0 || l.shared == nil {
		return l.take(key)
	}
	ok, wait, err := l.shared.TakeToken(ctx, l.name+"|"+key, float64(l.rate), l.burst)
	if err != nil {
		if l.log != nil {
			l.log.Warn("shared rate limit unavailable; this instance limits alone", "limit", l.name, "err", err)
		}
		return l.take(key)
	}
	return ok, wait
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
		if ip := r.Header.Get("X-Real-IP"); ip != "" {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
