package queue

import (
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

func TestOpenAt(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	h := protocol.Hours{"mon": {"07:30-11:30", "13:30-17:00"}, "sat": {"07:30-11:30"}, "sun": {"00:00-24:00"}}
	cases := []struct {
		at   string
		open bool
	}{
		{"2026-11-30 07:29", false}, // Monday
		{"2026-11-30 07:30", true},
		{"2026-11-30 11:29", true},
		{"2026-11-30 11:30", false}, // lunch break
		{"2026-11-30 13:30", true},
		{"2026-11-30 16:59", true},
		{"2026-11-30 17:00", false},
		{"2026-12-01 09:00", false}, // Tuesday: not listed, closed
		{"2026-12-05 09:00", true},  // Saturday morning
		{"2026-12-05 14:00", false},
		{"2026-12-06 23:59", true}, // Sunday until 24:00
		{"2026-12-06 00:00", true},
	}
	for _, c := range cases {
		at, _ := time.ParseInLocation("2006-01-02 15:04", c.at, loc)
		if got := OpenAt(h, at); got != c.open {
			t.Errorf("%s: open=%v, want %v", c.at, got, c.open)
		}
	}
}

func TestValidateHours(t *testing.T) {
	bad := []protocol.Hours{
		{"monday": {"07:00-08:00"}},
		{"mon": {"7:00-08:00"}},
		{"mon": {"08:00-07:00"}},
		{"mon": {"08:00-08:00"}},
		{"mon": {"08:00-25:00"}},
		{"mon": {"08:00-24:01"}},
		{"mon": {"08:60-09:00"}},
		{"mon": {"08:00-12:00", "11:00-13:00"}},
		{"mon": {"0800-1200"}},
	}
	for _, h := range bad {
		if ValidateHours(h) == nil {
			t.Errorf("%v accepted", h)
		}
	}
	good := protocol.Hours{"mon": {"07:30-11:30", "13:30-17:00"}, "sun": {"00:00-24:00"}, "tue": {}}
	if err := ValidateHours(good); err != nil {
		t.Fatal(err)
	}
}

func FuzzHours(f *testing.F) {
	f.Add("mon", "07:30-11:30")
	f.Add("sun", "00:00-24:00")
	f.Add("tue", "24:00-24:00")
	f.Fuzz(func(t *testing.T, day, iv string) {
		h := protocol.Hours{day: {iv}}
		err := ValidateHours(h)
		open := OpenAt(h, time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
		if err != nil && open {
			t.Fatalf("invalid hours %q %q count as open", day, iv)
		}
	})
}

func TestFormatCodeAndTokens(t *testing.T) {
	for n, want := range map[int]string{1: "A001", 12: "A012", 999: "A999", 1000: "A1000", 12345: "A12345"} {
		if got := FormatCode("A", n); got != want {
			t.Errorf("FormatCode(%d) = %s", n, got)
		}
	}
	s := []byte("secret")
	if TicketToken(s, "x") != TicketToken(s, "x") || TicketToken(s, "x") == TicketToken(s, "y") || TicketToken([]byte("other"), "x") == TicketToken(s, "x") {
		t.Fatal("ticket tokens must be deterministic per secret and id")
	}
	if len(TicketToken(s, "x")) != 24 { // 18 bytes = 144 bits
		t.Fatal("token length")
	}
}

func TestValidateService(t *testing.T) {
	ok := protocol.Service{ID: "dat-dai", Prefix: "A", Name: protocol.Text{Vi: "Đất đai"}}
	if err := ValidateService(ok); err != nil {
		t.Fatal(err)
	}
	for _, mod := range []func(*protocol.Service){
		func(s *protocol.Service) { s.ID = "Đất" },
		func(s *protocol.Service) { s.ID = "" },
		func(s *protocol.Service) { s.Prefix = "" },
		func(s *protocol.Service) { s.Prefix = "ABC" },
		func(s *protocol.Service) { s.Prefix = "1" },
		func(s *protocol.Service) { s.Name.Vi = " " },
		func(s *protocol.Service) { s.DailyCap = -1 },
		func(s *protocol.Service) { s.TargetMinutes = 5000 },
		func(s *protocol.Service) { s.Hours = protocol.Hours{"x": nil} },
	} {
		s := ok
		mod(&s)
		if ValidateService(s) == nil {
			t.Errorf("accepted %+v", s)
		}
	}
}
