package protocol

import "time"

// Event types of the phone page's ticket-scoped websocket and of ratings.
const (
	// EventTicketView carries a TicketView on /ws/ticket/{token}.
	EventTicketView = "ticket.view"
	// EventTicketRated is published when a citizen rated a ticket (data:
	// RatedEvent, never the comment).
	EventTicketRated = "ticket.rated"
)

// Reasons a TicketView was sent.
const (
	ViewSnapshot    = "snapshot"
	ViewQueue       = "queue" // the queue moved: ahead or the estimate changed
	ViewCalled      = "called"
	ViewRecalled    = "recalled"
	ViewDone        = "done"
	ViewNoShow      = "no_show"
	ViewTransferred = "transferred"
	ViewCancelled   = "cancelled"
	ViewRated       = "rated"
	// ViewPendingSync: the ticket was printed from a lease while the
	// server was unreachable and its kiosk has not synced it yet (ticket
	// status pending_sync).
	ViewPendingSync = "pending_sync"
	// ViewSynced: the kiosk synced the pending ticket; it now has its
	// real status (waiting, usually).
	ViewSynced = "synced"
)

// TicketView is what the phone page of one ticket sees: the ticket itself
// and the few counts it needs, nothing about other citizens' tickets.
type TicketView struct {
	// Ticket is the ticket with its current ahead and eta_seconds; it never
	// carries the token.
	Ticket Ticket `json:"ticket"`
	// Reason says what changed (snapshot, queue, called, recalled, done,
	// no_show, transferred, cancelled, rated, pending_sync, synced).
	Reason string `json:"reason"`
	// Counter is where the ticket is called (status called).
	Counter *Counter `json:"counter,omitempty"`
	// Service names the ticket's field.
	Service Text `json:"service"`
	// Waiting is how many tickets wait in the ticket's field.
	Waiting int `json:"waiting"`
	// OpenCounters is how many open counters serve the field.
	OpenCounters int `json:"open_counters"`
	// Rated tells whether the ticket was rated.
	Rated bool `json:"rated"`
	// CanRate tells whether a rating is accepted now (done, not yet rated,
	// within the rating window).
	CanRate bool `json:"can_rate"`
	// Disruptions are the open disruptions that touch the ticket's field
	// (centre-wide, or at a counter serving it), without their notes: the
	// page shows a calm notice while one lasts.
	Disruptions []Disruption `json:"disruptions,omitempty"`
}

// Satisfaction scores, as Vietnamese centres ask them.
const (
	ScoreVerySatisfied = "very_satisfied" // Rất hài lòng
	ScoreSatisfied     = "satisfied"      // Hài lòng
	ScoreUnsatisfied   = "unsatisfied"    // Chưa hài lòng
)

// MaxRatingComment is the longest comment accepted, in characters.
const MaxRatingComment = 500

// RatingRequest is the body of POST /api/v1/tickets/{token}/rating and
// POST /api/v1/counters/{id}/rating.
type RatingRequest struct {
	Score   string `json:"score"`
	Comment string `json:"comment"`
	// Reasons are why the citizen was unsatisfied (long_wait, attitude,
	// unclear_guidance, missing_information, other), only with the score
	// unsatisfied; optional.
	Reasons []string `json:"reasons,omitempty"`
}

// Rating is one stored satisfaction rating (admin view).
type Rating struct {
	TicketID  string `json:"ticket_id"`
	Code      string `json:"code"`
	Day       string `json:"day"`
	ServiceID string `json:"service_id"`
	CounterID string `json:"counter_id"`
	ClerkID   string `json:"clerk_id"`
	Score     string `json:"score"`
	Comment   string `json:"comment,omitempty"`
	// Reasons are the reasons given with an unsatisfied score.
	Reasons []string `json:"reasons,omitempty"`
	// Via is "phone" or "counter" (the tablet at the counter).
	Via string    `json:"via"`
	At  time.Time `json:"at"`
}

