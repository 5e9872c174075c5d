package wiring

import (
	"strings"
	"testing"
)

// TestRandomPasswordIsUniform: every symbol comes from exactly as many byte
// values (a modulo draw gives 36 symbols 5/256 and 19 symbols 4/256), and
// real passwords use only the alphabet, all of it, within a chi-square
// bound.
func TestRandomPasswordIsUniform(t *testing.T) {
	counts := map[rune]int{}
	for x := range 256 {
		if c, ok := passwordSymbol(byte(x)); ok {
			counts[rune(c)]++
		}
	}
	for _, r := range passwordAlphabet {
		if counts[r] != 4 {
			t.Fatalf("symbol %q comes from %d of the 256 byte values, want 4 like every symbol", r, counts[r])
		}
	}

	const draws = 2000
	counts = map[rune]int{}
	for range draws {
		p := RandomPassword()
		if len(p) != 16 {
			t.Fatalf("password %q is not 16 characters", p)
		}
		for _, r := range p {
			if !strings.ContainsRune(passwordAlphabet, r) {
				t.Fatalf("password %q holds %q, not in the alphabet", p, r)
			}
			counts[r]++
		}
	}
	expected := float64(draws*16) / float64(len(passwordAlphabet))
	chi2 := 0.0
	for _, r := range passwordAlphabet {
		d := float64(counts[r]) - expected
		chi2 += d * d / expected
	}
	// 54 degrees of freedom: 130 is passed by chance less than once in
	// ten million runs; a modulo draw scores about 390 here.
	if len(counts) != len(passwordAlphabet) || chi2 > 130 {
		t.Fatalf("symbols not uniform: %d of %d used, chi-square %.1f", len(counts), len(passwordAlphabet), chi2)
	}
}
