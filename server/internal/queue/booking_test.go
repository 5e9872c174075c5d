package queue

import (
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// FuzzBookingCode: whatever is typed or scanned, a code is either refused
// ("") or 6 characters of the booking alphabet, and reading it again
// changes nothing.
func FuzzBookingCode(f *testing.F) {
	for _, s := range []string{"FDX9EN", "fdx-9en", " FDX 9EN ", "0OIL12", "FDX9ENX", "", "ĐĐĐĐĐĐ", "FDX9E\x00", newBookingCode()} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := NormalizeBookingCode(s)
		if c == "" {
			return
		}
		if len(c) != bookingCodeLen || strings.Trim(c, bookingAlphabet) != "" {
			t.Fatalf("%q read as %q", s, c)
		}
		if NormalizeBookingCode(c) != c {
			t.Fatalf("%q is not stable", c)
		}
	})
}

// FuzzPhone: a phone number is refused or kept as 9 to 11 digits; the
// spellings of one number hash alike.
func FuzzPhone(f *testing.F) {
	for _, s := range []string{"0912345678", "+84 912 345 678", "(091) 234-5678", "0912.345.678", "12", "+8491234567890", "09123456७8", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := normalizePhone(s)
		if !ok {
			return
		}
		if len(p) < 9 || len(p) > 11 || strings.Trim(p, "0123456789") != "" {
			t.Fatalf("%q kept as %q", s, p)
		}
		if q, ok := normalizePhone(p); !ok || q != p {
			t.Fatalf("%q is not stable: %q %v", p, q, ok)
		}
	})
}

func TestBookingCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		c := newBookingCode()
		if NormalizeBookingCode(c) != c {
			t.Fatalf("code %q does not read back", c)
		}
		seen[c] = true
	}
	if len(seen) < 1990 {
		t.Errorf("%d distinct codes of 2000", len(seen))
	}
	a, _ := normalizePhone("+84 912 345 678")
	b, _ := normalizePhone("0912-345-678")
	if a != b || string(phoneHash([]byte("k"), a)) != string(phoneHash([]byte("k"), b)) || string(phoneHash([]byte("k"), a)) == string(phoneHash([]byte("other"), a)) {
		t.Errorf("phone spellings %q %q or keyed hashes differ wrongly", a, b)
	}
}

// TestSlotStarts lays slots out from start times or inside opening hours.
func TestSlotStarts(t *testing.T) {
	loc := time.FixedZone("ICT", 7*3600)
	set := protocol.BookingSettings{Days: map[string]protocol.BookingDay{
		"mon": {Starts: []string{"14:00", "08:00", "08:00"}, Capacity: 2},
		"tue": {SlotMinutes: 40, Capacity: 3},
		"wed": {SlotMinutes: 30, Capacity: 0},
	}}
	hours := protocol.Hours{"tue": {"07:30-09:30", "13:30-14:30"}}
	hm := func(ts []time.Time) string {
		var out []string
		for _, t := range ts {
			out = append(out, t.In(loc).Format("15:04"))
		}
		return strings.Join(out, ",")
	}
	// 2026-12-07 is a Monday.
	if got, c := slotStarts(set, hours, "2026-12-07", loc); hm(got) != "08:00,14:00" || c != 2 {
		t.Errorf("monday %s cap %d", hm(got), c)
	}
	if got, c := slotStarts(set, hours, "2026-12-08", loc); hm(got) != "07:30,08:10,08:50,13:30" || c != 3 {
		t.Errorf("tuesday %s cap %d", hm(got), c)
	}
	for _, d := range []string{"2026-12-09", "2026-12-10", "bad"} {
		if got, _ := slotStarts(set, hours, d, loc); len(got) != 0 {
			t.Errorf("%s: %s, want none", d, hm(got))
		}
	}
}