// RatedEvent is the data of a ticket.rated event: enough for dashboards,
// no comment (free text may hold personal data) and no clerk.
type RatedEvent struct {
	TicketID  string `json:"ticket_id"`
	Code      string `json:"code"`
	ServiceID string `json:"service_id"`
	CounterID string `json:"counter_id"`
	Score     string `json:"score"`
	Via       string `json:"via"`
}

// PendingRating is what the counter-side tablet shows: the ticket just
// finished at the counter that may still be rated there, until Until.
type PendingRating struct {
	Code    string    `json:"code"`
	Service Text      `json:"service"`
	Until   time.Time `json:"until"`
}

// PhoneChange is what one committed event means for the phone pages, whose
// TicketView the server keeps per connection and updates with Apply.
type PhoneChange struct {
	// TicketID is the ticket whose view the event changes ("" for none).
	TicketID string
	// Fields are the fields whose queue the event moved: the place and
	// estimate of the tickets waiting there may have changed.
	Fields []string

	reason  string
	ticket  *Ticket  // the ticket's new state (nil for a rating)
	counter *Counter // where it is called
	rated   bool
}

// PhoneChangeOf reads ev for the phone views. An event with malformed data,
// or of a type no phone view follows, changes nothing.
func PhoneChangeOf(ev Event) PhoneChange {
	data, err := DecodeEvent(ev)
	if err != nil {
		return PhoneChange{}
	}
	switch d := data.(type) {
	case Call:
		reason := ViewCalled
		if ev.Type == EventTicketRecalled {
			reason = ViewRecalled
		}
		return PhoneChange{TicketID: d.Ticket.ID, Fields: []string{d.Ticket.ServiceID}, reason: reason, ticket: &d.Ticket, counter: &d.Counter}
	case Ticket:
		ch := PhoneChange{Fields: []string{d.ServiceID}, ticket: &d}
		if d.FromServiceID != "" {
			ch.Fields = append(ch.Fields, d.FromServiceID)
		}
		switch ev.Type {
		case EventTicketIssued:
			// A new ticket has no phone yet, except an offline ticket
			// whose phone followed it since before its kiosk synced it.
			if !d.Offline {
				return PhoneChange{Fields: ch.Fields}
			}
			ch.reason = ViewSynced
		case EventTicketDone:
			ch.reason = ViewDone
		case EventTicketNoShow:
			ch.reason = ViewNoShow
		case EventTicketTransferred:
			ch.reason = ViewTransferred
		case EventTicketCancelled:
			ch.reason = ViewCancelled
		}
		ch.TicketID = d.ID
		return ch
	case Counter:
		return PhoneChange{Fields: d.ServiceIDs}
	case Service:
		return PhoneChange{Fields: []string{d.ID}}
	case RatedEvent:
		return PhoneChange{TicketID: d.TicketID, reason: ViewRated, rated: true}
	}
	return PhoneChange{}
}

// Apply returns the view v of ticket c.TicketID after the change. It is a
// pure function: v is not modified. The clerk's note never reaches the
// phone; a finished ticket may be rated until it is. A waiting ticket's
// place and estimate (Ahead, ETASeconds) come back unknown (-1), for the
// caller to fill in, as it does Service when the field changed and Waiting
// and OpenCounters.
func (c PhoneChange) Apply(v TicketView) TicketView {
	if c.TicketID == "" {
		return v
	}
	if c.rated {
		v.Rated, v.CanRate = true, false
	} else if c.ticket != nil {
		v.Ticket = *c.ticket
		v.Ticket.Note = "" // the clerk's note is not for the phone
		v.Counter = nil
		if c.counter != nil {
			k := *c.counter
			v.Counter = &k
		}
		v.CanRate = c.ticket.Status == StatusDone && !v.Rated
	}
	v.Reason = c.reason
	if v.Ticket.Status == StatusWaiting {
		v.Ticket.Ahead, v.Ticket.ETASeconds = -1, -1
		v.Ticket.ETALowSeconds, v.Ticket.ETAHighSeconds = 0, 0
	}
	return v
}
