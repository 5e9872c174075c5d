package queue

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/civiq/civiq/server/protocol"
)

// Rating windows: a phone may rate its ticket for a day after it was done;
// the tablet at the counter offers the form only briefly after the clerk
// finished, so the next citizen cannot rate the previous one's service.
const (
	PhoneRatingWindow   = 24 * time.Hour
	CounterRatingWindow = 3 * time.Minute
)

// Ways a rating was given (protocol.Rating.Via).
const (
	ViaPhone   = "phone"
	ViaCounter = "counter"
)

// ValidateRating checks a rating request and returns it cleaned: the
// comment trimmed, at most MaxRatingComment characters, no control
// characters other than line breaks.
func ValidateRating(req protocol.RatingRequest) (protocol.RatingRequest, error) {
	switch req.Score {
	case protocol.ScoreVerySatisfied, protocol.ScoreSatisfied, protocol.ScoreUnsatisfied:
	default:
		return req, Errorf(protocol.CodeBadRequest, "score must be very_satisfied, satisfied or unsatisfied")
	}
	req.Comment = strings.TrimSpace(req.Comment)
	if !utf8.ValidString(req.Comment) || utf8.RuneCountInString(req.Comment) > protocol.MaxRatingComment {
		return req, Errorf(protocol.CodeBadRequest, "the comment is at most %d characters", protocol.MaxRatingComment)
	}
	for _, r := range req.Comment {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return req, Errorf(protocol.CodeBadRequest, "the comment holds control characters")
		}
	}
	if len(req.Reasons) > 0 && req.Score != protocol.ScoreUnsatisfied {
		return req, Errorf(protocol.CodeBadRequest, "reasons are given only with the score unsatisfied")
	}
	known := protocol.RatingReasons()
	var reasons []string
	for _, r := range req.Reasons {
		if !slices.Contains(known, r) {
			return req, Errorf(protocol.CodeBadRequest, "unknown reason %q (one of %s)", r, strings.Join(known, ", "))
		}
		if !slices.Contains(reasons, r) {
			reasons = append(reasons, r)
		}
	}
	slices.SortFunc(reasons, func(a, b string) int { return slices.Index(known, a) - slices.Index(known, b) })
	req.Reasons = reasons
	return req, nil
}

// RateByToken stores the phone's rating of the ticket holding token.
func (e *Engine) RateByToken(ctx context.Context, token string, req protocol.RatingRequest) (protocol.Rating, error) {
	h := HashToken(token)
	rec, err := e.ticketByTokenHash(ctx, h)
	if err != nil {
		return protocol.Rating{}, err
	}
	return e.rate(ctx, req, ViaPhone, PhoneRatingWindow, func(tx Tx) (TicketRecord, error) {
		return tx.Ticket(rec.ID)
	})
}

// RateAtCounter stores a rating given on the tablet at counterID: it rates
// the ticket last done there, within CounterRatingWindow.
func (e *Engine) RateAtCounter(ctx context.Context, counterID string, req protocol.RatingRequest) (protocol.Rating, error) {
	return e.rate(ctx, req, ViaCounter, CounterRatingWindow, func(tx Tx) (TicketRecord, error) {
		if _, err := tx.Counter(counterID); IsNotFound(err) {
			return TicketRecord{}, Errorf(protocol.CodeNotFound, "unknown counter %q", counterID)
		} else if err != nil {
			return TicketRecord{}, err
		}
		t, err := tx.LastDone(counterID)
		if IsNotFound(err) {
			return t, Errorf(protocol.CodeUnprocessable, "no finished ticket to rate at this counter")
		}
		return t, err
	})
}

func (e *Engine) rate(ctx context.Context, req protocol.RatingRequest, via string, window time.Duration, find func(Tx) (TicketRecord, error)) (protocol.Rating, error) {
	req, err := ValidateRating(req)
	if err != nil {
		return protocol.Rating{}, err
	}
	var out protocol.Rating
	_, err = e.store.Update(ctx, func(tx Tx) error {
		t, err := find(tx)
		if err != nil {
			return err
		}
		now := e.now()
		if t.Status != protocol.StatusDone || t.FinishedAt == nil {
			return Errorf(protocol.CodeUnprocessable, "a ticket can be rated only after it was served")
		}
		if now.Sub(*t.FinishedAt) > window {
			return Errorf(protocol.CodeUnprocessable, "the time to rate this ticket has passed")
		}
		if done, err := tx.Rated(t.ID); err != nil {
			return err
		} else if done {
			return Errorf(protocol.CodeConflict, "ticket %s was already rated", t.Code)
		}
		out = protocol.Rating{TicketID: t.ID, Code: t.Code, Day: t.Day, ServiceID: t.ServiceID, CounterID: t.CounterID,
			ClerkID: t.ClerkID, Score: req.Score, Comment: req.Comment, Reasons: req.Reasons, Via: via, At: now}
		if err := tx.InsertRating(out); err != nil {
			return err
		}
		return tx.AppendEvent(protocol.EventTicketRated, now, protocol.RatedEvent{TicketID: t.ID, Code: t.Code,
			ServiceID: t.ServiceID, CounterID: t.CounterID, Score: req.Score, Via: via})
	})
	return out, err
}

// PendingRating is the ticket the tablet at counterID may rate now, if any.
func (e *Engine) PendingRating(ctx context.Context, counterID string) (*protocol.PendingRating, error) {
	t, err := e.store.LastDoneAt(ctx, counterID)
	if IsNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if t.FinishedAt == nil {
		return nil, nil
	}
	until := t.FinishedAt.Add(CounterRatingWindow)
	if !e.now().Before(until) {
		return nil, nil
	}
	if done, err := e.store.IsRated(ctx, t.ID); err != nil || done {
		return nil, err
	}
	e.mu.RLock()
	name := e.c.services[t.ServiceID].Name
	e.mu.RUnlock()
	return &protocol.PendingRating{Code: t.Code, Service: name, Until: until.In(e.opts.Location)}, nil
}

// Ratings lists ratings given in [from, to), newest first.
func (e *Engine) Ratings(ctx context.Context, from, to time.Time, limit int) ([]protocol.Rating, error) {
	out, err := e.store.Ratings(ctx, from, to, limit)
	for i := range out {
		out[i].At = out[i].At.In(e.opts.Location)
	}
	return out, err
}

// IsRated tells whether the ticket was rated.
func (e *Engine) IsRated(ctx context.Context, ticketID string) (bool, error) {
	return e.store.IsRated(ctx, ticketID)
}

// ServiceName is the name of field id.
func (e *Engine) ServiceName(id string) protocol.Text {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.c.services[id].Name
}
