package printer

import (
	"context"
	"errors"
	"net"
	"os"

	"github.com/civiq/civiq/server/protocol"
)

// Reason says why a printer operation failed, so the kiosk can tell the
// citizen and the staff what to fix ("Máy in gặp sự cố: hết giấy").
type Reason string

// Reasons of printer errors. The first four are protocol's printer states.
const (
	ReasonPaperOut  Reason = protocol.PrinterPaperOut
	ReasonCoverOpen Reason = protocol.PrinterCoverOpen
	ReasonOffline   Reason = protocol.PrinterOffline
	ReasonError     Reason = protocol.PrinterError // the printer reported an error (cutter jam, ...)

	ReasonTimeout     Reason = "timeout"     // the printer did not answer in time
	ReasonUnreachable Reason = "unreachable" // no connection: refused, no route, device unplugged
	ReasonIO          Reason = "io"          // the connection broke during the job
	ReasonBadReply    Reason = "bad_reply"   // a status reply that is not ESC/POS
	ReasonBadImage    Reason = "bad_image"   // an empty or absurdly large image
	ReasonBadSpec     Reason = "bad_spec"    // Open was given a spec it cannot use
	ReasonCanceled    Reason = "canceled"    // the caller's context was canceled
	ReasonClosed      Reason = "closed"      // the Printer was closed
)

// Error is the error of every printer operation.
type Error struct {
	// Op is "open", "print" or "status".
	Op string
	// Reason is what went wrong.
	Reason Reason
	// Sent is true when a print job had already been sent, wholly or in
	// part, so a ticket may have come out: the kiosk should not reprint
	// without asking.
	Sent bool
	// Err is the underlying error, if any.
	Err error
}

// Error returns "printer: OP: REASON[: cause]".
func (e *Error) Error() string {
	s := "printer: " + e.Op + ": " + string(e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the Reason of err, or "" when err is nil or not a
// printer error.
func ReasonOf(err error) Reason {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Reason
	}
	return ""
}

// reasonFor maps a printer state that stops printing to its Reason.
func reasonFor(s State) Reason {
	switch s {
	case StatePaperOut:
		return ReasonPaperOut
	case StateCoverOpen:
		return ReasonCoverOpen
	case StateOffline:
		return ReasonOffline
	default:
		return ReasonError
	}
}

// Text returns the reason in words for the kiosk screen, in lang ("vi",
// the default, or "en"), to follow "Máy in gặp sự cố: ".
func (r Reason) Text(lang string) string {
	type words struct{ vi, en string }
	var w words
	switch r {
	case ReasonPaperOut:
		w = words{"hết giấy", "out of paper"}
	case ReasonCoverOpen:
		w = words{"nắp máy in đang mở", "the cover is open"}
	case ReasonOffline:
		w = words{"máy in đang tạm dừng (offline)", "the printer is offline"}
	case ReasonError:
		w = words{"máy in báo lỗi (kẹt dao cắt, quá nhiệt…)", "the printer reports an error (cutter jam, overheating…)"}
	case ReasonTimeout:
		w = words{"máy in không phản hồi", "the printer does not respond"}
	case ReasonUnreachable:
		w = words{"không kết nối được máy in", "cannot connect to the printer"}
	case ReasonIO:
		w = words{"mất kết nối với máy in", "the connection to the printer broke"}
	case ReasonBadReply:
		w = words{"máy in trả lời không hợp lệ", "the printer's reply is not understood"}
	case ReasonBadImage:
		w = words{"vé in không hợp lệ", "the ticket image is invalid"}
	case ReasonBadSpec:
		w = words{"cấu hình máy in không đúng", "the printer setting is wrong"}
	case ReasonCanceled:
		w = words{"lệnh in đã bị huỷ", "printing was canceled"}
	case ReasonClosed:
		w = words{"máy in đã đóng", "the printer was closed"}
	default:
		w = words{"lỗi không xác định", "unknown error"}
	}
	if lang == "en" {
		return w.en
	}
	return w.vi
}

// ioError wraps an I/O failure with the reason it stands for. The
// context's own error comes first: a deadline it set, or a cancellation,
// surfaces as an expired I/O deadline.
func ioError(ctx context.Context, op string, sent bool, err error) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		c := *e
		c.Op, c.Sent = op, sent
		return &c
	}
	r := ReasonIO
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		r, err = ReasonCanceled, ctx.Err()
	case ctx.Err() != nil:
		r, err = ReasonTimeout, ctx.Err()
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		r = ReasonTimeout
	}
	return &Error{Op: op, Reason: r, Sent: sent, Err: err}
}
