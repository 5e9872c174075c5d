package printer

import (
	"fmt"

	"github.com/civiq/civiq/server/protocol"
)

// State is a printer's condition as the kiosk reports it. The values are
// protocol's printer states (protocol.DeviceStatus.Printer), so a kiosk
// can send string(status.State) in its heartbeat.
type State string

// Printer states, from the ESC/POS status replies.
const (
	StateOK        State = protocol.PrinterOK
	StatePaperLow  State = protocol.PrinterPaperLow // still prints; change the roll soon
	StatePaperOut  State = protocol.PrinterPaperOut
	StateCoverOpen State = protocol.PrinterCoverOpen
	StateOffline   State = protocol.PrinterOffline
	StateError     State = protocol.PrinterError // cutter jam, head overheated, ...
	// StateUnknown is for printers that cannot be asked: a write-only
	// device file, or a USB printer whose driver passes no replies back.
	StateUnknown State = "unknown"
)

// Status is a decoded printer status.
type Status struct {
	// State is the most specific condition that stops printing, or
	// paper_low, or ok. It is what the kiosk shows.
	State State

	// The individual conditions; several may hold at once (an open cover
	// also makes the printer offline).
	Offline   bool
	CoverOpen bool
	PaperOut  bool
	PaperLow  bool
	Failed    bool
}

// Ready tells whether a ticket can be printed now. Unknown counts as ready:
// a printer that cannot report is tried, and the write itself is bounded.
func (s Status) Ready() bool {
	return s.State == StateOK || s.State == StatePaperLow || s.State == StateUnknown
}

// String returns the state.
func (s Status) String() string { return string(s.State) }

// Bits of the status replies (ESC/POS DLE EOT).
const (
	replyFixedMask = 0x93 // bits 0, 1, 4 and 7 are fixed in every reply
	replyFixed     = 0x12 // bit 1 and bit 4 set, bit 0 and bit 7 clear

	printerOffline = 0x08 // n=1 bit 3

	offlineCoverOpen = 0x04 // n=2 bit 2
	offlinePaperEnd  = 0x20 // n=2 bit 5: printing stopped at paper end
	offlineError     = 0x40 // n=2 bit 6

	paperNearEnd = 0x0c // n=4 bits 2-3
	paperEnd     = 0x60 // n=4 bits 5-6
)

// ValidReply tells whether b can be a status reply: the fixed bits of the
// ESC/POS reply format are right. Anything else is line noise, a reply to
// something else, or not an ESC/POS printer at all.
func ValidReply(b byte) bool { return b&replyFixedMask == replyFixed }

// DecodeStatus decodes the replies to DLE EOT 1 (printer), 2 (offline
// cause) and 4 (paper sensor). A reply without the fixed bits gives an
// *Error with ReasonBadReply.
func DecodeStatus(printer, offline, paper byte) (Status, error) {
	for _, r := range []struct {
		n byte
		b byte
	}{{RequestPrinter, printer}, {RequestOffline, offline}, {RequestPaper, paper}} {
		if !ValidReply(r.b) {
			return Status{}, &Error{Op: "status", Reason: ReasonBadReply,
				Err: fmt.Errorf("reply 0x%02x to DLE EOT %d lacks the fixed bits", r.b, r.n)}
		}
	}
	s := Status{
		Offline:   printer&printerOffline != 0,
		CoverOpen: offline&offlineCoverOpen != 0,
		// Printers differ in which of the paired sensor bits they set, and
		// some report the end only as the reason for going offline.
		PaperOut: paper&paperEnd != 0 || offline&offlinePaperEnd != 0,
		PaperLow: paper&paperNearEnd != 0,
		Failed:   offline&offlineError != 0,
	}
	// The cause before the effect: an open cover and an empty roll both
	// make the printer offline, and the clerk needs to know which to fix.
	switch {
	case s.CoverOpen:
		s.State = StateCoverOpen
	case s.PaperOut:
		s.State = StatePaperOut
	case s.Failed:
		s.State = StateError
	case s.Offline:
		s.State = StateOffline
	case s.PaperLow:
		s.State = StatePaperLow
	default:
		s.State = StateOK
	}
	return s, nil
}
