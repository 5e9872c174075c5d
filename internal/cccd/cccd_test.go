package cccd

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

const good = "001095012345|123456789|Nguyễn Thị Lan Hương|05031950|Nữ|Số 12, ngõ 34 phố Hàng Bạc, Phường Hàng Bạc, Quận Hoàn Kiếm, Hà Nội|15082021"

func TestParseWellFormed(t *testing.T) {
	c, err := Parse(good + "\r\n")
	if err != nil {
		t.Fatal(err)
	}
	want := Card{
		Number: "001095012345", OldNumber: "123456789", Name: "Nguyễn Thị Lan Hương",
		Birth: Date{1950, time.March, 5}, Sex: "Nữ",
		Address: "Số 12, ngõ 34 phố Hàng Bạc, Phường Hàng Bạc, Quận Hoàn Kiếm, Hà Nội",
		Issued:  Date{2021, time.August, 15},
	}
	if c.Number != want.Number || c.OldNumber != want.OldNumber || c.Name != want.Name || c.Birth != want.Birth ||
		c.Sex != want.Sex || c.Address != want.Address || c.Issued != want.Issued || c.Extra != nil {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
	if !Looks(good) {
		t.Error("Looks(good) = false")
	}
}

func TestParseOptionalAndExtraFields(t *testing.T) {
	// No old number, and two fields a newer card appends.
	c, err := Parse("079200001234||Trần Văn Bình|31121999|Nam|Phường 1, Quận 3, TP. Hồ Chí Minh|01072024|X|")
	if err != nil {
		t.Fatal(err)
	}
	if c.OldNumber != "" || len(c.Extra) != 2 || c.Extra[0] != "X" || c.Extra[1] != "" {
		t.Fatalf("got %+v", c)
	}
	if c.Birth != (Date{1999, time.December, 31}) {
		t.Fatalf("birth %v", c.Birth)
	}
}

func TestParseDecomposedNameIsNormalised(t *testing.T) {
	// The same name typed with combining marks (NFD), as some scanners'
	// keyboard emulation produces.
	nfd := "Nguye\u0302\u0303n Va\u0306n An"
	c, err := Parse("001095012345||" + nfd + "|01011960|Nam|Hà Nội|01012020")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Nguyễn Văn An" {
		t.Fatalf("name %q not NFC", c.Name)
	}
}

func TestParseRejects(t *testing.T) {
	long := strings.Repeat("a", MaxLen+1)
	cases := []struct {
		name, in, field string
	}{
		{"empty", "", "text"},
		{"booking code", "BK7Q2M", "text"},
		{"truncated after name", "001095012345|123456789|Nguyễn Văn An", "text"},
		{"truncated before issue date", "001095012345|123456789|Nguyễn Văn An|01011960|Nam|Hà Nội", "text"},
		{"number 11 digits", "00109501234|123456789|An|01011960|Nam|Hà Nội|01012020", "number"},
		{"number with letter", "00109501234X|123456789|An|01011960|Nam|Hà Nội|01012020", "number"},
		{"number fullwidth digits", "００１０９５０１２３４５||An|01011960|Nam|Hà Nội|01012020", "number"},
		{"old number 8 digits", "001095012345|12345678|An|01011960|Nam|Hà Nội|01012020", "old_number"},
		{"no name", "001095012345||  |01011960|Nam|Hà Nội|01012020", "name"},
		{"name with digits", "001095012345||An 007|01011960|Nam|Hà Nội|01012020", "name"},
		{"name with markup", "001095012345||<script>|01011960|Nam|Hà Nội|01012020", "name"},
		{"birth 7 digits", "001095012345||An|0101196|Nam|Hà Nội|01012020", "birth"},
		{"birth 30 February", "001095012345||An|30021960|Nam|Hà Nội|01012020", "birth"},
		{"birth month 13", "001095012345||An|01131960|Nam|Hà Nội|01012020", "birth"},
		{"birth year 0001", "001095012345||An|01010001|Nam|Hà Nội|01012020", "birth"},
		{"issue ISO date", "001095012345||An|01011960|Nam|Hà Nội|2020-01-01", "issued"},
		{"issued before birth", "001095012345||An|01011960|Nam|Hà Nội|01011950", "issued"},
		{"no sex", "001095012345||An|01011960||Hà Nội|01012020", "sex"},
		{"too long", long, "text"},
		{"field too long", "001095012345||An|01011960|Nam|" + strings.Repeat("Hà Nội ", 80) + "|01012020", "address"},
		{"invalid UTF-8", "001095012345||An\xff|01011960|Nam|Hà Nội|01012020", "text"},
		{"NUL", "001095012345||An\x00|01011960|Nam|Hà Nội|01012020", "text"},
		{"escape sequence", "001095012345||An|01011960|Nam|\x1b[2JHà Nội|01012020", "text"},
		{"newline inside", "001095012345||An|01011960|Nam|Hà\nNội|01012020", "text"},
		{"bidi override", "001095012345||An\u202e|01011960|Nam|Hà Nội|01012020", "text"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %v, want *Error", tc.in, err)
			}
			if e.Field != tc.field {
				t.Fatalf("field %q (%v), want %q", e.Field, err, tc.field)
			}
			// The message must not quote the citizen's data.
			if strings.Contains(err.Error(), "Hà Nội") || strings.Contains(err.Error(), "001095") {
				t.Fatalf("error %q quotes the input", err)
			}
		})
	}
}

