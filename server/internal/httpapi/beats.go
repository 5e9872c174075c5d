package httpapi

import (
	"sync"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// quietBeat is the silence after which a device's heartbeat is news to the
// admin pages even when its status did not change: they show a device
// silent for two minutes as late (assets/web/static/staff/a-devices.js).
const quietBeat = 2 * time.Minute

// beats remembers the last heartbeat of each device, so that only a
// heartbeat that changes what the admin pages show sends device.updated
// (devices beat every 15 s; most beats change nothing). The zero value is
// ready to use.
type beats struct {
	mu   sync.Mutex
	last map[string]beat
}

type beat struct {
	at time.Time
	st protocol.DeviceStatus
}

// changed records a heartbeat and reports whether the admin pages should
// fetch the devices again: the first heartbeat since the server started,
// another status, or a heartbeat after a silence of quietBeat or more.
func (b *beats) changed(id string, at time.Time, st protocol.DeviceStatus) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == nil {
		b.last = map[string]beat{}
	}
	prev, ok := b.last[id]
	b.last[id] = beat{at: at, st: st}
	return !ok || prev.st != st || at.Sub(prev.at) >= quietBeat
}

// forget drops a revoked device.
func (b *beats) forget(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.last, id)
}
