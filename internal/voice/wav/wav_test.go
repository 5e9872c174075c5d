package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	in := Sound{Rate: 22050, Samples: []int16{0, 1, -1, math.MaxInt16, math.MinInt16, 1234}}
	var b bytes.Buffer
	if err := Encode(&b, in); err != nil {
		t.Fatal(err)
	}
	out, err := Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if out.Rate != in.Rate || !equal(out.Samples, in.Samples) {
		t.Fatalf("got %+v, want %+v", out, in)
	}
}

func equal(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// build writes a WAV file with the given fmt fields and raw data.
func build(format, channels, rate, bits int, data []byte, extra ...[]byte) []byte {
	var fmtChunk bytes.Buffer
	block := channels * bits / 8
	for _, v := range []any{uint16(format), uint16(channels), uint32(rate), uint32(rate * block), uint16(block), uint16(bits)} {
		_ = binary.Write(&fmtChunk, binary.LittleEndian, v)
	}
	if format == formatExtensible {
		fmtChunk.Reset()
		for _, v := range []any{uint16(formatExtensible), uint16(channels), uint32(rate), uint32(rate * block), uint16(block), uint16(bits),
			uint16(22), uint16(bits), uint32(0), uint16(formatPCM)} {
			_ = binary.Write(&fmtChunk, binary.LittleEndian, v)
		}
		fmtChunk.Write(make([]byte, 14)) // rest of the GUID
	}
	var body bytes.Buffer
	body.WriteString("WAVE")
	for _, c := range extra {
		body.Write(c)
	}
	body.WriteString("fmt ")
	_ = binary.Write(&body, binary.LittleEndian, uint32(fmtChunk.Len()))
	body.Write(fmtChunk.Bytes())
	body.WriteString("data")
	_ = binary.Write(&body, binary.LittleEndian, uint32(len(data)))
	body.Write(data)
	var out bytes.Buffer
	out.WriteString("RIFF")
	_ = binary.Write(&out, binary.LittleEndian, uint32(body.Len()))
	out.Write(body.Bytes())
	return out.Bytes()
}

func le(vs ...any) []byte {
	var b bytes.Buffer
	for _, v := range vs {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	return b.Bytes()
}

func TestDecodeFormats(t *testing.T) {
	// An odd-sized chunk before fmt must be skipped with its pad byte.
	list := append([]byte("LIST"), le(uint32(3))...)
	list = append(list, 'a', 'b', 'c', 0)
	tests := []struct {
		name string
		file []byte
		rate int
		want []int16
	}{
		{"pcm16 mono", build(formatPCM, 1, 22050, 16, le(int16(100), int16(-100))), 22050, []int16{100, -100}},
		{"pcm16 stereo mixes", build(formatPCM, 2, 44100, 16, le(int16(100), int16(300), int16(-32768), int16(-32768))), 44100, []int16{200, -32768}},
		{"pcm8", build(formatPCM, 1, 8000, 8, []byte{128, 255, 0}), 8000, []int16{0, 32512, -32768}},
		{"pcm24", build(formatPCM, 1, 48000, 24, []byte{0, 0, 0x40, 0, 0, 0xC0}), 48000, []int16{16384, -16384}},
		{"pcm32", build(formatPCM, 1, 48000, 32, le(int32(1<<30))), 48000, []int16{16384}},
		{"float32", build(formatFloat, 1, 16000, 32, le(float32(0.5), float32(-2), float32(math.NaN()))), 16000, []int16{16384, -32768, 0}},
		{"float64", build(formatFloat, 1, 16000, 64, le(float64(-0.5))), 16000, []int16{-16384}},
		{"extensible pcm16", build(formatExtensible, 1, 22050, 16, le(int16(7))), 22050, []int16{7}},
		{"skips other chunks", build(formatPCM, 1, 22050, 16, le(int16(5)), list), 22050, []int16{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Decode(bytes.NewReader(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if s.Rate != tt.rate || !equal(s.Samples, tt.want) {
				t.Errorf("got rate %d %v, want %d %v", s.Rate, s.Samples, tt.rate, tt.want)
			}
		})
	}
}

func TestDecodeTruncatedDataChunk(t *testing.T) {
	f := build(formatPCM, 1, 22050, 16, le(int16(1), int16(2), int16(3)))
	s, err := Decode(bytes.NewReader(f[:len(f)-2])) // streamed: size says 6, 4 are there
	if err != nil {
		t.Fatal(err)
	}
	if !equal(s.Samples, []int16{1, 2}) {
		t.Errorf("samples %v", s.Samples)
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := map[string][]byte{
		"empty":         nil,
		"not riff":      []byte("RIFX\x00\x00\x00\x00WAVE"),
		"no data":       build(formatPCM, 1, 22050, 16, nil)[:36],
		"mp3 in wav":    build(0x55, 1, 22050, 16, le(int16(1))),
		"12 bits":       build(formatPCM, 1, 22050, 12, le(int16(1))),
		"zero channels": build(formatPCM, 0, 22050, 16, le(int16(1))),
		"zero rate":     build(formatPCM, 1, 0, 16, le(int16(1))),
	}
	for name, f := range tests {
		if _, err := Decode(bytes.NewReader(f)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestDecodeRejectsHugeFile(t *testing.T) {
	r := io.MultiReader(bytes.NewReader([]byte("RIFF\xff\xff\xff\xffWAVE")), zeros{})
	if _, err := Decode(r); !errors.Is(err, ErrFormat) {
		t.Errorf("err = %v, want ErrFormat", err)
	}
}

func TestResample(t *testing.T) {
	s := Sound{Rate: 44100, Samples: make([]int16, 44100)}
	for i := range s.Samples {
		s.Samples[i] = int16(i % 1000)
	}
	r := Resample(s, 22050)
	if r.Rate != 22050 || len(r.Samples) != 22050 || r.Duration() != 1 {
		t.Fatalf("rate %d, %d samples", r.Rate, len(r.Samples))
	}
	if r.Samples[10] != s.Samples[20] {
		t.Errorf("sample 10 = %d, want %d", r.Samples[10], s.Samples[20])
	}
	up := Resample(Sound{Rate: 10, Samples: []int16{0, 100}}, 20)
	if !equal(up.Samples, []int16{0, 50, 100, 100}) {
		t.Errorf("upsampled %v", up.Samples)
	}
	same := Resample(s, 44100)
	if len(same.Samples) != len(s.Samples) {
		t.Error("same-rate resample changed the length")
	}
}

// The clips are made by sox; decode one made the same way when sox is here.
func TestDecodeSoxOutput(t *testing.T) {
	sox, err := exec.LookPath("sox")
	if err != nil {
		t.Skip("sox not installed")
	}
	path := filepath.Join(t.TempDir(), "tone.wav")
	cmd := exec.Command(sox, "-D", "-n", "-r", "44100", "-c", "2", "-b", "24", path, "synth", "0.5", "sine", "440")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rate != 44100 || len(s.Samples) != 22050 {
		t.Errorf("rate %d, %d samples", s.Rate, len(s.Samples))
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(build(formatPCM, 1, 22050, 16, le(int16(100), int16(-100))))
	f.Add(build(formatPCM, 2, 44100, 24, make([]byte, 12)))
	f.Add(build(formatFloat, 1, 16000, 32, le(float32(0.5))))
	f.Add(build(formatExtensible, 1, 22050, 16, le(int16(7))))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		if s.Rate < 1000 || len(s.Samples) > len(data) {
			t.Fatalf("rate %d, %d samples from %d bytes", s.Rate, len(s.Samples), len(data))
		}
		_ = Resample(s, 22050)
	})
}
