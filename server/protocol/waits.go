package protocol

import "time"

// Weekdays are the keys of WeekHours, Monday first (Waits.Today).
var Weekdays = [7]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// Waits is the public live-waits view (GET /api/v1/waits, the /waits
// page): per field, how many wait now, the expected wait for a ticket
// taken now and the usual wait by weekday and hour. It names no ticket,
// token, person or device.
type Waits struct {
	Centre WaitsCentre `json:"centre"`
	// GeneratedAt is when this view was computed (it is cached for a
	// couple of seconds); Today ("mon".."sun") and Hour are that moment's
	// weekday and hour in the centre's time zone.
	GeneratedAt time.Time `json:"generated_at"`
	Today       string    `json:"today"`
	Hour        int       `json:"hour"`
	// RefreshSeconds is how often the page asks again.
	RefreshSeconds int `json:"refresh_seconds"`
	// BookURL is the page where a citizen books a time.
	BookURL string `json:"book_url"`
	// History is the range of past days the usual waits come from.
	History  WaitsHistory   `json:"history"`
	Services []WaitsService `json:"services"`
}

// WaitsCentre names the centre.
type WaitsCentre struct {
	Name     Text   `json:"name"`
	TimeZone string `json:"timezone"`
}

// WaitsHistory is the range of service days (YYYY-MM-DD, inclusive) the
// usual waits are computed from, and how many called tickets an hour of a
// weekday needs before it has a value.
type WaitsHistory struct {
	From       string `json:"from"`
	To         string `json:"to"`
	MinTickets int    `json:"min_tickets"`
}

// WaitsService is one field on the live-waits page.
type WaitsService struct {
	ID     string `json:"id"`
	Prefix string `json:"prefix"`
	Name   Text   `json:"name"`
	Group  *Text  `json:"group,omitempty"`
	// Open tells whether a ticket can be taken now; when it cannot,
	// ClosedReason is Service.ClosedReason and Closed says why in plain words.
	Open         bool   `json:"open"`
	ClosedReason string `json:"closed_reason,omitempty"`
	Closed       *Text  `json:"closed,omitempty"`
	// Waiting is the number of people waiting now.
	Waiting int `json:"waiting"`
	// ETANewSeconds is the expected wait of a ticket taken now: the same
	// estimate as Service.ETANewSeconds (the kiosk's); absent when closed
	// or no open counter serves the field.
	ETANewSeconds *int `json:"eta_new_seconds,omitempty"`
	// UsualWait is the median wait in seconds of the tickets issued at each
	// hour (index 0–23) of each weekday ("mon".."sun") in the history;
	// null where the history has fewer than History.MinTickets.
	UsualWait WeekHours `json:"usual_wait"`
}

// WeekHours holds a value per hour (index 0–23) of each weekday, in
// order Monday to Sunday.
type WeekHours struct {
	Mon []*int `json:"mon"`
	Tue []*int `json:"tue"`
	Wed []*int `json:"wed"`
	Thu []*int `json:"thu"`
	Fri []*int `json:"fri"`
	Sat []*int `json:"sat"`
	Sun []*int `json:"sun"`
}

// Day returns the hours of weekday d (0 = Monday).
func (w *WeekHours) Day(d int) *[]*int {
	return [7]*[]*int{&w.Mon, &w.Tue, &w.Wed, &w.Thu, &w.Fri, &w.Sat, &w.Sun}[d]
}
