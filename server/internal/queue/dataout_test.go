package queue

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/civiq/civiq/server/protocol"
)

func TestValidateDone(t *testing.T) {
	ok := []protocol.DoneRequest{
		{},
		{Outcome: protocol.OutcomeReturned},
		{DossierCodes: []string{"H29.22-261207-0001"}},
		{Outcome: protocol.OutcomeOther, Note: strings.Repeat("ố", protocol.MaxVisitNote)},
		{Outcome: protocol.OutcomeReceived, DossierCodes: slices.Repeat([]string{"x"}, 20)}, // one code scanned 20 times: kept once
	}
	for _, r := range ok {
		if _, err := ValidateDone(r); err != nil {
			t.Errorf("%+v: %v", r, err)
		}
	}
	bad := []protocol.DoneRequest{
		{Outcome: "Received"},
		{DossierCodes: []string{"   "}},
		{DossierCodes: []string{"a\tb"}},
		{DossierCodes: []string{"\xff"}},
		{Note: "a\x00"},
		{DossierCodes: slices.Repeat([]string{"x"}, 21)}, // more than 20 sent, even repeated
	}
	for _, r := range bad {
		if _, err := ValidateDone(r); CodeOf(err) != protocol.CodeBadRequest {
			t.Errorf("%+v: %v, want bad_request", r, err)
		}
	}
}

func FuzzValidateDone(f *testing.F) {
	f.Add("received", "000.00.12.H29-261207-0001", "ghi chú")
	f.Add("x", "\x00", "")
	f.Add("", " a ", "\n")
	f.Fuzz(func(t *testing.T, outcome, code, note string) {
		r, err := ValidateDone(protocol.DoneRequest{Outcome: outcome, DossierCodes: []string{code, code}, Note: note})
		if err != nil {
			return
		}
		if r.Outcome != "" && !slices.Contains(protocol.Outcomes(), r.Outcome) {
			t.Fatalf("accepted outcome %q", r.Outcome)
		}
		if len(r.DossierCodes) != 1 {
			t.Fatalf("codes %q", r.DossierCodes)
		}
		c := r.DossierCodes[0]
		if n := utf8.RuneCountInString(c); n < 1 || n > protocol.MaxDossierCodeLen || !utf8.ValidString(c) {
			t.Fatalf("accepted code %q", c)
		}
		for _, x := range c {
			if !unicode.IsPrint(x) {
				t.Fatalf("accepted code %q", c)
			}
		}
		if !utf8.ValidString(r.Note) || utf8.RuneCountInString(r.Note) > protocol.MaxVisitNote {
			t.Fatalf("accepted note %q", r.Note)
		}
	})
}
