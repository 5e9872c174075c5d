package sim

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// FieldLoad is one field's line of an arrival profile.
type FieldLoad struct {
	// PerHour is the average arrivals per hour, shaped by MorningPeak.
	PerHour *float64 `json:"per_hour,omitempty"`
	// Hourly gives the arrivals per hour for named hours ("8": 12 means
	// 12 an hour from 08:00 to 09:00); it replaces PerHour.
	Hourly map[string]float64 `json:"hourly,omitempty"`
	// ServiceMinutes is the mean service time.
	ServiceMinutes float64 `json:"service_minutes,omitempty"`
}

// Profile is an arrival profile file (JSON): {"fields": {"dat-dai": {...}}}.
type Profile struct {
	Fields map[string]FieldLoad `json:"fields"`
}

// maxProfile bounds profile and arrival files: they are typed by people.
const maxProfile = 4 << 20

// ParseProfile reads and checks an arrival profile.
func ParseProfile(b []byte) (*Profile, error) {
	if len(b) > maxProfile {
		return nil, errors.New("profile: file too large")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	if dec.More() {
		return nil, errors.New("profile: more than one JSON value")
	}
	for id, f := range p.Fields {
		if f.PerHour != nil && (*f.PerHour < 0 || *f.PerHour > 1000 || math.IsNaN(*f.PerHour)) {
			return nil, fmt.Errorf("profile: %s: per_hour must be between 0 and 1000", id)
		}
		for h, v := range f.Hourly {
			n, err := strconv.Atoi(h)
			if err != nil || n < 0 || n > 23 {
				return nil, fmt.Errorf("profile: %s: hour %q must be 0–23", id, h)
			}
			if v < 0 || v > 1000 || math.IsNaN(v) {
				return nil, fmt.Errorf("profile: %s: hour %s: rate must be between 0 and 1000", id, h)
			}
		}
		if f.ServiceMinutes < 0 || f.ServiceMinutes > 600 || math.IsNaN(f.ServiceMinutes) {
			return nil, fmt.Errorf("profile: %s: service_minutes must be between 0 and 600", id)
		}
	}
	return &p, nil
}

// Apply sets the rates and service times of fields from the profile;
// fields it does not name keep theirs. Unknown field ids are an error.
func (p *Profile) Apply(fields []Field) error {
	idx := map[string]int{}
	for i, f := range fields {
		idx[f.ID] = i
	}
	for id, l := range p.Fields {
		i, ok := idx[id]
		if !ok {
			return fmt.Errorf("profile: unknown field %q", id)
		}
		f := &fields[i]
		switch {
		case len(l.Hourly) > 0:
			f.Rate = [24]float64{}
			for h, v := range l.Hourly {
				n, _ := strconv.Atoi(h)
				f.Rate[n] = v
			}
		case l.PerHour != nil:
			for h, k := range MorningPeak {
				f.Rate[h] = *l.PerHour * k
			}
		}
		if l.ServiceMinutes > 0 {
			f.MeanService = time.Duration(l.ServiceMinutes * float64(time.Minute))
		}
	}
	return nil
}

// ParseArrivals reads a CSV of a past day: one citizen per row with the
// columns issued_at (RFC 3339, or HH:MM[:SS] local time), service_id and,
// optionally, priority (true/false/1/0). A first row that is not a time is
// taken as the header. Rows are sorted by time.
func ParseArrivals(r io.Reader) ([]Arrival, error) {
	cr := csv.NewReader(io.LimitReader(r, maxProfile))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var out []Arrival
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("arrivals: %w", err)
		}
		if len(rec) < 2 {
			return nil, fmt.Errorf("arrivals: line %d: need issued_at and service_id", line)
		}
		at, ok := timeOfDay(rec[0])
		if !ok {
			if line == 1 {
				continue // header
			}
			return nil, fmt.Errorf("arrivals: line %d: %q is not a time (RFC 3339 or HH:MM)", line, rec[0])
		}
		a := Arrival{At: at, ServiceID: strings.TrimSpace(rec[1])}
		if a.ServiceID == "" || len(a.ServiceID) > 40 {
			return nil, fmt.Errorf("arrivals: line %d: bad service_id", line)
		}
		if len(rec) > 2 && strings.TrimSpace(rec[2]) != "" {
			p, err := strconv.ParseBool(strings.TrimSpace(rec[2]))
			if err != nil {
				return nil, fmt.Errorf("arrivals: line %d: priority must be true/false/1/0", line)
			}
			a.Priority = p
		}
		out = append(out, a)
		if len(out) > 100000 {
			return nil, errors.New("arrivals: more than 100000 rows")
		}
	}
	if len(out) == 0 {
		return nil, errors.New("arrivals: no rows")
	}
	sortArrivals(out)
	return out, nil
}

func sortArrivals(a []Arrival) {
	// Insertion order is kept for equal times (stable), so replays are deterministic.
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j].At < a[j-1].At; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// timeOfDay parses an RFC 3339 time (its local clock time is used) or HH:MM[:SS].
func timeOfDay(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second, true
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second, true
		}
	}
	return 0, false
}

// ParseSessions reads opening sessions like "07:30-11:30,13:30-17:00".
func ParseSessions(s string) ([][2]time.Duration, error) {
	var out [][2]time.Duration
	for _, part := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(part), "-")
		from, ok1 := timeOfDay(a)
		to, ok2 := timeOfDay(b)
		if !ok || !ok1 || !ok2 || to <= from {
			return nil, fmt.Errorf("sessions: %q must be HH:MM-HH:MM with the end after the start", part)
		}
		if len(out) > 0 && from < out[len(out)-1][1] {
			return nil, fmt.Errorf("sessions: %q overlaps the previous one", part)
		}
		out = append(out, [2]time.Duration{from, to})
	}
	return out, nil
}
