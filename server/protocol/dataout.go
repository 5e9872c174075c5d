package protocol

import "time"

// Visit outcomes a clerk records when a visit ends (shared/DATA-OUT.md).
const (
	OutcomeReceived   = "received"   // tiếp nhận hồ sơ
	OutcomeReturned   = "returned"   // trả kết quả
	OutcomeGuided     = "guided"     // hướng dẫn
	OutcomeSupplement = "supplement" // yêu cầu bổ sung
	OutcomeRefused    = "refused"    // từ chối
	OutcomeOther      = "other"      // khác
)

// Outcomes lists the visit outcomes in the order the console shows them.
func Outcomes() []string {
	return []string{OutcomeReceived, OutcomeReturned, OutcomeGuided, OutcomeSupplement, OutcomeRefused, OutcomeOther}
}

// Limits of a visit record.
const (
	MaxDossierCodes   = 20
	MaxDossierCodeLen = 64
	MaxVisitNote      = 500
)

// DoneRequest is the optional body of POST /api/v1/counters/{id}/done.
type DoneRequest struct {
	Outcome      string   `json:"outcome,omitempty"`
	DossierCodes []string `json:"dossier_codes,omitempty"`
	Note         string   `json:"note,omitempty"`
}

// Disruption causes.
const (
	CauseOneStopSoftware = "one_stop_software"
	CauseNetwork         = "network"
	CausePower           = "power"
	CausePrinter         = "printer"
	CauseOther           = "other"
)

// Causes lists the disruption causes in the order pickers show them.
func Causes() []string {
	return []string{CauseOneStopSoftware, CauseNetwork, CausePower, CausePrinter, CauseOther}
}

// MaxDisruptionNote is the longest disruption note, in characters.
const MaxDisruptionNote = 500

// Disruption is a period when the one-stop software, the network, the power
// or a printer failed, at some counters or (CounterIDs empty) the whole
// centre. EndedAt is absent while it lasts.
type Disruption struct {
	ID    string `json:"id"`
	Cause string `json:"cause"`
	// CounterIDs are the counters affected; [] means the whole centre.
	CounterIDs []string   `json:"counter_ids"`
	Note       string     `json:"note"`
	StartedAt  time.Time  `json:"started_at"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
}

// Touches tells whether the disruption affects counter id (a centre-wide
// one affects every counter).
func (d Disruption) Touches(counterID string) bool {
	if len(d.CounterIDs) == 0 {
		return true
	}
	for _, id := range d.CounterIDs {
		if id == counterID {
			return true
		}
	}
	return false
}

// DisruptionRequest is the body of POST /api/v1/disruptions.
type DisruptionRequest struct {
	Cause string `json:"cause"`
	// CounterIDs absent (or empty): the whole centre (admins only).
	CounterIDs []string `json:"counter_ids,omitempty"`
	Note       string   `json:"note,omitempty"`
}

// Disruption event types; their data is the Disruption.
const (
	EventDisruptionStarted = "disruption.started"
	EventDisruptionEnded   = "disruption.ended"
)

// Reasons a citizen may give with an "unsatisfied" rating (RatingRequest.Reasons).
const (
	ReasonLongWait           = "long_wait"           // chờ lâu
	ReasonAttitude           = "attitude"            // thái độ
	ReasonUnclearGuidance    = "unclear_guidance"    // hướng dẫn chưa rõ
	ReasonMissingInformation = "missing_information" // thiếu thông tin
	ReasonOther              = "other"               // khác
)

// RatingReasons lists the reasons in the order the rating pages show them.
func RatingReasons() []string {
	return []string{ReasonLongWait, ReasonAttitude, ReasonUnclearGuidance, ReasonMissingInformation, ReasonOther}
}
