package announce

import (
	"math"
	"strings"
	"testing"
)

func TestWords(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "không"},
		{1, "một"},
		{4, "bốn"},
		{5, "năm"},
		{7, "bảy"},
		{10, "mười"},
		{11, "mười một"},
		{14, "mười bốn"},
		{15, "mười lăm"},
		{19, "mười chín"},
		{20, "hai mươi"},
		{21, "hai mươi mốt"},
		{24, "hai mươi tư"},
		{25, "hai mươi lăm"},
		{31, "ba mươi mốt"},
		{44, "bốn mươi tư"},
		{55, "năm mươi lăm"},
		{99, "chín mươi chín"},
		{100, "một trăm"},
		{101, "một trăm linh một"},
		{104, "một trăm linh bốn"},
		{105, "một trăm linh năm"},
		{110, "một trăm mười"},
		{111, "một trăm mười một"},
		{115, "một trăm mười lăm"},
		{121, "một trăm hai mươi mốt"},
		{999, "chín trăm chín mươi chín"},
		{1000, "một nghìn"},
		{1001, "một nghìn không trăm linh một"},
		{1005, "một nghìn không trăm linh năm"},
		{1010, "một nghìn không trăm mười"},
		{1015, "một nghìn không trăm mười lăm"},
		{1024, "một nghìn không trăm hai mươi tư"},
		{1100, "một nghìn một trăm"},
		{1234, "một nghìn hai trăm ba mươi tư"},
		{2021, "hai nghìn không trăm hai mươi mốt"},
		{9999, "chín nghìn chín trăm chín mươi chín"},
		{10000, "mười nghìn"},
		{15000, "mười lăm nghìn"},
		{21000, "hai mươi mốt nghìn"},
		{100000, "một trăm nghìn"},
		{105000, "một trăm linh năm nghìn"},
		{1000000, "một triệu"},
		{1000005, "một triệu không trăm linh năm"},
		{1005000, "một triệu không trăm linh năm nghìn"},
		{2500000, "hai triệu năm trăm nghìn"},
		{1000000000, "một tỷ"},
		{1000000005, "một tỷ không trăm linh năm"},
		{1000000000000, "một nghìn tỷ"},
		{-5, "âm năm"},
	}
	for _, tt := range tests {
		if got := Words(tt.n); got != tt.want {
			t.Errorf("Words(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestWordsExtremes(t *testing.T) {
	// Must not panic or overflow at the ends of int.
	for _, n := range []int{math.MaxInt, math.MinInt} {
		got := Words(n)
		if got == "" || strings.Contains(got, "  ") {
			t.Errorf("Words(%d) = %q", n, got)
		}
	}
	if got := Words(math.MinInt); !strings.HasPrefix(got, "âm chín tỷ") {
		t.Errorf("Words(MinInt) = %q", got)
	}
}

func TestEnglishWords(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "zero"},
		{5, "five"},
		{12, "twelve"},
		{20, "twenty"},
		{21, "twenty-one"},
		{99, "ninety-nine"},
		{100, "one hundred"},
		{105, "one hundred five"},
		{111, "one hundred eleven"},
		{1000, "one thousand"},
		{1005, "one thousand five"},
		{1024, "one thousand twenty-four"},
		{9999, "nine thousand nine hundred ninety-nine"},
		{2000000, "two million"},
		{3000000007, "three billion seven"},
		{-3, "minus three"},
	}
	for _, tt := range tests {
		if got := EnglishWords(tt.n); got != tt.want {
			t.Errorf("EnglishWords(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// The clips of a number speak exactly its words: one clip per word, and the
// same word always the same clip.
func TestNumberClipsMatchWords(t *testing.T) {
	clipOf := map[string]string{}
	for n := uint64(0); n < 20000; n++ {
		ws := viNumber(n)
		words := strings.Fields(viText(ws))
		clips := viClips(ws)
		if len(words) != len(clips) {
			t.Fatalf("%d: %d words, %d clips", n, len(words), len(clips))
		}
		for i, w := range words {
			if prev, ok := clipOf[w]; ok && prev != clips[i] {
				t.Fatalf("%d: word %q is clip %q and %q", n, w, prev, clips[i])
			}
			clipOf[w] = clips[i]
		}
	}
	// Every Vietnamese number word has a distinct clip.
	seen := map[string]string{}
	for w := viWord(0); w < viWordCount; w++ {
		if w.text() == "" || w.clip() == "" {
			t.Fatalf("word %d has no text or clip", w)
		}
		if other, dup := seen[w.clip()]; dup {
			t.Fatalf("clip %q speaks %q and %q", w.clip(), other, w.text())
		}
		seen[w.clip()] = w.text()
	}
}
