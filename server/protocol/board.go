package protocol

import (
	"errors"
	"slices"
	"sort"
)

// RecentCalls is how many calls Board.Recent keeps, newest first.
const RecentCalls = 10

// ErrEpochChanged means the event belongs to another history: the caller must
// take a fresh snapshot.
var ErrEpochChanged = errors.New("protocol: event epoch differs from board epoch")

// Apply returns the board after ev. It is a pure function: b is not modified.
// Events with a seq at or below b.Seq are duplicates and leave the board as it
// is; a snapshot replaces the board. Displays, the server and tests share it,
// so every board shown in the hall is computed the same way.
func Apply(b Board, ev Event) (Board, error) {
	return apply(b, ev, func() (any, error) { return DecodeEvent(ev) }, false)
}

// ApplyDecoded is Apply for a caller that has decoded ev already: data and
// err are what DecodeEvent(ev) answered. The server's cache decodes each
// event once for the board and for itself.
func ApplyDecoded(b Board, ev Event, data any, err error) (Board, error) {
	return apply(b, ev, func() (any, error) { return data, err }, false)
}

// ApplyOwned is ApplyDecoded without the copy: b's slices and map are
// changed where they are, so b must be the caller's alone, and anyone it
// lent them to must have taken copies (the engine's cache, which hands out
// copies made under its lock). What b points to — a counter's current
// ticket, the centre — is replaced, never changed, so pointers handed out
// stay valid. On an error b is as it was.
func ApplyOwned(b Board, ev Event, data any, err error) (Board, error) {
	return apply(b, ev, func() (any, error) { return data, err }, true)
}

func apply(b Board, ev Event, decode func() (any, error), owned bool) (Board, error) {
	if ev.Type == EventSnapshot {
		data, err := decode()
		if err != nil {
			return b, err
		}
		nb := data.(Board)
		if nb.Seq == 0 {
			nb.Seq = ev.Seq
		}
		if nb.Epoch == "" {
			nb.Epoch = ev.Epoch
		}
		if nb.Waiting == nil {
			nb.Waiting = map[string]int{}
		}
		return nb, nil
	}
	if b.Epoch != "" && ev.Epoch != "" && ev.Epoch != b.Epoch {
		return b, ErrEpochChanged
	}
	if ev.Seq <= b.Seq {
		return b, nil
	}
	data, err := decode()
	if err != nil {
		switch data.(type) {
		case Ticket, Call, Counter, Service, Centre, Disruption: // read below
			return b, err
		}
	}
	nb := b
	if !owned {
		nb = b.clone()
	} else if nb.Waiting == nil {
		nb.Waiting = map[string]int{}
	}
	nb.Seq = ev.Seq
	if nb.Epoch == "" {
		nb.Epoch = ev.Epoch
	}
	if err != nil {
		// Ratings, device changes and phone views are no part of the
		// board, well formed or not: the seq still advances.
		return nb, nil
	}
	switch d := data.(type) {
	case Ticket:
		nb.applyTicket(ev.Type, d)
	case Call:
		if ev.Type == EventTicketCalled && !d.Recall {
			nb.decWaiting(d.Ticket.ServiceID)
		}
		nb.clearCurrent(d.Ticket.ID)
		t := d.Ticket
		i := nb.counterIndex(d.Counter.ID)
		if i < 0 {
			nb.Counters = append(nb.Counters, CounterState{Counter: d.Counter})
			nb.sortCounters()
			i = nb.counterIndex(d.Counter.ID)
		} else {
			nb.Counters[i].Counter = d.Counter
		}
		nb.Counters[i].Current = &t
		nb.Recent = append([]Call{d}, nb.Recent...)
		if len(nb.Recent) > RecentCalls {
			nb.Recent = nb.Recent[:RecentCalls]
		}
	case Counter:
		if i := nb.counterIndex(d.ID); i >= 0 {
			nb.Counters[i].Counter = d
		} else {
			nb.Counters = append(nb.Counters, CounterState{Counter: d})
			nb.sortCounters()
		}
	case Service:
		nb.Waiting[d.ID] = d.Waiting
		i := slices.IndexFunc(nb.Services, func(x Service) bool { return x.ID == d.ID })
		if i >= 0 {
			nb.Services[i] = d
		} else {
			nb.Services = append(nb.Services, d)
		}
		sort.SliceStable(nb.Services, func(i, j int) bool { return nb.Services[i].Order < nb.Services[j].Order })
	case Centre:
		nb.Centre = &d
	case Disruption:
		i := slices.IndexFunc(nb.Disruptions, func(x Disruption) bool { return x.ID == d.ID })
		switch {
		case ev.Type == EventDisruptionEnded || d.EndedAt != nil:
			if i >= 0 {
				nb.Disruptions = slices.Delete(nb.Disruptions, i, i+1)
			}
		case i >= 0:
			nb.Disruptions[i] = d
		default:
			nb.Disruptions = append(nb.Disruptions, d)
		}
		if len(nb.Disruptions) == 0 {
			nb.Disruptions = nil
		}
	default:
		// Ratings, device changes, phone views and the types of newer
		// servers leave the board as it is: the seq still advances.
	}
	return nb, nil
}

