package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
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
	if ev.Type == EventSnapshot {
		var nb Board
		if err := json.Unmarshal(ev.Data, &nb); err != nil {
			return b, fmt.Errorf("protocol: snapshot data: %w", err)
		}
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
	nb := b.clone()
	nb.Seq = ev.Seq
	if nb.Epoch == "" {
		nb.Epoch = ev.Epoch
	}
	switch ev.Type {
	case EventTicketIssued:
		var t Ticket
		if err := json.Unmarshal(ev.Data, &t); err != nil {
			return b, fmt.Errorf("protocol: %s data: %w", ev.Type, err)
		}
		if t.Status == StatusWaiting {
			nb.Waiting[t.ServiceID]++
		}
	case EventTicketCalled, EventTicketRecalled:
		var c Call
		if err := json.Unmarshal(ev.Data, &c); err != nil {
			return b, fmt.Errorf("protocol: %s data: %w", ev.Type, err)
		}
		if ev.Type == EventTicketCalled && !c.Recall {
			nb.decWaiting(c.Ticket.ServiceID)
		}
		nb.clearCurrent(c.Ticket.ID)
		t := c.Ticket
		i := nb.counterIndex(c.Counter.ID)
		if i < 0 {
			nb.Counters = append(nb.Counters, CounterState{Counter: c.Counter})
			nb.sortCounters()
			i = nb.counterIndex(c.Counter.ID)
		} else {
			nb.Counters[i].Counter = c.Counter
		}
		nb.Counters[i].Current = &t
		nb.Recent = append([]Call{c}, nb.Recent...)
		if len(nb.Recent) > RecentCalls {
			nb.Recent = nb.Recent[:RecentCalls]
		}
	case EventTicketDone, EventTicketNoShow:
		var t Ticket
		if err := json.Unmarshal(ev.Data, &t); err != nil {
			return b, fmt.Errorf("protocol: %s data: %w", ev.Type, err)
		}
		nb.clearCurrent(t.ID)
		if i := nb.counterIndex(t.CounterID); i >= 0 && ev.Type == EventTicketDone {
			nb.Counters[i].Counter.ServedToday++
		}
	case EventTicketTransferred:
		var t Ticket
		if err := json.Unmarshal(ev.Data, &t); err != nil {
			return b, fmt.Errorf("protocol: %s data: %w", ev.Type, err)
		}
		if !nb.clearCurrent(t.ID) && t.FromServiceID != "" {
			// A waiting ticket moved between fields.
			nb.decWaiting(t.FromServiceID)
		}
		if t.Status == StatusWaiting {
			nb.Waiting[t.ServiceID]++
		}
	case EventTicketCancelled:
		var t Ticket
		if err := json.Unmarshal(ev.Data, &t); err != nil {
			return b, fmt.Errorf("protocol: %s data: %w", ev.Type, err)
		}
		if !nb.clearCurrent(t.ID) {
			nb.decWaiting(t.ServiceID)
		}
	case EventCounterUpdated:
		var c Counter
		if err := json.Unmarshal(ev.Data, &c); err != nil {
			return b, fmt.Errorf("protocol: %s data: %w", ev.Type, err)
		}
		if i := nb.counterIndex(c.ID); i >= 0 {
			nb.Counters[i].Counter = c
		} else {
			nb.Counters = append(nb.Counters, CounterState{Counter: c})
			nb.sortCounters()
		}
	case EventServiceUpdated:
		var s Service
		if err := json.Unmarshal(ev.Data, &s); err != nil {
			return b, fmt.Errorf("protocol: %s data: %w", ev.Type, err)
		}
		nb.Waiting[s.ID] = s.Waiting
		i := slices.IndexFunc(nb.Services, func(x Service) bool { return x.ID == s.ID })
		if i >= 0 {
			nb.Services[i] = s
		} else {
			nb.Services = append(nb.Services, s)
		}
		sort.SliceStable(nb.Services, func(i, j int) bool { return nb.Services[i].Order < nb.Services[j].Order })
	case EventCentreUpdated:
		var c Centre
		if err := json.Unmarshal(ev.Data, &c); err != nil {
			return b, fmt.Errorf("protocol: %s data: %w", ev.Type, err)
		}
		nb.Centre = &c
	case EventDisruptionStarted, EventDisruptionEnded:
		var d Disruption
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return b, fmt.Errorf("protocol: %s data: %w", ev.Type, err)
		}
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
		// Unknown types come from newer servers: the seq still advances.
	}
	return nb, nil
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
