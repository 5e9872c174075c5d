package ticket

import (
	"bytes"
	"errors"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/civiq/civiq/kiosk/internal/ticket/tickettest"
	"github.com/civiq/civiq/server/protocol"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/")

// ict is the centre's time zone in the tests (Asia/Ho_Chi_Minh, without
// depending on the tz database of the machine running them).
var ict = time.FixedZone("ICT", 7*60*60)

const trackURL = "https://hcc.quangtri.gov.vn/t/7Kq2xWmP9dRf4ZbN"

func sample(width int) Layout {
	return Layout{
		Width:        width,
		Centre:       "Trung tâm Phục vụ hành chính công tỉnh Quảng Trị",
		Field:        "Tư pháp – Hộ tịch",
		Code:         "A012",
		IssuedAt:     time.Date(2026, 11, 28, 8, 4, 0, 0, time.UTC),
		Location:     ict,
		Ahead:        4,
		WaitMinutes:  12,
		RangeMinutes: [2]int{6, 21},
		TrackURL:     trackURL,
		Lang:         "vi",
	}
}

func goldenCases() map[string]Layout {
	vi58 := sample(Width58mm)
	vi80 := sample(Width80mm)
	vi80.Field = "Lao động – Thương binh và Xã hội"
	vi80.Code = "B105"
	vi80.Priority = true
	vi80.Ahead = 17
	vi80.WaitMinutes = 75
	vi80.RangeMinutes = [2]int{40, 120}

	en58 := sample(Width58mm)
	en58.Lang = "en"
	en58.Field = "Labour, Invalids and Social Affairs"
	en58.Priority = true
	en58.Offline = true
	en58.Ahead = Unknown
	en58.WaitMinutes = Unknown

	long58 := sample(Width58mm)
	long58.Centre = "Bộ phận Tiếp nhận và Trả kết quả giải quyết thủ tục hành chính Ủy ban nhân dân huyện Hướng Hóa"
	long58.Field = "Lao động – Thương binh và Xã hội; Nội vụ; Giáo dục và Đào tạo; Khoa học – Công nghệ"
	long58.Code = "C0042"
	long58.Offline = true
	long58.WaitMinutes = 0
	long58.RangeMinutes = [2]int{} // called at once: no range

	return map[string]Layout{
		"vi-58mm":   vi58,
		"vi-80mm":   vi80,
		"en-58mm":   en58,
		"long-58mm": long58,
	}
}

func render(t *testing.T, l Layout) *image.Paletted {
	t.Helper()
	img, err := Render(l)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return img
}

// TestGolden compares rendered tickets with testdata/*.png. Run with
// -update after a deliberate change, and look at the images.
func TestGolden(t *testing.T) {
	for name, l := range goldenCases() {
		t.Run(name, func(t *testing.T) {
			got := render(t, l)
			path := filepath.Join("testdata", name+".png")
			if *update {
				writePNG(t, path, got)
				return
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			defer f.Close()
			want, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if got.Bounds() != want.Bounds() {
				failGolden(t, path, got, "size %v, want %v", got.Bounds().Size(), want.Bounds().Size())
			}
			// The rasteriser works in float32, and some architectures fuse
			// multiply-adds, so a few edge pixels of glyphs may legitimately
			// flip. A layout change moves thousands.
			diff := 0
			for y := range got.Bounds().Dy() {
				for x := range got.Bounds().Dx() {
					if isBlack(got, x, y) != isBlack(want, x, y) {
						diff++
					}
				}
			}
			if limit := got.Bounds().Dx() * got.Bounds().Dy() / 5000; diff > limit {
				failGolden(t, path, got, "%d pixels differ (limit %d)", diff, limit)
			}
		})
	}
}

func failGolden(t *testing.T, path string, got image.Image, format string, args ...any) {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(path))
	writePNG(t, out, got)
	t.Fatalf("%s: "+format+"; got image written to %s", append(append([]any{path}, args...), out)...)
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func isBlack(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(img.Bounds().Min.X+x, img.Bounds().Min.Y+y).RGBA()
	return r+g+b < 3*0x8000
}

// TestScan decodes the QR code and the barcode from the rendered image, as
// a phone and a counter scanner would.
func TestScan(t *testing.T) {
	for _, width := range []int{Width58mm, Width80mm} {
		for _, code := range []string{"A012", "B105", "Z999", "AB1234"} {
			l := sample(width)
			l.Code = code
			l.Priority = true
			img := render(t, l)
			if got := scanQR(t, img); got != trackURL {
				t.Errorf("width %d, code %s: QR says %q, want %q", width, code, got, trackURL)
			}
			if got := scanBarcode(t, img); got != code {
				t.Errorf("width %d: barcode says %q, want %q", width, got, code)
			}
		}
	}
}

func scanQR(t *testing.T, img image.Image) string {
	t.Helper()
	s, err := tickettest.ScanQR(img)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func scanBarcode(t *testing.T, img image.Image) string {
	t.Helper()
	s, err := tickettest.ScanBarcode(img)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOneBit(t *testing.T) {
	img := render(t, sample(Width80mm))
	if img.Bounds().Dx() != Width80mm || img.Bounds().Min != (image.Point{}) {
		t.Fatalf("bounds %v, want width %d from the origin", img.Bounds(), Width80mm)
	}
	if len(img.Palette) != 2 {
		t.Fatalf("palette of %d colours, want 2", len(img.Palette))
	}
	for i, v := range img.Pix {
		if v > 1 {
			t.Fatalf("pixel %d has index %d", i, v)
		}
	}
}

// TestNothingClipped renders names far too long for the paper and checks
// that the ink stays inside the margins (so it was wrapped, not cut) and
// that the image grows to hold the extra lines.
func TestNothingClipped(t *testing.T) {
	for _, width := range []int{Width58mm, Width80mm} {
		short := render(t, sample(width))
		l := sample(width)
		l.Centre = strings.Repeat("Ủy ban nhân dân tỉnh ", 6)
		l.Field = "Tài nguyên – Môi trường " + strings.Repeat("Đ", 80) // one unbreakable word
		long := render(t, l)
		if long.Bounds().Dy() <= short.Bounds().Dy() {
			t.Errorf("width %d: long names gave height %d, short %d: not wrapped", width, long.Bounds().Dy(), short.Bounds().Dy())
		}
		margin := styleFor(width).margin
		for _, img := range []*image.Paletted{short, long} {
			b := img.Bounds()
			for y := range b.Dy() {
				for x := range b.Dx() {
					inside := x >= margin-1 && x < b.Dx()-margin+1 && y > 0 && y < b.Dy()-1
					if !inside && isBlack(img, x, y) {
						t.Fatalf("width %d: ink at (%d,%d), in the margin: clipped or overflowing", width, x, y)
					}
				}
			}
		}
	}
}

func TestDecomposedInput(t *testing.T) {
	l := sample(Width58mm)
	want := render(t, l)
	l.Centre = norm.NFD.String(l.Centre)
	l.Field = norm.NFD.String(l.Field)
	got := render(t, l)
	if !bytes.Equal(got.Pix, want.Pix) {
		t.Error("decomposed (NFD) names render differently from composed ones")
	}
}

// TestVietnameseGlyphs checks that both fonts have every letter of the
// Vietnamese alphabet, so no name prints as empty boxes.
func TestVietnameseGlyphs(t *testing.T) {
	const letters = "aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợpqrstuùủũúụưừửữứựvxyỳỷỹýỵ–"
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	f := newFaces(r)
	for _, face := range []struct {
		name string
		ok   func(rune) bool
	}{
		{"regular", func(c rune) bool { _, ok := f.regular(20).GlyphAdvance(c); return ok }},
		{"bold", func(c rune) bool { _, ok := f.bold(20).GlyphAdvance(c); return ok }},
	} {
		for _, c := range letters + strings.ToUpper(letters) {
			if !face.ok(c) {
				t.Errorf("%s font has no glyph for %q", face.name, c)
			}
		}
	}
}

func TestOptionalParts(t *testing.T) {
	full := render(t, sample(Width58mm))
	l := sample(Width58mm)
	l.TrackURL = ""
	l.Ahead, l.WaitMinutes = Unknown, Unknown
	l.IssuedAt = time.Time{}
	l.Centre = ""
	bare := render(t, l)
	if bare.Bounds().Dy() >= full.Bounds().Dy()-200 {
		t.Errorf("ticket without QR, rows and heading is %d dots tall, full one %d", bare.Bounds().Dy(), full.Bounds().Dy())
	}
	if got := scanBarcode(t, bare); got != l.Code {
		t.Errorf("barcode says %q, want %q", got, l.Code)
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Layout)
		want   string
	}{
		{"no code", func(l *Layout) { l.Code = "" }, "empty ticket code"},
		{"blank code", func(l *Layout) { l.Code = "  " }, "empty ticket code"},
		{"non-ASCII code", func(l *Layout) { l.Code = "Đ012" }, "printable ASCII"},
		{"control in code", func(l *Layout) { l.Code = "A\n12" }, "printable ASCII"},
		{"width not a multiple of 8", func(l *Layout) { l.Width = 385 }, "multiple of 8"},
		{"width too small", func(l *Layout) { l.Width = 128 }, "multiple of 8"},
		{"width too large", func(l *Layout) { l.Width = 2048 }, "multiple of 8"},
		{"URL too long for a QR code", func(l *Layout) { l.TrackURL = "https://x/" + strings.Repeat("x", 3000) }, "QR code"},
		{"code too long for a barcode", func(l *Layout) { l.Code = strings.Repeat("AB", 20) }, "barcode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := sample(Width58mm)
			tt.change(&l)
			img, err := Render(l)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Render = %v, %v; want an error containing %q", img != nil, err, tt.want)
			}
		})
	}
	l := sample(Width58mm)
	l.Code = ""
	if _, err := Render(l); !errors.Is(err, ErrNoCode) {
		t.Errorf("empty code: %v, want ErrNoCode", err)
	}
}

func TestDefaults(t *testing.T) {
	l := sample(0)
	l.Lang = "fr" // unknown languages fall back to Vietnamese
	got := render(t, l)
	want := render(t, sample(Width58mm))
	if !bytes.Equal(got.Pix, want.Pix) {
		t.Error("zero width and unknown language do not render as 58 mm Vietnamese")
	}
	// Without a location the time prints in IssuedAt's own zone.
	l = sample(Width58mm)
	l.Location = nil
	l.IssuedAt = l.IssuedAt.In(ict)
	if got := render(t, l); !bytes.Equal(got.Pix, want.Pix) {
		t.Error("nil Location does not print IssuedAt's own local time")
	}
}

func TestWaitText(t *testing.T) {
	tests := []struct {
		lang string
		min  int
		want string
	}{
		{"vi", 0, "dưới 1 phút"},
		{"vi", 12, "khoảng 12 phút"},
		{"vi", 60, "khoảng 1 giờ"},
		{"vi", 75, "khoảng 1 giờ 15 phút"},
		{"en", 0, "under 1 min"},
		{"en", 12, "about 12 min"},
		{"en", 120, "about 2 h"},
		{"en", 75, "about 1 h 15 min"},
	}
	for _, tt := range tests {
		if got := waitText(tt.lang, tt.min); got != tt.want {
			t.Errorf("waitText(%s, %d) = %q, want %q", tt.lang, tt.min, got, tt.want)
		}
	}
}

func TestConcurrentRender(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	want, err := r.Render(sample(Width58mm))
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			got, err := r.Render(sample(Width58mm))
			if err == nil && !bytes.Equal(got.Pix, want.Pix) {
				err = errors.New("concurrent render differs")
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestRangeText(t *testing.T) {
	for _, c := range []struct {
		lang   string
		lo, hi int
		want   string
	}{
		{"vi", 6, 21, "6–21 phút"},
		{"en", 6, 21, "6–21 min"},
		{"vi", 0, 9, "dưới 9 phút"},
		{"en", 0, 75, "under 1 h 15 min"},
		{"vi", 40, 120, "40 phút – 2 giờ"},
		{"en", 70, 130, "1 h 10 min – 2 h 10 min"},
	} {
		if got := rangeText(c.lang, c.lo, c.hi); got != c.want {
			t.Errorf("rangeText(%s, %d, %d) = %q, want %q", c.lang, c.lo, c.hi, got, c.want)
		}
	}
}

func TestFromTicket(t *testing.T) {
	tk := protocol.Ticket{
		Code: "A012", Priority: true, Offline: true, IssuedAt: sample(0).IssuedAt,
		Ahead: 4, ETASeconds: 690, ETALowSeconds: 419, ETAHighSeconds: 1201, TrackURL: trackURL, Lang: protocol.LangEN,
	}
	got := FromTicket(tk, "Centre", "Field", Width80mm, ict)
	want := Layout{
		Width: Width80mm, Centre: "Centre", Field: "Field", Code: "A012", Priority: true, Offline: true,
		IssuedAt: tk.IssuedAt, Location: ict, Ahead: 4, WaitMinutes: 12, RangeMinutes: [2]int{6, 21}, TrackURL: trackURL, Lang: "en",
	}
	if got != want {
		t.Errorf("FromTicket =\n%+v\nwant\n%+v", got, want)
	}
	tk.ETASeconds = 20
	if got := FromTicket(tk, "", "", 0, nil); got.WaitMinutes != 0 {
		t.Errorf("20 s gives %d minutes, want 0 (printed as under a minute)", got.WaitMinutes)
	}
}

// FuzzRender renders arbitrary names and codes: it must return an image
// or an error, never panic, and never draw outside the paper width.
func FuzzRender(f *testing.F) {
	f.Add("Trung tâm Phục vụ hành chính công", "Tư pháp – Hộ tịch", "A012", trackURL, true)
	f.Add("", "", "", "", false)
	f.Add(strings.Repeat("W", 300), "\u0301\u0323 \n\n x", "~~~~", "x", false)
	f.Add("😀 \x00\xff", "a\tb", "Z9", strings.Repeat("é", 200), true)
	r, err := NewRenderer()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, centre, field, code, url string, en bool) {
		if len(centre)+len(field)+len(url) > 1000 {
			t.Skip("names longer than any centre has")
		}
		l := sample(Width58mm)
		l.Centre, l.Field, l.Code, l.TrackURL = centre, field, code, url
		if en {
			l.Lang = "en"
		}
		img, err := r.Render(l)
		if err != nil {
			return
		}
		if img.Bounds().Dx() != Width58mm || img.Bounds().Dy() <= 0 {
			t.Fatalf("image %v", img.Bounds())
		}
	})
}
