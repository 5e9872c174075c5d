package httpapi

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// countingBuckets is a SharedLimiter that refuses key after burst takes
// (or fails) and counts what it is asked.
type countingBuckets struct {
	mu    sync.Mutex
	taken map[string]int
	asked int
	fail  error
}

func (b *countingBuckets) TakeToken(_ context.Context, key string, _ float64, burst int) (bool, time.Duration, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.asked++
	if b.fail != nil {
		return false, 0, b.fail
	}
	if b.taken[key] >= burst {
		return false, time.Hour, nil
	}
	b.taken[key]++
	return true, 0, nil
}

// TestSharedLimiterAsksOncePerRefusal: once the shared buckets refused an
// address, the instance refuses it itself until the wait is over, without
// asking the database for every guess of a flood; IPv6 addresses of one
// /64 share a bucket; a failing database leaves the instance's own limit.
func TestSharedLimiterAsksOncePerRefusal(t *testing.T) {
	sb := &countingBuckets{taken: map[string]int{}}
	l := newLimiter(10.0/60, 5).sharedBy(sb, "login", nil)
	ctx := context.Background()
	for i := range 5 {
		if ok, _ := l.takeShared(ctx, "203.0.113.9"); !ok {
			t.Fatalf("guess %d refused", i+1)
		}
	}
	for i := range 100 {
		ok, wait := l.takeShared(ctx, "203.0.113.9")
		if ok || wait <= 0 || wait > time.Hour {
			t.Fatalf("guess %d past the budget: %v, wait %v", 6+i, ok, wait)
		}
	}
	if sb.asked != 6 {
		t.Fatalf("the shared buckets were asked %d times, want 6 (5 takes and the first refusal)", sb.asked)
	}
	if sb.taken["login|203.0.113.9"] != 5 {
		t.Fatalf("keys taken %v", sb.taken)
	}
	// One /64: one budget.
	for i, a := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::9", "2001:db8:1:2::3", "2001:db8:1:2::4"} {
		if ok, _ := l.takeShared(ctx, a); !ok {
			t.Fatalf("IPv6 guess %d refused", i+1)
		}
	}
	if ok, _ := l.takeShared(ctx, "2001:db8:1:2::99"); ok {
		t.Fatal("a sixth guess from the same /64 was let through")
	}
	if ok, _ := l.takeShared(ctx, "2001:db8:1:3::1"); !ok {
		t.Fatal("the next /64 was refused")
	}
	// The database fails: the instance's own buckets (5 a burst) limit.
	sb.fail = errors.New("connection refused")
	for i := range 5 {
		if ok, _ := l.takeShared(ctx, "198.51.100.7"); !ok {
			t.Fatalf("local guess %d refused", i+1)
		}
	}
	if ok, _ := l.takeShared(ctx, "198.51.100.7"); ok {
		t.Fatal("the local limit let a sixth guess through")
	}
}

func TestAddressKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.9": "203.0.113.9", "::ffff:203.0.113.9": "203.0.113.9",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64", "::1": "::/64",
		"x": "other", "": "other", "10.0.0.5, 8.8.8.8": "other",
	} {
		if got := addressKey(in); got != want {
			t.Errorf("addressKey(%q) = %q, want %q", in, got, want)
		}
	}
}
