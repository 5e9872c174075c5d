package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// TestNoLoneShortLastWord fits real field names into boxes of many widths
// at the kiosk's title sizes: every line stays inside the box, the name
// keeps its words in order, and the last line is never one short word
// ("Xã" / "hội") when another split into as many lines fits; the offline
// tile that wrapped "…binh và Xã" / "hội" now reads "binh và" / "Xã hội".
func TestNoLoneShortLastWord(t *testing.T) {
	a := test.NewTempApp(t)
	th, err := newTheme(normalPalette())
	if err != nil {
		t.Fatal(err)
	}
	a.Settings().SetTheme(th)
	style := fyne.TextStyle{Bold: true}
	names := []string{"Lao động – Thương binh và Xã hội", "Trả kết quả", "Tài nguyên và Môi trường", "Giáo dục và Đào tạo", "Tư pháp – Hộ tịch"}
	checked, moved := 0, 0 // moved: fits that had a lone last word before
	for _, name := range names {
		words := splitWords(name)
		for _, size := range titleSizes {
			for w := float32(120); w <= 700; w += 10 {
				m := newMeasurer(size, style)
				if _, ok := m.wrap(name, w, false); !ok {
					continue // a word wider than the box: cut between letters
				}
				f := fit(name, style, w, 1000, []float32{size, 1}) // not the last size: no word is cut
				for _, l := range f.lines {
					if lw := m.lineWidth(l); lw > w {
						t.Fatalf("%q at %v in %v: line %q is %v wide", name, size, w, l, lw)
					}
				}
				if got := strings.Join(f.lines, " "); got != strings.Join(words, " ") {
					t.Fatalf("%q at %v in %v: lines %q", name, size, w, f.lines)
				}
				k := len(f.lines)
				if k < 2 {
					continue
				}
				checked++
				last := splitWords(f.lines[k-1])
				if len(last) == 1 && len([]rune(last[0])) <= loneWordMax && m.noLoneWord(name, w, f.lines) != nil {
					t.Errorf("%q at %v in %v: lone last word in %q", name, size, w, f.lines)
				}
				// Before: the narrowest wrap alone.
				before := m.narrowest(name, w, m.mustWrap(t, name, w), false)
				if b := splitWords(before[len(before)-1]); len(before) == k && len(b) == 1 && len([]rune(b[0])) <= loneWordMax &&
					len(last) > 1 {
					moved++
				}
			}
		}
	}
	if checked < 50 || moved == 0 {
		t.Fatalf("only %d multi-line fits, %d of them re-split from a lone last word", checked, moved)
	}
	t.Logf("%d multi-line fits, %d re-split from a lone last word", checked, moved)
}

func (m *measurer) mustWrap(t *testing.T, text string, w float32) []string {
	t.Helper()
	l, ok := m.wrap(text, w, false)
	if !ok {
		t.Fatalf("%q does not wrap in %v", text, w)
	}
	return l
}
