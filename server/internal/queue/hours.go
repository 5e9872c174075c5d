package queue

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// weekdayKeys are the keys of protocol.Hours, indexed by time.Weekday.
func weekdayKey(d time.Weekday) string {
	return [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}[d]
}

// interval is [from, to) in minutes after local midnight.
type interval struct{ from, to int }

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, fmt.Errorf("time %q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("time %q is not a valid HH:MM", s)
	}
	return hh*60 + mm, nil
}

func parseInterval(s string) (interval, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return interval{}, fmt.Errorf("interval %q is not HH:MM-HH:MM", s)
	}
	from, err := parseClock(a)
	if err != nil {
		return interval{}, err
	}
	to, err := parseClock(b)
	if err != nil {
		return interval{}, err
	}
	if to <= from {
		return interval{}, fmt.Errorf("interval %q ends before it starts", s)
	}
	return interval{from, to}, nil
}

// ValidateHours checks opening hours: known weekday keys, well-formed
// intervals that do not overlap.
func ValidateHours(h protocol.Hours) error {
	for day, list := range h {
		known := false
		for d := time.Sunday; d <= time.Saturday; d++ {
			if weekdayKey(d) == day {
				known = true
			}
		}
		if !known {
			return fmt.Errorf("unknown weekday %q (use mon, tue, wed, thu, fri, sat, sun)", day)
		}
		var prev []interval
		for _, s := range list {
			iv, err := parseInterval(s)
			if err != nil {
				return fmt.Errorf("%s: %w", day, err)
			}
			for _, p := range prev {
				if iv.from < p.to && p.from < iv.to {
					return fmt.Errorf("%s: interval %q overlaps another", day, s)
				}
			}
			prev = append(prev, iv)
		}
	}
	return nil
}

// OpenAt reports whether hours are open at t, read in t's location. Invalid
// intervals count as closed (they are rejected when configured).
func OpenAt(h protocol.Hours, t time.Time) bool {
	min := t.Hour()*60 + t.Minute()
	for _, s := range h[weekdayKey(t.Weekday())] {
		iv, err := parseInterval(s)
		if err == nil && min >= iv.from && min < iv.to {
			return true
		}
	}
	return false
}

// effectiveHours are the field's own hours, or the centre's when it has none.
func effectiveHours(s protocol.Service, c protocol.Centre) protocol.Hours {
	if len(s.Hours) > 0 {
		return s.Hours
	}
	return c.Hours
}