func TestLooks(t *testing.T) {
	for in, want := range map[string]bool{
		good: true, "001095012345|": true,
		"00109501234|": false, "001095012345": false, "BK7Q2M": false, "": false, "0010950123456|": false,
	} {
		if got := Looks(in); got != want {
			t.Errorf("Looks(%q) = %v", in, got)
		}
	}
}

func TestAgeOn(t *testing.T) {
	c := Card{Birth: Date{1951, time.March, 5}}
	for _, tc := range []struct {
		on   Date
		want int
	}{
		{Date{2026, time.March, 4}, 74},
		{Date{2026, time.March, 5}, 75},
		{Date{2026, time.December, 7}, 75},
		{Date{1950, time.January, 1}, 0},
	} {
		if got := c.AgeOn(tc.on); got != tc.want {
			t.Errorf("AgeOn(%v) = %d, want %d", tc.on, got, tc.want)
		}
	}
	leap := Card{Birth: Date{1960, time.February, 29}}
	if got := leap.AgeOn(Date{2026, time.February, 28}); got != 65 {
		t.Errorf("leap day: %d", got)
	}
	if got := leap.AgeOn(Date{2026, time.March, 1}); got != 66 {
		t.Errorf("leap day: %d", got)
	}
	if d := DateOf(time.Date(2026, 12, 7, 23, 30, 0, 0, time.FixedZone("ICT", 7*3600))); d != (Date{2026, time.December, 7}) {
		t.Errorf("DateOf %v", d)
	}
}

func TestHashIsKeyed(t *testing.T) {
	a := Hash([]byte("secret one"), "001095012345")
	if !bytes.Equal(a, Hash([]byte("secret one"), "001095012345")) {
		t.Fatal("not deterministic")
	}
	if bytes.Equal(a, Hash([]byte("secret two"), "001095012345")) {
		t.Fatal("the key does not change the hash")
	}
	if bytes.Equal(a, Hash([]byte("secret one"), "001095012346")) {
		t.Fatal("the number does not change the hash")
	}
	if len(a) != 32 {
		t.Fatalf("len %d", len(a))
	}
}

func FuzzParse(f *testing.F) {
	f.Add(good)
	f.Add("079200001234||Trần Văn Bình|31121999|Nam|Phường 1|01072024|X|")
	f.Add("001095012345|123456789|An")
	f.Add("001095012345||An|29021960|Nam|Hà Nội|01012020")
	f.Add("||||||")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not *Error", err)
			}
			return
		}
		if len(c.Number) != 12 || !allDigits(c.Number) {
			t.Fatalf("accepted number %q", c.Number)
		}
		if c.Name == "" || !utf8.ValidString(c.Name) || !utf8.ValidString(c.Address) {
			t.Fatalf("accepted bad text %+v", c)
		}
		if c.Issued.Before(c.Birth) {
			t.Fatalf("issued %v before birth %v", c.Issued, c.Birth)
		}
		for _, d := range []Date{c.Birth, c.Issued} {
			if d != DateOf(time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)) {
				t.Fatalf("accepted date %v", d)
			}
		}
	})
}
