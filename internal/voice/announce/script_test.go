package announce

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/civiq/civiq/server/protocol"
)

var update = flag.Bool("update", false, "rewrite testdata/scripts.json")

func TestReadCode(t *testing.T) {
	tests := []struct {
		code, mode, want string
	}{
		{"A012", protocol.ReadAsNumber, "a, mười hai"},
		{"A012", "", "a, mười hai"},
		{"A012", "bogus", "a, mười hai"},
		{"A012", protocol.ReadAsDigits, "a, không, một, hai"},
		{"B001", protocol.ReadAsNumber, "bê, một"},
		{"C015", protocol.ReadAsNumber, "xê, mười lăm"},
		{"D021", protocol.ReadAsNumber, "dê, hai mươi mốt"},
		{"Đ105", protocol.ReadAsNumber, "đê, một trăm linh năm"},
		{"đ105", protocol.ReadAsNumber, "đê, một trăm linh năm"},
		{"E024", protocol.ReadAsNumber, "e, hai mươi tư"},
		{"G000", protocol.ReadAsNumber, "giê, không"},
		{"G000", protocol.ReadAsDigits, "giê, không, không, không"},
		{"H1005", protocol.ReadAsNumber, "hát, một nghìn không trăm linh năm"},
		{"AB-07", protocol.ReadAsNumber, "a, bê, bảy"},
		{"L 45", protocol.ReadAsDigits, "e-lờ, bốn, năm"},
		{"S9", protocol.ReadAsNumber, "ét-xì, chín"},
		{"X10", protocol.ReadAsNumber, "ích-xì, mười"},
		{"42", protocol.ReadAsNumber, "bốn mươi hai"},
		{"Ñ1", protocol.ReadAsNumber, "một"},
		{"", protocol.ReadAsNumber, ""},
		{"A12345678901234567890", protocol.ReadAsNumber, "a, một, hai, ba, bốn, năm, sáu, bảy, tám, chín, không, một, hai, ba, bốn, năm, sáu, bảy, tám, chín, không"},
	}
	for _, tt := range tests {
		if got := ReadCode(tt.code, tt.mode); got != tt.want {
			t.Errorf("ReadCode(%q, %q) = %q, want %q", tt.code, tt.mode, got, tt.want)
		}
	}
}

func call(code string, counter int) protocol.Call {
	return protocol.Call{
		Ticket:  protocol.Ticket{ID: "t-" + code, Code: code, Lang: protocol.LangVI},
		Counter: protocol.Counter{ID: "q", Number: counter},
	}
}

func TestScript(t *testing.T) {
	recall := call("A012", 5)
	recall.Recall = true
	english := call("B007", 12)
	english.Ticket.Lang = protocol.LangEN
	tests := []struct {
		name string
		call protocol.Call
		opts Options
		want string
	}{
		{"number", call("A012", 5), Options{},
			"chime vi/moi_cong_dan_co_so vi/letter_a pause vi/muoi vi/hai pause vi/den_quay_so vi/nam"},
		{"digits", call("A012", 5), Options{ReadNumbers: protocol.ReadAsDigits},
			"chime vi/moi_cong_dan_co_so vi/letter_a pause vi/khong pause vi/mot pause vi/hai pause vi/den_quay_so vi/nam"},
		{"english", call("A012", 5), Options{English: true},
			"chime vi/moi_cong_dan_co_so vi/letter_a pause vi/muoi vi/hai pause vi/den_quay_so vi/nam " +
				"pause pause en/number en/letter_a pause en/twelve pause en/please_go_to_counter en/five"},
		{"short drops chime and english", call("A012", 5), Options{English: true, Short: true},
			"vi/moi_cong_dan_co_so vi/letter_a pause vi/muoi vi/hai pause vi/den_quay_so vi/nam"},
		{"recall", recall, Options{English: true},
			"chime vi/xin_nhac_lai pause vi/moi_cong_dan_co_so vi/letter_a pause vi/muoi vi/hai pause vi/den_quay_so vi/nam " +
				"pause pause en/calling_again pause en/number en/letter_a pause en/twelve pause en/please_go_to_counter en/five"},
		{"ticket issued in english", english, Options{},
			"chime vi/moi_cong_dan_co_so vi/letter_b pause vi/bay pause vi/den_quay_so vi/muoi vi/hai " +
				"pause pause en/number en/letter_b pause en/seven pause en/please_go_to_counter en/twelve"},
		{"counter 21", call("Đ024", 21), Options{},
			"chime vi/moi_cong_dan_co_so vi/letter_dd pause vi/hai vi/muoi_ngang vi/tu pause vi/den_quay_so vi/hai vi/muoi_ngang vi/mot_sac"},
		{"no counter number", call("C001", 0), Options{},
			"chime vi/moi_cong_dan_co_so vi/letter_c pause vi/mot"},
		{"no code", protocol.Call{Ticket: protocol.Ticket{Number: 15}, Counter: protocol.Counter{Number: 1}}, Options{},
			"chime vi/moi_cong_dan_co_so vi/muoi vi/lam pause vi/den_quay_so vi/mot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(Script(tt.call, tt.opts), " ")
			if got != tt.want {
				t.Errorf("Script =\n %s\nwant\n %s", got, tt.want)
			}
		})
	}
}

func TestClipsAreUnique(t *testing.T) {
	clips := Clips()
	sorted := slices.Clone(clips)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(clips) {
		t.Fatalf("Clips() has duplicates: %v", clips)
	}
}

