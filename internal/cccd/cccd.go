// Package cccd reads the QR code on Vietnam's chip-based citizen identity
// card (căn cước công dân, CCCD; "căn cước" on cards issued since 2024).
//
// The code holds one line of text, fields separated by '|':
//
//	012345678901|123456789|Nguyễn Văn An|01021950|Nam|Số 1, Phường X, Tỉnh Y|15082021
//
// the 12-digit personal identification number, the old 9-digit identity
// number (may be empty), the full name, the date of birth (DDMMYYYY), the
// sex, the permanent address and the date of issue (DDMMYYYY). Newer cards
// append fields; they are kept in Card.Extra and otherwise ignored.
//
// A card reaches the kiosk through a barcode scanner, usually one that types
// what it reads as a keyboard would, so the input is hostile until proven
// otherwise: Parse bounds its length, accepts only printable UTF-8, requires
// the number to be 12 ASCII digits and the dates 8 digits naming real days,
// and never panics (FuzzParse).
//
// Privacy: the card's number is personal data. Servers keep only Hash of it
// (keyed, so a leaked table cannot be reversed by enumerating numbers) and the
// birth year; the name and address never leave the kiosk.
//
// It imports only the standard library and golang.org/x/text; kiosk and
// server code may import it.
package cccd

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxLen bounds the text Parse accepts, in bytes. A real card's line is
// about 150 to 300 bytes (long addresses in Vietnamese take two or three
// bytes a letter).
const MaxLen = 1024

// maxField bounds one field, in bytes.
const maxField = 400

// Date is a calendar day, without a time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// String is the ISO 8601 form, YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Before reports whether d is a day before e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// DateOf is the calendar day of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// Card is what the QR code of a citizen identity card says.
type Card struct {
	// Number is the 12-digit personal identification number.
	Number string
	// OldNumber is the 9-digit number of the older identity card, or "".
	OldNumber string
	// Name is the full name, NFC-normalised.
	Name string
	// Birth is the date of birth.
	Birth Date
	// Sex is as printed ("Nam" or "Nữ" on today's cards).
	Sex string
	// Address is the permanent address.
	Address string
	// Issued is the date of issue.
	Issued Date
	// Extra holds the fields after the seventh, as read.
	Extra []string
}

// Error says which field of a scanned code is wrong and why. It never
// quotes the input: a log line must not carry the citizen's data.
type Error struct {
	// Field is "text", "number", "old_number", "name", "birth", "sex",
	// "address" or "issued".
	Field  string
	Reason string
}

func (e *Error) Error() string { return "cccd: " + e.Field + ": " + e.Reason }

// ErrNotCard is returned (wrapped in *Error, Field "text") for text that
// is not a card's code at all: too few fields or no 12-digit number first.
// A kiosk can use Looks to route scanner input before calling Parse.
var ErrNotCard = errors.New("not a citizen identity card code")

// Looks reports whether s starts the way a card's code does: 12 ASCII
// digits and a '|'. It is cheap and lets a kiosk tell a card from a
// booking code typed by the same scanner.
func Looks(s string) bool {
	if len(s) < 13 || s[12] != '|' {
		return false
	}
	return allDigits(s[:12])
}

// Parse reads the text of a card's QR code. Surrounding white space (a
// scanner's trailing Enter) is ignored.
func Parse(s string) (Card, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxLen {
		return Card{}, &Error{"text", fmt.Sprintf("longer than %d bytes", MaxLen)}
	}
	if !utf8.ValidString(s) {
		return Card{}, &Error{"text", "not valid UTF-8"}
	}
	for _, r := range s {
		if !printable(r) {
			return Card{}, &Error{"text", fmt.Sprintf("holds the non-printing character %U", r)}
		}
	}
	s = norm.NFC.String(s)
	f := strings.Split(s, "|")
	if len(f) < 7 {
		return Card{}, &Error{"text", fmt.Sprintf("%v: %d fields, a card has at least 7", ErrNotCard, len(f))}
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
		if len(f[i]) > maxField {
			return Card{}, &Error{fieldName(i), fmt.Sprintf("longer than %d bytes", maxField)}
		}
	}
	c := Card{Number: f[0], OldNumber: f[1], Name: f[2], Sex: f[4], Address: f[5]}
	if len(c.Number) != 12 || !allDigits(c.Number) {
		return Card{}, &Error{"number", "must be 12 digits"}
	}
	if c.OldNumber != "" && (len(c.OldNumber) != 9 || !allDigits(c.OldNumber)) {
		return Card{}, &Error{"old_number", "must be empty or 9 digits"}
	}
	if c.Name == "" {
		return Card{}, &Error{"name", "is empty"}
	}
	for _, r := range c.Name {
		if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) && r != ' ' && r != '-' && r != '\'' && r != '.' {
			return Card{}, &Error{"name", "holds a character that is not a letter"}
		}
	}
	var err error
	if c.Birth, err = parseDate(f[3]); err != nil {
		return Card{}, &Error{"birth", err.Error()}
	}
	if c.Issued, err = parseDate(f[6]); err != nil {
		return Card{}, &Error{"issued", err.Error()}
	}
	if c.Issued.Before(c.Birth) {
		return Card{}, &Error{"issued", "is before the date of birth"}
	}
	if c.Sex == "" || utf8.RuneCountInString(c.Sex) > 10 {
		return Card{}, &Error{"sex", "must be 1 to 10 characters"}
	}
	if len(f) > 7 {
		c.Extra = append([]string(nil), f[7:]...)
	}
	return c, nil
}

// AgeOn is the card holder's age in whole years on day.
func (c Card) AgeOn(day Date) int {
	age := day.Year - c.Birth.Year
	if day.Month < c.Birth.Month || (day.Month == c.Birth.Month && day.Day < c.Birth.Day) {
		age--
	}
	return max(age, 0)
}

// Hash is the keyed hash (HMAC-SHA-256) of a card number under a server's
// secret: what a server may store to count a person's tickets without
// keeping the number.
func Hash(secret []byte, number string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("cccd\x00"))
	m.Write([]byte(number))
	return m.Sum(nil)
}

func parseDate(s string) (Date, error) {
	if len(s) != 8 || !allDigits(s) {
		return Date{}, errors.New("must be 8 digits, DDMMYYYY")
	}
	d := Date{Day: atoi(s[0:2]), Month: time.Month(atoi(s[2:4])), Year: atoi(s[4:8])}
	if d.Year < 1900 || d.Year > 2200 {
		return Date{}, errors.New("year out of range")
	}
	t := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
	if d.Month < 1 || d.Month > 12 || DateOf(t) != d {
		return Date{}, errors.New("is not a calendar day")
	}
	return d, nil
}

func fieldName(i int) string {
	names := [...]string{"number", "old_number", "name", "birth", "sex", "address", "issued"}
	if i < len(names) {
		return names[i]
	}
	return "text"
}

func printable(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return false
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
		return false // bidirectional overrides could disguise what a screen shows
	case r == utf8.RuneError, r == 0xfeff:
		return false
	}
	return unicode.IsPrint(r) || unicode.Is(unicode.Mn, r)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
