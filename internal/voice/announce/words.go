package announce

import "strings"

// viWord is one Vietnamese word a number is read with. Numbers are built as
// word lists first so that the text (for captions) and the clips (for sound)
// can never disagree.
type viWord uint8

// The values 0–9 are the digits themselves, so viWord(d) is digit d.
const (
	viKhong viWord = iota
	viMot
	viHai
	viBa
	viBon
	viNam
	viSau
	viBay
	viTam
	viChin
	viMotSac    // "mốt": unit 1 after a tens word (hai mươi mốt)
	viTu        // "tư": unit 4 after a tens word (hai mươi tư)
	viLam       // "lăm": unit 5 after a tens word (mười lăm)
	viLinh      // "linh": zero tens before a unit (một trăm linh năm)
	viMuoi      // "mười": ten
	viMuoiNgang // "mươi": the tens suffix (hai mươi)
	viTram
	viNghin
	viTrieu
	viTy
	viWordCount // not a word: the number of words above
)

// text is the word as written, for captions and tests.
func (w viWord) text() string {
	switch w {
	case viKhong:
		return "không"
	case viMot:
		return "một"
	case viHai:
		return "hai"
	case viBa:
		return "ba"
	case viBon:
		return "bốn"
	case viNam:
		return "năm"
	case viSau:
		return "sáu"
	case viBay:
		return "bảy"
	case viTam:
		return "tám"
	case viChin:
		return "chín"
	case viMotSac:
		return "mốt"
	case viTu:
		return "tư"
	case viLam:
		return "lăm"
	case viLinh:
		return "linh"
	case viMuoi:
		return "mười"
	case viMuoiNgang:
		return "mươi"
	case viTram:
		return "trăm"
	case viNghin:
		return "nghìn"
	case viTrieu:
		return "triệu"
	case viTy:
		return "tỷ"
	}
	return ""
}

// clip is the clip that speaks the word. Names are the word without
// diacritics; where two words fold to the same letters (một/mốt,
// mười/mươi) the plainer word keeps the bare name and the other one gets
// the name of its tone, so a recording person can tell them apart.
func (w viWord) clip() string {
	switch w {
	case viKhong:
		return "vi/khong"
	case viMot:
		return "vi/mot"
	case viHai:
		return "vi/hai"
	case viBa:
		return "vi/ba"
	case viBon:
		return "vi/bon"
	case viNam:
		return "vi/nam"
	case viSau:
		return "vi/sau"
	case viBay:
		return "vi/bay"
	case viTam:
		return "vi/tam"
	case viChin:
		return "vi/chin"
	case viMotSac:
		return "vi/mot_sac"
	case viTu:
		return "vi/tu"
	case viLam:
		return "vi/lam"
	case viLinh:
		return "vi/linh"
	case viMuoi:
		return "vi/muoi"
	case viMuoiNgang:
		return "vi/muoi_ngang"
	case viTram:
		return "vi/tram"
	case viNghin:
		return "vi/nghin"
	case viTrieu:
		return "vi/trieu"
	case viTy:
		return "vi/ty"
	}
	return ""
}

// Words returns n in Vietnamese words: 0 "không", 15 "mười lăm",
// 21 "hai mươi mốt", 105 "một trăm linh năm", 1005 "một nghìn không trăm
// linh năm". A negative n is read with a leading "âm" (minus). The reading
// rules are in the package documentation.
func Words(n int) string {
	if n < 0 {
		// -(n+1) cannot overflow, even for the smallest int.
		return "âm " + viText(viNumber(uint64(-(n+1))+1))
	}
	return viText(viNumber(uint64(n)))
}

func viText(ws []viWord) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.text()
	}
	return strings.Join(parts, " ")
}

func viClips(ws []viWord) []string {
	clips := make([]string, len(ws))
	for i, w := range ws {
		clips[i] = w.clip()
	}
	return clips
}

const (
	thousand = 1_000
	million  = 1_000_000
	billion  = 1_000_000_000
)

// viNumber returns the words of n.
func viNumber(n uint64) []viWord {
	if n == 0 {
		return []viWord{viKhong}
	}
	return viAppend(nil, n, false)
}

// viAppend appends the words of n > 0. inner tells that a higher group was
// already read, so the first group of n is read in full ("không trăm ...").
func viAppend(ws []viWord, n uint64, inner bool) []viWord {
	if n >= billion {
		// "tỷ" is the largest word; larger numbers repeat it (nghìn tỷ).
		ws = viAppend(ws, n/billion, inner)
		ws = append(ws, viTy)
		if rest := n % billion; rest > 0 {
			ws = viAppend(ws, rest, true)
		}
		return ws
	}
	groups := [...]struct {
		value uint64
		scale viWord
	}{
		{n / million, viTrieu},
		{n / thousand % thousand, viNghin},
		{n % thousand, viWordCount},
	}
	for _, g := range groups {
		if g.value == 0 {
			continue
		}
		ws = viAppendGroup(ws, g.value, inner)
		if g.scale != viWordCount {
			ws = append(ws, g.scale)
		}
		inner = true
	}
	return ws
}

