// Package wav reads and writes the WAV (RIFF WAVE) files of the call-out
// clips.
//
// It is a small reader of our own rather than a library: the display needs
// only uncompressed PCM, the clips can be replaced by whatever a centre
// records (8/16/24/32-bit integer or 32/64-bit float, mono or stereo, any
// rate), and a few hundred lines that are fuzz-tested are easier to trust
// than another dependency whose buffers we would convert again anyway.
package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// MaxSize is the largest file Decode reads: a clip is a few seconds, and a
// wrong file put in the sounds folder must not exhaust memory.
const MaxSize = 32 << 20

// ErrFormat is wrapped by every error about a file that is not a supported
// WAV file.
var ErrFormat = errors.New("wav: unsupported or malformed file")

// Sound is decoded audio, mixed down to one channel.
type Sound struct {
	// Rate is the sample rate in Hz.
	Rate int
	// Samples are signed 16-bit mono samples.
	Samples []int16
}

// Duration is how long the sound plays.
func (s Sound) Duration() float64 {
	if s.Rate <= 0 {
		return 0
	}
	return float64(len(s.Samples)) / float64(s.Rate)
}

// WAVE format tags.
const (
	formatPCM        = 1
	formatFloat      = 3
	formatExtensible = 0xFFFE
)

// Decode reads a WAV file of uncompressed PCM and mixes it down to mono
// 16-bit samples. A data chunk whose size runs past the end of the file (as
// written by a program that streamed it) is read up to the end.
func Decode(r io.Reader) (Sound, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return Sound{}, fmt.Errorf("wav: %w", err)
	}
	if len(data) > MaxSize {
		return Sound{}, fmt.Errorf("%w: larger than %d bytes", ErrFormat, MaxSize)
	}
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return Sound{}, fmt.Errorf("%w: no RIFF WAVE header", ErrFormat)
	}
	var (
		haveFmt                          bool
		format, channels, bits, blockLen int
		rate                             int
	)
	for p := 12; p+8 <= len(data); {
		id := string(data[p : p+4])
		size := int(binary.LittleEndian.Uint32(data[p+4 : p+8]))
		p += 8
		body := data[p:]
		if size <= len(body) {
			body = body[:size]
		} else if id != "data" {
			return Sound{}, fmt.Errorf("%w: chunk %q runs past the end", ErrFormat, id)
		}
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return Sound{}, fmt.Errorf("%w: short fmt chunk", ErrFormat)
			}
			format = int(binary.LittleEndian.Uint16(body[0:2]))
			channels = int(binary.LittleEndian.Uint16(body[2:4]))
			rate = int(binary.LittleEndian.Uint32(body[4:8]))
			blockLen = int(binary.LittleEndian.Uint16(body[12:14]))
			bits = int(binary.LittleEndian.Uint16(body[14:16]))
			if rate < 1000 || rate > 768000 {
				return Sound{}, fmt.Errorf("%w: sample rate %d", ErrFormat, rate)
			}
			if format == formatExtensible {
				if len(body) < 26 {
					return Sound{}, fmt.Errorf("%w: short extensible fmt chunk", ErrFormat)
				}
				// The sub-format GUID starts with the plain format tag.
				format = int(binary.LittleEndian.Uint16(body[24:26]))
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return Sound{}, fmt.Errorf("%w: data before fmt", ErrFormat)
			}
			samples, err := mono(body, format, channels, bits, blockLen)
			if err != nil {
				return Sound{}, err
			}
			return Sound{Rate: rate, Samples: samples}, nil
		}
		// Chunks are padded to an even size.
		p += size + size&1
	}
	return Sound{}, fmt.Errorf("%w: no data chunk", ErrFormat)
}

// mono converts interleaved frames to mono 16-bit samples by averaging the
// channels.
func mono(data []byte, format, channels, bits, blockLen int) ([]int16, error) {
	if channels < 1 || channels > 16 {
		return nil, fmt.Errorf("%w: %d channels", ErrFormat, channels)
	}
	var sample func([]byte) float64 // one sample as -1..1
	switch {
	case format == formatPCM && bits == 8:
		sample = func(b []byte) float64 { return (float64(b[0]) - 128) / 128 }
	case format == formatPCM && bits == 16:
		sample = func(b []byte) float64 { return float64(int16(binary.LittleEndian.Uint16(b))) / 32768 }
	case format == formatPCM && bits == 24:
		sample = func(b []byte) float64 {
			v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
			return float64(v) / (1 << 23)
		}
	case format == formatPCM && bits == 32:
		sample = func(b []byte) float64 { return float64(int32(binary.LittleEndian.Uint32(b))) / (1 << 31) }
	case format == formatFloat && bits == 32:
		sample = func(b []byte) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))) }
	case format == formatFloat && bits == 64:
		sample = func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }
	default:
		return nil, fmt.Errorf("%w: format %d with %d bits", ErrFormat, format, bits)
	}
	width := bits / 8
	if blockLen < width*channels {
		// Some writers leave the block length at 0; frames are packed then.
		blockLen = width * channels
	}
	frames := len(data) / blockLen
	out := make([]int16, frames)
	for i := range out {
		frame := data[i*blockLen:]
		var sum float64
		for c := 0; c < channels; c++ {
			sum += sample(frame[c*width:])
		}
		out[i] = toInt16(sum / float64(channels))
	}
	return out, nil
}

// toInt16 converts -1..1 to a 16-bit sample, clipping (and mapping NaN,
// which a broken float file may hold, to silence). The scale is 32768, the
// inverse of the 16-bit decoder, so 16-bit files pass through unchanged.
func toInt16(v float64) int16 {
	if v != v {
		return 0
	}
	return int16(math.Max(math.MinInt16, math.Min(math.MaxInt16, math.Round(v*32768))))
}

// Resample converts s to rate by linear interpolation. Good enough for
// speech: the clips we ship are already at the player's rate, so it only
// runs on a replaced clip recorded at another rate.
func Resample(s Sound, rate int) Sound {
	if s.Rate == rate || s.Rate <= 0 || rate <= 0 || len(s.Samples) == 0 {
		return Sound{Rate: rate, Samples: s.Samples}
	}
	n := int(int64(len(s.Samples)) * int64(rate) / int64(s.Rate))
	out := make([]int16, n)
	last := len(s.Samples) - 1
	for i := range out {
		// Position in the source, in units of 1/rate source samples.
		pos := int64(i) * int64(s.Rate)
		j := int(pos / int64(rate))
		frac := float64(pos%int64(rate)) / float64(rate)
		a := float64(s.Samples[min(j, last)])
		b := float64(s.Samples[min(j+1, last)])
		out[i] = int16(math.Round(a + (b-a)*frac))
	}
	return Sound{Rate: rate, Samples: out}
}

// Encode writes s as a 16-bit mono PCM WAV file.
func Encode(w io.Writer, s Sound) error {
	var b bytes.Buffer
	dataLen := 2 * len(s.Samples)
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+dataLen))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{
		uint32(16), uint16(formatPCM), uint16(1), uint32(s.Rate), uint32(2 * s.Rate), uint16(2), uint16(16),
	} {
		_ = binary.Write(&b, binary.LittleEndian, v) // a bytes.Buffer never fails
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(dataLen))
	_ = binary.Write(&b, binary.LittleEndian, s.Samples)
	_, err := w.Write(b.Bytes())
	return err
}

// PCM returns the samples as little-endian bytes, the format of an audio
// device opened for signed 16-bit samples.
func (s Sound) PCM() []byte {
	out := make([]byte, 2*len(s.Samples))
	for i, v := range s.Samples {
		binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
	}
	return out
}
