package queue

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

var (
	idPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)
	prefixPattern = regexp.MustCompile(`^[A-Z]{1,2}$`)
)

// ValidateService checks an admin's field definition.
func ValidateService(s protocol.Service) error {
	switch {
	case !idPattern.MatchString(s.ID):
		return Errorf(protocol.CodeBadRequest, "id %q must be 1–40 lowercase letters, digits or dashes", s.ID)
	case !prefixPattern.MatchString(s.Prefix):
		return Errorf(protocol.CodeBadRequest, "prefix %q must be one or two capital letters A–Z", s.Prefix)
	case s.DailyCap < 0 || s.DailyCap > 99999:
		return Errorf(protocol.CodeBadRequest, "daily_cap must be between 0 (no cap) and 99999")
	case s.TargetMinutes < 0 || s.TargetMinutes > 24*60:
		return Errorf(protocol.CodeBadRequest, "target_minutes must be between 0 and 1440")
	}
	if err := validatePriorityRule(s.PriorityRule, s.PriorityEvery); err != nil {
		return err
	}
	switch s.BookedPosition {
	case "", protocol.BookedFirst, protocol.BookedAfterPriority, protocol.BookedInLine:
	default:
		return Errorf(protocol.CodeBadRequest, "booked_position %q must be first, after_priority or in_line", s.BookedPosition)
	}
	if _, err := AdminTextI18n("name", s.Name, MaxName, true); err != nil {
		return err
	}
	if s.Group != nil {
		if _, err := AdminTextI18n("group", *s.Group, MaxName, true); err != nil {
			return err
		}
	}
	if err := ValidateHours(s.Hours); err != nil {
		return Errorf(protocol.CodeBadRequest, "hours: %v", err)
	}
	return nil
}

// validatePriorityRule checks a field's priority rule and its N.
func validatePriorityRule(rule string, every int) error {
	switch rule {
	case "", protocol.PriorityStrict, protocol.PriorityOff:
		if every != 0 {
			return Errorf(protocol.CodeBadRequest, "priority_every applies only to the interleave rule (got %d with rule %q)", every, protocol.Service{PriorityRule: rule}.Rule())
		}
	case protocol.PriorityInterleave:
		if every < 1 || every > protocol.MaxPriorityEvery {
			return Errorf(protocol.CodeBadRequest, "priority_every must be between 1 and %d for the interleave rule (1 priority : N regular)", protocol.MaxPriorityEvery)
		}
	default:
		return Errorf(protocol.CodeBadRequest, "priority_rule %q must be strict, interleave or off", rule)
	}
	return nil
}

// cleanService trims the admin texts of a valid service.
func cleanService(s protocol.Service) protocol.Service {
	s.Name, _ = AdminTextI18n("name", s.Name, MaxName, true)
	if s.Group != nil {
		g, _ := AdminTextI18n("group", *s.Group, MaxName, true)
		s.Group = &g
	}
	return s
}

// ValidateCounter checks an admin's counter definition against the known fields.
func ValidateCounter(c protocol.Counter, services map[string]bool) error {
	switch {
	case !idPattern.MatchString(c.ID):
		return Errorf(protocol.CodeBadRequest, "id %q must be 1–40 lowercase letters, digits or dashes", c.ID)
	case c.Number < 1 || c.Number > 999:
		return Errorf(protocol.CodeBadRequest, "number must be between 1 and 999")
	}
	if _, err := AdminTextI18n("name", c.Name, MaxName, true); err != nil {
		return err
	}
	switch c.Status {
	case protocol.CounterOpen, protocol.CounterPaused, protocol.CounterClosed:
	default:
		return Errorf(protocol.CodeBadRequest, "status must be open, paused or closed")
	}
	seen := map[string]bool{}
	for _, id := range c.ServiceIDs {
		if !services[id] {
			return Errorf(protocol.CodeUnprocessable, "unknown service %q", id)
		}
		if seen[id] {
			return Errorf(protocol.CodeBadRequest, "service %q is listed twice", id)
		}
		seen[id] = true
	}
	return nil
}

// PutService creates or replaces a field definition.
func (e *Engine) PutService(ctx context.Context, s protocol.Service) (protocol.Service, error) {
	s.Waiting, s.Open, s.ClosedReason, s.IssuedToday, s.AvgServiceSeconds, s.ETANewSeconds = 0, false, "", 0, 0, nil
	s.Group = normGroup(s.Group)
	if err := ValidateService(s); err != nil {
		return s, err
	}
	s = cleanService(s)
	_, err := e.store.Update(ctx, func(tx Tx) error {
		all, err := tx.Services()
		if err != nil {
			return err
		}
		for _, o := range all {
			if o.ID != s.ID && o.Prefix == s.Prefix {
				return Errorf(protocol.CodeConflict, "prefix %s is already used by %s", s.Prefix, o.Name.Vi)
			}
			if o.ID == s.ID && s.PriorityRule == "" {
				// An older client that does not know the rule keeps it.
				s.PriorityRule, s.PriorityEvery = o.PriorityRule, o.PriorityEvery
			}
			if o.ID == s.ID && s.BookedPosition == "" {
				// Likewise the booked position.
				s.BookedPosition = o.BookedPosition
			}
		}
		if err := tx.PutService(s); err != nil {
			return err
		}
		return tx.AppendEvent(protocol.EventServiceUpdated, e.now(), e.serviceView(s))
	})
	return e.serviceView(s), err
}

