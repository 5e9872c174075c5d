// Package ticket renders a printed queue ticket to a 1-bit raster image.
//
// Rendering is a pure function of a Layout: no clock, no network, no printer.
// The kiosk renders the image and hands it to a printer (see package
// printer), and the very same image can be shown on screen or kept as a PNG.
//
// ESC/POS printers have no Vietnamese code page that covers every stacked
// diacritic ("Hộ tịch", "Thương binh"), so all text is drawn here with the
// embedded DejaVu fonts and the printer only ever receives pixels.
package ticket

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"strings"
	"time"

	"golang.org/x/image/font/opentype"
	"golang.org/x/text/unicode/norm"

	"github.com/civiq/civiq/assets"
	"github.com/civiq/civiq/server/protocol"
)

// Print widths in dots of the common thermal printers (203 dpi, 8 dots/mm).
// The paper is wider than this; these are the printable areas.
const (
	// Width58mm is the printable width of 58 mm paper.
	Width58mm = 384
	// Width80mm is the printable width of 80 mm paper.
	Width80mm = 576
)

// Limits of Layout.Width. Raster printers take whole bytes per row, so the
// width must be a multiple of 8.
const (
	MinWidth = 256
	MaxWidth = 1024
)

// Unknown marks Layout.Ahead or Layout.WaitMinutes as not known (for example
// on a ticket issued while the server was unreachable); the line is left out.
const Unknown = -1

// Layout is everything printed on a ticket.
type Layout struct {
	// Width is the image width in dots: Width58mm, Width80mm or any multiple
	// of 8 between MinWidth and MaxWidth. Zero means Width58mm.
	Width int

	// Centre is the name of the service centre, printed as the heading.
	Centre string
	// Field is the name of the field (lĩnh vực) in the ticket's language.
	Field string
	// Code is the ticket code, e.g. "A012": printed large and as a Code128
	// barcode, so it must be printable ASCII.
	Code string
	// Priority prints the "ƯU TIÊN" (priority) mark.
	Priority bool
	// Offline prints the mark of a ticket issued while the server was
	// unreachable, so clerks know its number may not be in the system yet.
	Offline bool

	// Slot is the start of the booked time slot of a ticket checked in
	// with a booking code, printed as "Lịch hẹn 09:45"; zero: none.
	Slot time.Time

	// IssuedAt is when the ticket was issued; it is printed as local date
	// and time in Location.
	IssuedAt time.Time
	// Location is the centre's time zone; nil means IssuedAt's own location.
	Location *time.Location

	// Ahead is how many people wait before this ticket (Unknown: not printed).
	Ahead int
	// WaitMinutes is the expected wait in minutes (Unknown: not printed).
	WaitMinutes int
	// RangeMinutes is the range 8 in 10 citizens are called in, in
	// minutes (low, high), printed under the wait when high > low; the
	// zero value prints nothing.
	RangeMinutes [2]int

	// TrackURL is the address of the phone page that follows the ticket,
	// printed as a QR code. Empty: no QR code.
	TrackURL string
	// Lang is "vi" (default) or "en" for the labels.
	Lang string
}

// FromTicket returns the layout of t as issued by the server (or by the
// kiosk itself while offline), in the language the citizen chose. The
// field's name is looked up by the caller (protocol.Service.Name.In(lang)),
// as are the centre's name and time zone.
func FromTicket(t protocol.Ticket, centre, field string, width int, loc *time.Location) Layout {
	l := Layout{
		Width:    width,
		Centre:   centre,
		Field:    field,
		Code:     t.Code,
		Priority: t.Priority,
		Offline:  t.Offline,
		IssuedAt: t.IssuedAt,
		Location: loc,
		Ahead:    max(t.Ahead, 0),
		// To the nearest minute: "khoảng 10 phút" for 9m40s.
		WaitMinutes: (max(t.ETASeconds, 0) + 30) / 60,
		// The low end rounded down and the high end up: the range stays
		// the promise the server made.
		RangeMinutes: [2]int{max(t.ETALowSeconds, 0) / 60, (max(t.ETAHighSeconds, 0) + 59) / 60},
		TrackURL:     t.TrackURL,
		Lang:         t.Lang,
	}
	if t.Booking != nil {
		l.Slot = t.Booking.SlotStart
	}
	return l
}

// Palette is the palette of rendered tickets: index 0 is white (no dot) and
// index 1 is black (a burnt dot), matching the ESC/POS raster convention.
func Palette() color.Palette {
	return color.Palette{color.Gray{Y: 0xff}, color.Gray{Y: 0}}
}

// Renderer renders tickets with parsed fonts. Parsing the fonts once saves a
// few milliseconds per ticket. A Renderer is safe for concurrent use.
type Renderer struct {
	regular *opentype.Font
	bold    *opentype.Font
}

// NewRenderer parses the embedded fonts.
func NewRenderer() (*Renderer, error) {
	regular, err := parseFont(assets.FontRegular)
	if err != nil {
		return nil, err
	}
	bold, err := parseFont(assets.FontBold)
	if err != nil {
		return nil, err
	}
	return &Renderer{regular: regular, bold: bold}, nil
}

func parseFont(path string) (*opentype.Font, error) {
	data, err := assets.FS.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ticket: read font: %w", err)
	}
	f, err := opentype.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("ticket: parse font %s: %w", path, err)
	}
	return f, nil
}

// Render renders l with a fresh Renderer. Kiosks printing many tickets keep
// one Renderer instead.
func Render(l Layout) (*image.Paletted, error) {
	r, err := NewRenderer()
	if err != nil {
		return nil, err
	}
	return r.Render(l)
}

// Errors returned by Render for layouts that cannot be printed.
var (
	// ErrNoCode is returned when Layout.Code is empty or blank.
	ErrNoCode = errors.New("ticket: empty ticket code")
)

// Render renders l to a black and white image l.Width dots wide and as tall
// as the content needs. Long names wrap; nothing is clipped.
func (r *Renderer) Render(l Layout) (*image.Paletted, error) {
	if err := l.normalise(); err != nil {
		return nil, err
	}
	d, err := r.compose(l)
	if err != nil {
		return nil, err
	}
	return d.render(), nil
}

// normalise checks l and fills in defaults.
func (l *Layout) normalise() error {
	if l.Width == 0 {
		l.Width = Width58mm
	}
	if l.Width < MinWidth || l.Width > MaxWidth || l.Width%8 != 0 {
		return fmt.Errorf("ticket: width %d dots: want a multiple of 8 from %d to %d", l.Width, MinWidth, MaxWidth)
	}
	if strings.TrimSpace(l.Code) == "" {
		return ErrNoCode
	}
	for _, c := range l.Code {
		// Code128 (set B) encodes printable ASCII only; anything else would
		// make a barcode that scans to something other than the printed code.
		if c < 0x20 || c > 0x7e {
			return fmt.Errorf("ticket: code %q: want printable ASCII", l.Code)
		}
	}
	if l.Lang != langEN {
		l.Lang = langVI
	}
	if l.Location == nil {
		l.Location = l.IssuedAt.Location()
	}
	// Names typed on a Mac or pasted from a web page may come decomposed
	// (a base letter followed by combining marks). The font draws
	// precomposed letters well and has no shaping for marks, so compose
	// them first.
	l.Centre = norm.NFC.String(l.Centre)
	l.Field = norm.NFC.String(l.Field)
	return nil
}