// applyTicket folds an event whose data is a ticket (issued, done, no-show,
// transferred, cancelled).
func (nb *Board) applyTicket(typ string, t Ticket) {
	switch typ {
	case EventTicketIssued:
		if t.Status == StatusWaiting {
			nb.Waiting[t.ServiceID]++
		}
	case EventTicketDone, EventTicketNoShow:
		nb.clearCurrent(t.ID)
		if i := nb.counterIndex(t.CounterID); i >= 0 && typ == EventTicketDone {
			nb.Counters[i].Counter.ServedToday++
		}
	case EventTicketTransferred:
		if !nb.clearCurrent(t.ID) && t.FromServiceID != "" {
			// A waiting ticket moved between fields.
			nb.decWaiting(t.FromServiceID)
		}
		if t.Status == StatusWaiting {
			nb.Waiting[t.ServiceID]++
		}
	case EventTicketCancelled:
		if !nb.clearCurrent(t.ID) {
			nb.decWaiting(t.ServiceID)
		}
	}
}

func (b Board) clone() Board {
	nb := b
	nb.Counters = make([]CounterState, len(b.Counters))
	for i, cs := range b.Counters {
		nb.Counters[i] = cs
		if cs.Current != nil {
			t := *cs.Current
			nb.Counters[i].Current = &t
		}
	}
	nb.Recent = slices.Clone(b.Recent)
	nb.Waiting = make(map[string]int, len(b.Waiting))
	for k, v := range b.Waiting {
		nb.Waiting[k] = v
	}
	nb.Services = slices.Clone(b.Services)
	nb.Disruptions = slices.Clone(b.Disruptions)
	if b.Centre != nil {
		c := *b.Centre
		nb.Centre = &c
	}
	return nb
}

func (b *Board) counterIndex(id string) int {
	return slices.IndexFunc(b.Counters, func(cs CounterState) bool { return cs.Counter.ID == id })
}

func (b *Board) sortCounters() {
	sort.SliceStable(b.Counters, func(i, j int) bool { return b.Counters[i].Counter.Number < b.Counters[j].Counter.Number })
}

// clearCurrent removes ticket id from whichever counter serves it and reports
// whether one did.
func (b *Board) clearCurrent(id string) bool {
	found := false
	for i := range b.Counters {
		if c := b.Counters[i].Current; c != nil && c.ID == id {
			b.Counters[i].Current = nil
			found = true
		}
	}
	return found
}

func (b *Board) decWaiting(serviceID string) {
	if b.Waiting[serviceID] > 0 {
		b.Waiting[serviceID]--
	}
}
