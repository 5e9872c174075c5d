package queue

import (
	"sync"
)

// citizenNames holds the names read from the ID cards of open tickets
// (issue 17, the centre's show_citizen_name), in memory only: never
// stored, never in an event, a webhook or a report. A restart forgets
// them; so does the ticket's end (pruned on the next issue).
type citizenNames struct {
	mu sync.Mutex
	m  map[string]string // ticket id → name
}

// maxCitizenName bounds a name sent with an issue, in bytes.
const maxCitizenName = 200

// rememberName keeps name for ticket id, and forgets the names of
// tickets that are no longer open.
func (e *Engine) rememberName(id, name string) {
	open := map[string]bool{id: true}
	e.mu.RLock()
	for tid := range e.c.where {
		open[tid] = true
	}
	for _, cs := range e.c.board.Counters {
		if cs.Current != nil {
			open[cs.Current.ID] = true
		}
	}
	e.mu.RUnlock()
	e.names.mu.Lock()
	defer e.names.mu.Unlock()
	if e.names.m == nil {
		e.names.m = map[string]string{}
	}
	for tid := range e.names.m {
		if !open[tid] {
			delete(e.names.m, tid)
		}
	}
	e.names.m[id] = name
}

// CitizenName is the name from the ID card of ticketID when it is the
// ticket counterID serves now and the centre shows names to clerks; ""
// otherwise.
func (e *Engine) CitizenName(counterID, ticketID string) string {
	e.mu.RLock()
	show := e.c.centre.ShowCitizenName != nil && *e.c.centre.ShowCitizenName
	serving := false
	for _, cs := range e.c.board.Counters {
		if cs.Counter.ID == counterID && cs.Current != nil && cs.Current.ID == ticketID {
			serving = true
		}
	}
	e.mu.RUnlock()
	if !show || !serving {
		return ""
	}
	e.names.mu.Lock()
	defer e.names.mu.Unlock()
	return e.names.m[ticketID]
}