// Every clip any script can produce is in Clips(): all ticket numbers
// 0..9999 in both modes, every letter, counters 1..99, recalls, English.
func TestScriptsUseKnownClips(t *testing.T) {
	known := map[string]bool{}
	for _, c := range Clips() {
		known[c] = true
	}
	used := map[string]bool{}
	check := func(c protocol.Call, o Options) {
		for _, clip := range Script(c, o) {
			if !known[clip] {
				t.Fatalf("Script(%s at %d, %+v) uses unknown clip %q", c.Ticket.Code, c.Counter.Number, o, clip)
			}
			used[clip] = true
		}
	}
	for _, mode := range []string{protocol.ReadAsNumber, protocol.ReadAsDigits} {
		o := Options{ReadNumbers: mode, English: true}
		for n := 0; n <= 9999; n++ {
			check(call(fmt.Sprintf("A%03d", n), 1+n%99), o)
		}
		for _, r := range viLetters + "abcdefghijklmnopqrstuvwxyzđăâêôơư" {
			c := call(string(r)+"001", 1)
			c.Recall = true
			check(c, o)
		}
		for counter := 1; counter <= 99; counter++ {
			check(call("A1", counter), o)
		}
	}
	// Large numbers need the remaining scale words.
	check(call("A1000000000", 1), Options{English: true})
	check(call("A1000000", 1), Options{English: true})
	// The kiosk's guidance: the keys and the printed number.
	for _, lang := range []string{protocol.LangVI, protocol.LangEN} {
		for _, p := range Guide([]Choice{{Key: 1, Name: "x"}}, lang) {
			if p.Clip != "" {
				if !known[p.Clip] {
					t.Fatalf("Guide uses unknown clip %q", p.Clip)
				}
				used[p.Clip] = true
			}
		}
		for _, clip := range Issued("A012", "", lang) {
			if !known[clip] {
				t.Fatalf("Issued uses unknown clip %q", clip)
			}
			used[clip] = true
		}
	}
	for _, c := range Clips() {
		if !used[c] {
			t.Errorf("clip %q is never used", c)
		}
	}
}

// goldenCase is one entry of testdata/scripts.json, the reference for ports
// of the algorithm (the web display's JavaScript).
type goldenCase struct {
	Code        string   `json:"code"`
	Counter     int      `json:"counter"`
	Recall      bool     `json:"recall,omitempty"`
	Lang        string   `json:"lang"`
	ReadNumbers string   `json:"read_numbers"`
	English     bool     `json:"english"`
	Short       bool     `json:"short"`
	Text        string   `json:"text"`
	Clips       []string `json:"clips"`
}

type goldenNumber struct {
	N       int      `json:"n"`
	Vi      string   `json:"vi"`
	ViClips []string `json:"vi_clips"`
	En      string   `json:"en"`
	EnClips []string `json:"en_clips"`
}

type golden struct {
	Comment string         `json:"comment"`
	Clips   []string       `json:"clips"`
	Numbers []goldenNumber `json:"numbers"`
	Scripts []goldenCase   `json:"scripts"`
}

func makeGolden() golden {
	g := golden{
		Comment: "Generated by go test ./internal/voice/announce -update. Reference output of the call-out algorithm (docs/ANNOUNCEMENTS.md) for ports.",
		Clips:   Clips(),
	}
	numbers := []int{0, 1, 4, 5, 10, 11, 14, 15, 20, 21, 24, 25, 44, 55, 99, 100, 101, 104, 105, 110, 111, 115, 121,
		999, 1000, 1001, 1005, 1010, 1015, 1024, 1100, 1234, 2021, 9999, 10000, 15000, 21000, 105000, 1000005, 1005000, 1000000005}
	for _, n := range numbers {
		vw, ew := viNumber(uint64(n)), enNumber(uint64(n))
		g.Numbers = append(g.Numbers, goldenNumber{N: n, Vi: viText(vw), ViClips: viClips(vw), En: enText(ew), EnClips: enClips(ew)})
	}
	codes := []string{"A012", "B001", "Đ105", "H1024", "C000", "AB-07", "42", "e015"}
	for _, code := range codes {
		for _, mode := range []string{protocol.ReadAsNumber, protocol.ReadAsDigits} {
			for _, o := range []Options{{}, {English: true}, {English: true, Short: true}} {
				for _, recall := range []bool{false, true} {
					o.ReadNumbers = mode
					c := call(code, 5)
					c.Recall = recall
					g.Scripts = append(g.Scripts, goldenCase{
						Code: code, Counter: 5, Recall: recall, Lang: protocol.LangVI, ReadNumbers: mode,
						English: o.English, Short: o.Short, Text: ReadCode(code, mode), Clips: Script(c, o),
					})
				}
			}
		}
	}
	for _, counter := range []int{0, 1, 10, 21, 99} {
		c := call("A012", counter)
		c.Ticket.Lang = protocol.LangEN
		g.Scripts = append(g.Scripts, goldenCase{
			Code: "A012", Counter: counter, Lang: protocol.LangEN, ReadNumbers: protocol.ReadAsNumber,
			Text: ReadCode("A012", protocol.ReadAsNumber), Clips: Script(c, Options{ReadNumbers: protocol.ReadAsNumber}),
		})
	}
	return g
}

func TestGolden(t *testing.T) {
	got, err := json.MarshalIndent(makeGolden(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "scripts.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s is out of date: run go test ./internal/voice/announce -update and review the diff", path)
	}
}
