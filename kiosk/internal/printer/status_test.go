package printer

import (
	"testing"
)

func TestDecodeStatus(t *testing.T) {
	tests := []struct {
		name                    string
		printer, offline, paper byte
		want                    Status
	}{
		{"ready", 0x12, 0x12, 0x12, Status{State: StateOK}},
		{"paper near end (both bits)", 0x12, 0x12, 0x1e, Status{State: StatePaperLow, PaperLow: true}},
		{"paper near end (one bit)", 0x12, 0x12, 0x16, Status{State: StatePaperLow, PaperLow: true}},
		{"paper end by sensor", 0x1a, 0x12, 0x7e, Status{State: StatePaperOut, Offline: true, PaperOut: true, PaperLow: true}},
		{"paper end by offline cause only", 0x1a, 0x32, 0x12, Status{State: StatePaperOut, Offline: true, PaperOut: true}},
		{"paper end, one sensor bit", 0x12, 0x12, 0x32, Status{State: StatePaperOut, PaperOut: true}},
		{"cover open", 0x1a, 0x16, 0x12, Status{State: StateCoverOpen, Offline: true, CoverOpen: true}},
		{"cover open beats paper out", 0x1a, 0x36, 0x7e, Status{State: StateCoverOpen, Offline: true, CoverOpen: true, PaperOut: true, PaperLow: true}},
		{"error", 0x1a, 0x52, 0x12, Status{State: StateError, Offline: true, Failed: true}},
		{"offline, no cause given", 0x1a, 0x12, 0x12, Status{State: StateOffline, Offline: true}},
		{"offline beats paper low", 0x1a, 0x12, 0x1e, Status{State: StateOffline, Offline: true, PaperLow: true}},
		{"feed button and drawer bits are ignored", 0x16, 0x1a, 0x12, Status{State: StateOK}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeStatus(tt.printer, tt.offline, tt.paper)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("DecodeStatus(%#x, %#x, %#x) = %+v, want %+v", tt.printer, tt.offline, tt.paper, got, tt.want)
			}
		})
	}
}

func TestDecodeStatusBadReplies(t *testing.T) {
	for _, r := range [][3]byte{
		{0x00, 0x12, 0x12}, // fixed bits missing
		{0x12, 0xff, 0x12}, // everything set
		{0x12, 0x12, 0x13}, // bit 0 set
		{0x92, 0x12, 0x12}, // bit 7 set
		{0x12, 0x10, 0x12}, // bit 1 clear
		{0x12, 0x12, 0x02}, // bit 4 clear
		{'H', 'T', 'T'},    // an HTTP server on port 9100
	} {
		s, err := DecodeStatus(r[0], r[1], r[2])
		if ReasonOf(err) != ReasonBadReply {
			t.Errorf("DecodeStatus(% x) = %+v, %v; want a bad_reply error", r, s, err)
		}
	}
}

func TestReady(t *testing.T) {
	for state, want := range map[State]bool{
		StateOK: true, StatePaperLow: true, StateUnknown: true,
		StatePaperOut: false, StateCoverOpen: false, StateOffline: false, StateError: false,
	} {
		if got := (Status{State: state}).Ready(); got != want {
			t.Errorf("%s.Ready() = %v, want %v", state, got, want)
		}
	}
}

// FuzzDecodeStatus checks that any three bytes decode without panicking,
// that exactly the replies with the fixed bits are accepted, and that the
// state agrees with the conditions.
func FuzzDecodeStatus(f *testing.F) {
	for _, seed := range [][3]byte{
		{0x12, 0x12, 0x12}, {0x1a, 0x32, 0x7e}, {0x1a, 0x16, 0x12}, {0x1a, 0x52, 0x12},
		{0x12, 0x12, 0x1e}, {0x00, 0x00, 0x00}, {0xff, 0xff, 0xff}, {0x13, 0x92, 0x02},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, printer, offline, paper byte) {
		s, err := DecodeStatus(printer, offline, paper)
		valid := ValidReply(printer) && ValidReply(offline) && ValidReply(paper)
		if valid != (err == nil) {
			t.Fatalf("DecodeStatus(%#x, %#x, %#x): err %v, but valid replies = %v", printer, offline, paper, err, valid)
		}
		if err != nil {
			if ReasonOf(err) != ReasonBadReply || s != (Status{}) {
				t.Fatalf("invalid replies gave %+v, %v", s, err)
			}
			return
		}
		want := map[State]bool{
			StateCoverOpen: s.CoverOpen,
			StatePaperOut:  !s.CoverOpen && s.PaperOut,
			StateError:     !s.CoverOpen && !s.PaperOut && s.Failed,
			StateOffline:   !s.CoverOpen && !s.PaperOut && !s.Failed && s.Offline,
			StatePaperLow:  !s.CoverOpen && !s.PaperOut && !s.Failed && !s.Offline && s.PaperLow,
			StateOK:        !s.CoverOpen && !s.PaperOut && !s.Failed && !s.Offline && !s.PaperLow,
		}
		if !want[s.State] {
			t.Fatalf("state %s does not match the conditions %+v", s.State, s)
		}
	})
}