// viAppendGroup appends the words of 0 < g < 1000. full reads a zero
// hundreds digit ("không trăm"), as a group after a higher one must be read:
// 1005 is "một nghìn không trăm linh năm", not "một nghìn linh năm".
func viAppendGroup(ws []viWord, g uint64, full bool) []viWord {
	h, t, u := viWord(g/100), viWord(g/10%10), viWord(g%10)
	hundreds := h > 0 || full
	if hundreds {
		ws = append(ws, h, viTram)
	}
	switch {
	case t == 0 && u == 0:
	case t == 0:
		if hundreds {
			ws = append(ws, viLinh)
		}
		ws = append(ws, u)
	case t == 1:
		ws = append(ws, viMuoi)
		switch u {
		case 0:
		case 5:
			ws = append(ws, viLam)
		default:
			// "mười một", "mười bốn": mốt and tư only follow "mươi".
			ws = append(ws, u)
		}
	default:
		ws = append(ws, t, viMuoiNgang)
		switch u {
		case 0:
		case 1:
			ws = append(ws, viMotSac)
		case 4:
			ws = append(ws, viTu)
		case 5:
			ws = append(ws, viLam)
		default:
			ws = append(ws, u)
		}
	}
	return ws
}

// enOnes is the English word of 0 <= n < 20; it doubles as the clip name.
func enOnes(n uint64) string {
	switch n {
	case 0:
		return "zero"
	case 1:
		return "one"
	case 2:
		return "two"
	case 3:
		return "three"
	case 4:
		return "four"
	case 5:
		return "five"
	case 6:
		return "six"
	case 7:
		return "seven"
	case 8:
		return "eight"
	case 9:
		return "nine"
	case 10:
		return "ten"
	case 11:
		return "eleven"
	case 12:
		return "twelve"
	case 13:
		return "thirteen"
	case 14:
		return "fourteen"
	case 15:
		return "fifteen"
	case 16:
		return "sixteen"
	case 17:
		return "seventeen"
	case 18:
		return "eighteen"
	case 19:
		return "nineteen"
	}
	return ""
}

// enTens is the English word of the tens digit t (2–9).
func enTens(t uint64) string {
	switch t {
	case 2:
		return "twenty"
	case 3:
		return "thirty"
	case 4:
		return "forty"
	case 5:
		return "fifty"
	case 6:
		return "sixty"
	case 7:
		return "seventy"
	case 8:
		return "eighty"
	case 9:
		return "ninety"
	}
	return ""
}

// EnglishWords returns n in English words, without "and" (105 is
// "one hundred five", 21 "twenty-one"), so that no clip for "and" is needed.
// A negative n is read with a leading "minus".
func EnglishWords(n int) string {
	if n < 0 {
		return "minus " + enText(enNumber(uint64(-(n+1))+1))
	}
	return enText(enNumber(uint64(n)))
}

// enText joins English words, hyphenating a tens word and its unit.
func enText(ws []string) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			if strings.HasSuffix(ws[i-1], "ty") && isEnUnit(w) {
				b.WriteByte('-')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(w)
	}
	return b.String()
}

// isEnUnit reports whether w is a unit word one to nine, the only words
// that are hyphenated to a tens word.
func isEnUnit(w string) bool {
	for d := uint64(1); d <= 9; d++ {
		if enOnes(d) == w {
			return true
		}
	}
	return false
}

// enNumber returns the English words of n; each word is also its clip name
// below "en/".
func enNumber(n uint64) []string {
	if n == 0 {
		return []string{enOnes(0)}
	}
	return enAppend(nil, n)
}

func enAppend(ws []string, n uint64) []string {
	scales := [...]struct {
		value uint64
		word  string
	}{
		// Beyond billions the words repeat ("one thousand billion"): ticket
		// numbers never get there and no more clips are needed.
		{billion, "billion"},
		{million, "million"},
		{thousand, "thousand"},
	}
	for _, s := range scales {
		if n >= s.value {
			ws = enAppend(ws, n/s.value)
			ws = append(ws, s.word)
			n %= s.value
			if n == 0 {
				return ws
			}
		}
	}
	if n >= 100 {
		ws = append(ws, enOnes(n/100), "hundred")
		n %= 100
		if n == 0 {
			return ws
		}
	}
	if n < 20 {
		return append(ws, enOnes(n))
	}
	ws = append(ws, enTens(n/10))
	if n%10 > 0 {
		ws = append(ws, enOnes(n%10))
	}
	return ws
}

func enClips(ws []string) []string {
	clips := make([]string, len(ws))
	for i, w := range ws {
		clips[i] = "en/" + w
	}
	return clips
}
