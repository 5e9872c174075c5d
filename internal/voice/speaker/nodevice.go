//go:build !cgo && !windows && !darwin

package speaker

import (
	"context"
	"errors"
)

// soundSupport tells whether this build can play sound at all.
const soundSupport = false

// openDevice fails: on Linux (and the other Unixes) the sound library needs
// cgo and ALSA, and this program was built without cgo.
func openDevice(context.Context) (device, error) {
	return nil, errors.New("speaker: built without cgo, no sound support")
}
