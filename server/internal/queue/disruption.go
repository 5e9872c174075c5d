package queue

// How waits stretch while a disruption lasts is the wait model's
// (server/internal/forecast, disruption.go): the cache tells it which
// counters an open disruption touches.

// disrupted tells whether an open disruption touches counter id.
func (c *cache) disrupted(id string) bool {
	for _, d := range c.board.Disruptions {
		if d.Touches(id) {
			return true
		}
	}
	return false
}