// PutCounter creates or replaces a counter definition.
func (e *Engine) PutCounter(ctx context.Context, c protocol.Counter) (protocol.Counter, error) {
	if c.Status == "" {
		c.Status = protocol.CounterClosed
	}
	if c.ServiceIDs == nil {
		c.ServiceIDs = []string{}
	}
	if n, err := AdminTextI18n("name", c.Name, MaxName, true); err == nil {
		c.Name = n // trimmed; errors are reported by ValidateCounter below
	}
	prev := ""
	_, err := e.store.Update(ctx, func(tx Tx) error {
		prev = ""
		svcs, err := tx.Services()
		if err != nil {
			return err
		}
		known := map[string]bool{}
		for _, s := range svcs {
			known[s.ID] = true
		}
		if err := ValidateCounter(c, known); err != nil {
			return err
		}
		all, err := tx.Counters()
		if err != nil {
			return err
		}
		rec := CounterRecord{Counter: c}
		for _, o := range all {
			if o.ID != c.ID && o.Number == c.Number {
				return Errorf(protocol.CodeConflict, "counter number %d is already used by %s", c.Number, o.ID)
			}
			if o.ID == c.ID {
				rec.PriorityStreak, rec.RegularRun, rec.ServedDay, rec.ServedToday = o.PriorityStreak, o.RegularRun, o.ServedDay, o.ServedToday
				prev = o.Status
				if o.Status == c.Status {
					rec.Unstaffed = o.Unstaffed // an edit that keeps the status keeps what a console gets back
				}
			}
		}
		if err := tx.PutCounter(rec); err != nil {
			return err
		}
		c = rec.Counter
		now := e.now()
		if err := tx.AppendEvent(protocol.EventCounterUpdated, now, rec.Counter); err != nil {
			return err
		}
		// A field that gains its first counter opens, one that loses its
		// last closes (no_counter): say so to every kiosk at once.
		before, after := servedBy(all, nil), servedBy(all, &rec)
		for _, s := range svcs {
			if before[s.ID] != after[s.ID] {
				if err := tx.AppendEvent(protocol.EventServiceUpdated, now, e.serviceViewServed(s, after[s.ID])); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil && c.Status != prev {
		// The admin set the status in the counter's definition: as a
		// status change by hand (staffing.go).
		e.statusSetByCaller(c.ID, c.Status)
	}
	return c, err
}

// servedBy is the set of fields some counter serves, with put replacing
// (or adding) its counter.
func servedBy(counters []CounterRecord, put *CounterRecord) map[string]bool {
	out := map[string]bool{}
	for _, c := range counters {
		if put != nil && c.ID == put.ID {
			continue
		}
		for _, id := range c.ServiceIDs {
			out[id] = true
		}
	}
	if put != nil {
		for _, id := range put.ServiceIDs {
			out[id] = true
		}
	}
	return out
}

// normGroup trims a field's group and drops an empty one.
func normGroup(g *protocol.Text) *protocol.Text {
	if g == nil {
		return nil
	}
	x := protocol.Text{Vi: strings.TrimSpace(g.Vi), En: strings.TrimSpace(g.En)}
	if x.Vi == "" && x.En == "" {
		return nil
	}
	return &x
}

// PutCentre replaces the centre settings.
func (e *Engine) PutCentre(ctx context.Context, c protocol.Centre) (protocol.Centre, error) {
	var err error
	if c.Name, err = AdminTextI18n("name", c.Name, MaxName, true); err != nil {
		return c, err
	}
	if c.Notice, err = AdminTextI18n("notice", c.Notice, MaxNotice, false); err != nil {
		return c, err
	}
	if c.ReadNumbers == "" {
		c.ReadNumbers = protocol.ReadAsNumber
	}
	if c.ReadNumbers != protocol.ReadAsNumber && c.ReadNumbers != protocol.ReadAsDigits {
		return c, Errorf(protocol.CodeBadRequest, "read_numbers must be \"number\" or \"digits\"")
	}
	if c.TimeZone == "" {
		c.TimeZone = e.opts.Location.String()
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		return c, Errorf(protocol.CodeBadRequest, "unknown time zone %q", c.TimeZone)
	}
	if err := ValidateHours(c.Hours); err != nil {
		return c, Errorf(protocol.CodeBadRequest, "hours: %v", err)
	}
	if c.KioskLargeText == nil {
		// An older client that does not know the setting keeps it.
		c.KioskLargeText = e.Centre().KioskLargeText
	}
	if c.PriorityAge == nil {
		c.PriorityAge = e.Centre().PriorityAge
	} else if a := *c.PriorityAge; a < 40 || a > 120 {
		return c, Errorf(protocol.CodeBadRequest, "priority_age must be from 40 to 120")
	}
	if c.ShowCitizenName == nil {
		c.ShowCitizenName = e.Centre().ShowCitizenName
	}
	if c.IDDailyCap == nil {
		c.IDDailyCap = e.Centre().IDDailyCap
	} else if n := *c.IDDailyCap; n < 0 || n > 100 {
		return c, Errorf(protocol.CodeBadRequest, "id_daily_cap must be from 0 to 100")
	}
	if c.IDDailyCapPerField == nil {
		c.IDDailyCapPerField = e.Centre().IDDailyCapPerField
	} else if n := *c.IDDailyCapPerField; n < 0 || n > 100 {
		return c, Errorf(protocol.CodeBadRequest, "id_daily_cap_per_field must be from 0 to 100")
	}
	_, err = e.store.Update(ctx, func(tx Tx) error {
		if err := tx.PutCentre(c); err != nil {
			return err
		}
		return tx.AppendEvent(protocol.EventCentreUpdated, e.now(), c)
	})
	return c, err
}
