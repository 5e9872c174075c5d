package queue

import "time"

// Clock tells the time. Tests inject a fake one to cross midnight.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Day returns the service day of t in loc, as YYYY-MM-DD. Numbers restart
// every day at local midnight.
func Day(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(time.DateOnly)
}
