package ui

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/go-text/typesetting/font"
)

// tallLetters are the Vietnamese letters whose marks stack highest: a
// capital with a circumflex or breve and a tone mark above it (Ố, Ẩ, Ẵ).
const tallLetters = "ẤẦẨẪẬẮẰẲẴẶẾỀỂỄỆỐỒỔỖỘỚỜỞỠỢỨỪỬỮỰÁÀẢÃẠÉÈẺẼẸÍÌỈĨỊÓÒỎÕỌÚÙỦŨỤÝỲỶỸỴĂÂÊÔƠƯĐ"

// extraAscentEm is how much tallAscent raises the fonts' ascender, in
// ems: enough for the tallest Vietnamese capital of DejaVu Sans Bold (Ẫ,
// 1.12 em, against an ascender of 0.93 em) and a little air. The line
// pitch stays the font's own (lineHeight subtracts it): only the text
// boxes reach higher, over the line above, which is transparent.
const extraAscentEm = 0.24

// tallAscent returns ttf with its ascender raised by extraAscentEm, which
// must reach the top of the tallest Vietnamese capital. Fyne draws a text into a box one line high
// with the baseline at the font's ascender, so a mark above the ascender
// is cut off: DejaVu Sans's ascender (0.93 em) is below the acute of Ố
// (about 1.15 em), and "SỐ ƯU TIÊN" showed as "SÔ ƯU TIÊN". Raising the
// ascender (hhea, and OS/2 sTypoAscender and usWinAscent) makes every text
// box that much taller, with the marks inside it.
func tallAscent(ttf []byte) ([]byte, error) {
	face, err := font.ParseTTF(bytes.NewReader(ttf))
	if err != nil {
		return nil, err
	}
	top := float32(0)
	for _, r := range tallLetters {
		gid, ok := face.NominalGlyph(r)
		if !ok {
			continue
		}
		if e, ok := face.GlyphExtents(gid); ok {
			top = max(top, e.YBearing)
		}
	}
	if top <= 0 {
		return nil, errors.New("ui: font has no Vietnamese capitals")
	}
	ext, ok := face.FontHExtents()
	if !ok {
		return nil, errors.New("ui: font has no ascender")
	}
	asc := int16(math.Ceil(float64(ext.Ascender) + extraAscentEm*float64(face.Upem())))
	if float32(asc) < top {
		return nil, fmt.Errorf("ui: font's marks reach %v units, above the raised ascender %d: raise extraAscentEm", top, asc)
	}
	out := bytes.Clone(ttf)
	tables := map[string]uint32{}
	if len(out) < 12 {
		return nil, errors.New("ui: font too short")
	}
	n := int(binary.BigEndian.Uint16(out[4:6]))
	for i := range n {
		rec := 12 + 16*i
		if rec+16 > len(out) {
			return nil, errors.New("ui: font table directory cut short")
		}
		tables[string(out[rec:rec+4])] = binary.BigEndian.Uint32(out[rec+8 : rec+12])
	}
	hhea, ok := tables["hhea"]
	if !ok || int(hhea)+6 > len(out) {
		return nil, errors.New("ui: font has no hhea table")
	}
	if int16(binary.BigEndian.Uint16(out[hhea+4:])) < asc {
		binary.BigEndian.PutUint16(out[hhea+4:], uint16(asc))
	}
	if os2, ok := tables["OS/2"]; ok && int(os2)+76 <= len(out) {
		if int16(binary.BigEndian.Uint16(out[os2+68:])) < asc {
			binary.BigEndian.PutUint16(out[os2+68:], uint16(asc)) // sTypoAscender
		}
		if binary.BigEndian.Uint16(out[os2+74:]) < uint16(asc) {
			binary.BigEndian.PutUint16(out[os2+74:], uint16(asc)) // usWinAscent
		}
	}
	// Check the result reads back with the new ascender.
	f2, err := font.ParseTTF(bytes.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("ui: patched font: %w", err)
	}
	if ext, ok := f2.FontHExtents(); !ok || ext.Ascender < top {
		return nil, fmt.Errorf("ui: patched font's ascender %v is below the marks (%v)", ext.Ascender, top)
	}
	return out, nil
}
