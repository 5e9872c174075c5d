//go:build cgo || windows || darwin

package speaker

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/ebitengine/oto/v3"
)

// pollInterval is how often a playing sound is checked for its end: oto has
// no completion callback. 20 ms is below what a listener notices between two
// call-outs and costs nothing.
const pollInterval = 20 * time.Millisecond

// soundSupport tells whether this build can play sound at all.
const soundSupport = true

type otoDevice struct {
	ctx *oto.Context
}

// openDevice opens the default output through oto. On Linux oto opens ALSA's
// "default" PCM (then "plug:default" and the others ALSA lists) in the
// background; the error, if any, is known once ready is closed.
func openDevice(ctx context.Context) (device, error) {
	octx, ready, err := oto.NewContext(&oto.NewContextOptions{
		SampleRate:   Rate,
		ChannelCount: 1,
		Format:       oto.FormatSignedInt16LE,
	})
	if err != nil {
		return nil, err
	}
	select {
	case <-ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("speaker: opening the sound device: %w", ctx.Err())
	}
	if err := octx.Err(); err != nil {
		return nil, err
	}
	return &otoDevice{ctx: octx}, nil
}

func (d *otoDevice) play(ctx context.Context, pcm []byte) error {
	p := d.ctx.NewPlayer(bytes.NewReader(pcm))
	defer p.Close()
	p.Play()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for p.IsPlaying() {
		select {
		case <-ctx.Done():
			p.Pause()
			return ctx.Err()
		case <-tick.C:
		}
		if err := d.ctx.Err(); err != nil {
			return deviceError{err}
		}
	}
	if err := p.Err(); err != nil {
		return deviceError{err}
	}
	return nil
}
