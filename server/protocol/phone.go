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
)

// TicketView is what the phone page of one ticket sees: the ticket itself
// and the few counts it needs, nothing about other citizens' tickets.
type TicketView struct {
	// Ticket is the ticket with its current ahead and eta_seconds; it never
	// carries the token.
	Ticket Ticket `json:"ticket"`
	// Reason says what changed (snapshot, queue, called, recalled, done,
	// no_show, transferred, cancelled, rated).
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
