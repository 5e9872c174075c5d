// Package spool keeps what the kiosk needs to issue tickets while the
// server is unreachable: the leased blocks of numbers, the tickets issued
// from them that the server has not taken yet, and the last known field
// list. Everything lives in one JSON file that is replaced atomically
// (write, fsync, rename, fsync the folder) on every change, so a kiosk that
// loses power or restarts while offline neither reuses a number nor loses a
// ticket.
package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// FileName is the spool file inside the spool folder.
const FileName = "spool.json"

// ErrNoNumbers means no leased number is left for the field and day.
var ErrNoNumbers = errors.New("spool: no leased number left")

// Lease is a lease with how many of its numbers are used.
type Lease struct {
	protocol.Lease
	// Used counts the numbers taken, from the first.
	Used int `json:"used"`
}

// Pending is a ticket issued offline, waiting to be synced.
type Pending struct {
	protocol.OfflineTicket
	ServiceID string `json:"service_id"`
	Day       string `json:"day"`
	Code      string `json:"code"`
	Token     string `json:"token"`
	TrackURL  string `json:"track_url"`
}

// state is the file's content.
type state struct {
	Leases   []Lease            `json:"leases"`
	Pending  []Pending          `json:"pending"`
	Centre   protocol.Centre    `json:"centre"`
	Services []protocol.Service `json:"services"`
}

// Spool is the on-disk spool. It is safe for concurrent use.
type Spool struct {
	dir string

	mu sync.Mutex
	st state
}

// Open opens the spool in dir, creating the folder if needed. A spool file
// that cannot be read is an error, never silently replaced: it may hold
// tickets citizens are waiting with.
func Open(dir string) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := json.Unmarshal(b, &s.st); err != nil {
		return nil, fmt.Errorf("spool: %s is damaged (move it away only after its pending tickets are dealt with): %w", filepath.Join(dir, FileName), err)
	}
	for _, l := range s.st.Leases {
		if l.Used < 0 || l.Used > len(l.Tickets) {
			return nil, fmt.Errorf("spool: %s is damaged: lease %s has used %d of %d numbers", filepath.Join(dir, FileName), l.ID, l.Used, len(l.Tickets))
		}
	}
	return s, nil
}

// Dir is the spool folder.
func (s *Spool) Dir() string { return s.dir }

// save writes the state atomically and durably. Called with mu held.
func (s *Spool) save() error {
	b, err := json.MarshalIndent(s.st, "", " ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(s.dir, FileName+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(s.dir, FileName))
	}
	if err == nil {
		// The rename is durable only once the folder is synced.
		if d, derr := os.Open(s.dir); derr == nil {
			err = d.Sync()
			d.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("spool: save: %w", err)
	}
	return nil
}

// AddLease keeps a new lease.
func (s *Spool) AddLease(l protocol.Lease) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.st.Leases {
		if o.ID == l.ID {
			return nil
		}
	}
	s.st.Leases = append(s.st.Leases, Lease{Lease: l})
	return s.save()
}

// Available counts the unused leased numbers of service for day.
func (s *Spool) Available(serviceID, day string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, l := range s.st.Leases {
		if l.ServiceID == serviceID && l.Day == day {
			n += len(l.Tickets) - l.Used
		}
	}
	return n
}

// Take issues a ticket offline: it uses the next leased number of service
// for day and records the ticket as pending, durably, before returning it,
// so the number is never handed out twice. replaces is the Idempotency-Key
// of an online issue that timed out just before (empty if none was tried):
// the sync asks the server to cancel that ticket if it was stored.
func (s *Spool) Take(serviceID, day string, priority bool, lang string, at time.Time, replaces string) (Pending, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.st.Leases {
		l := &s.st.Leases[i]
		if l.ServiceID != serviceID || l.Day != day || l.Used >= len(l.Tickets) {
			continue
		}
		lt := l.Tickets[l.Used]
		p := Pending{
			OfflineTicket: protocol.OfflineTicket{LeaseID: l.ID, Number: lt.Number, Priority: priority, Lang: lang, IssuedAt: at, Replaces: replaces},
			ServiceID:     serviceID, Day: day, Code: lt.Code, Token: lt.Token, TrackURL: lt.TrackURL,
		}
		l.Used++
		s.st.Pending = append(s.st.Pending, p)
		if err := s.save(); err != nil {
			// Not durable: undo, so the number is not printed.
			l.Used--
			s.st.Pending = s.st.Pending[:len(s.st.Pending)-1]
			return Pending{}, err
		}
		return p, nil
	}
	return Pending{}, ErrNoNumbers
}

// Pending returns the tickets not synced yet, in issue order.
func (s *Spool) Pending() []Pending {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.Pending)
}

// Done removes synced (or definitively refused) tickets from the pending list.
func (s *Spool) Done(done []protocol.OfflineTicket) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	before := len(s.st.Pending)
	s.st.Pending = slices.DeleteFunc(s.st.Pending, func(p Pending) bool {
		return slices.ContainsFunc(done, func(d protocol.OfflineTicket) bool { return d.LeaseID == p.LeaseID && d.Number == p.Number })
	})
	if len(s.st.Pending) == before {
		return nil
	}
	return s.save()
}

// Prune forgets leases whose day has ended; their pending tickets stay
// until synced.
func (s *Spool) Prune(now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	before := len(s.st.Leases)
	s.st.Leases = slices.DeleteFunc(s.st.Leases, func(l Lease) bool { return !now.Before(l.ExpiresAt) })
	if len(s.st.Leases) == before {
		return nil
	}
	return s.save()
}

// SetCache keeps the centre and field list for showing the home screen
// offline. Waiting counts go stale at once, so they are not kept; the file
// is only rewritten when something else changed.
func (s *Spool) SetCache(c protocol.Centre, svcs []protocol.Service) error {
	keep := make([]protocol.Service, len(svcs))
	for i, v := range svcs {
		v.Waiting, v.IssuedToday, v.AvgServiceSeconds, v.ETANewSeconds = 0, 0, 0, nil
		keep[i] = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, _ := json.Marshal(struct {
		C protocol.Centre
		S []protocol.Service
	}{s.st.Centre, s.st.Services})
	nw, _ := json.Marshal(struct {
		C protocol.Centre
		S []protocol.Service
	}{c, keep})
	if string(old) == string(nw) {
		return nil
	}
	s.st.Centre, s.st.Services = c, keep
	return s.save()
}

// Cache returns the kept centre and field list.
func (s *Spool) Cache() (protocol.Centre, []protocol.Service) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Centre, slices.Clone(s.st.Services)
}
