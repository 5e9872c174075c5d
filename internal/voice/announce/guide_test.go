package announce

import (
	"reflect"
	"testing"

	"github.com/civiq/civiq/server/protocol"
)

func TestGuide(t *testing.T) {
	got := Guide([]Choice{{Key: 1, Name: "Đất đai"}, {Key: 12, Name: "  Hộ\ttịch "}, {Key: 0, Name: ""}}, protocol.LangVI)
	want := []Part{
		{Clip: ClipViNumber}, {Clip: "vi/mot"}, {Clip: ClipPause}, {Text: "Đất đai", Lang: "vi"}, {Clip: ClipPause}, {Clip: ClipPause},
		{Clip: ClipViNumber}, {Clip: "vi/muoi"}, {Clip: "vi/hai"}, {Clip: ClipPause}, {Text: "Hộ tịch", Lang: "vi"}, {Clip: ClipPause}, {Clip: ClipPause},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Guide vi =\n%v\nwant\n%v", got, want)
	}
	got = Guide([]Choice{{Key: 3, Name: "Land"}}, protocol.LangEN)
	want = []Part{{Clip: ClipEnCall}, {Clip: "en/three"}, {Clip: ClipPause}, {Text: "Land", Lang: "en"}, {Clip: ClipPause}, {Clip: ClipPause}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Guide en = %v, want %v", got, want)
	}
}

func TestIssued(t *testing.T) {
	got := Issued("A012", protocol.ReadAsNumber, protocol.LangVI)
	want := []string{ClipViYourNumber, "vi/letter_a", ClipPause, "vi/muoi", "vi/hai"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Issued vi = %v, want %v", got, want)
	}
	got = Issued("A012", protocol.ReadAsDigits, protocol.LangEN)
	want = []string{ClipEnYourNumber, "en/letter_a", ClipPause, "en/zero", ClipPause, "en/one", ClipPause, "en/two"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Issued en = %v, want %v", got, want)
	}
	known := map[string]bool{}
	for _, c := range Clips() {
		known[c] = true
	}
	for _, c := range append(Issued("Đ105", "", protocol.LangVI), clipsOfParts(Guide([]Choice{{Key: 40, Name: "x"}}, protocol.LangVI))...) {
		if !known[c] {
			t.Errorf("clip %q is not in Clips()", c)
		}
	}
}

func clipsOfParts(ps []Part) []string {
	var s []string
	for _, p := range ps {
		if p.Clip != "" {
			s = append(s, p.Clip)
		}
	}
	return s
}
