package sim

import (
	"context"
	"fmt"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

func (r *runner) clerk(k int) string {
	if c := r.cfg.Clerks[r.cfg.Counters[k].ID]; c != "" {
		return c
	}
	return "sim-clerk"
}

// outcomeShares are the visit outcomes of a field in order of
// protocol.Outcomes: most visits hand a dossier in; the results counter
// hands results back.
var (
	intakeShares = []float64{0.55, 0.02, 0.2, 0.14, 0.03, 0.06}
	resultShares = []float64{0.02, 0.9, 0.04, 0.01, 0.0, 0.03}
)

// recordVisit ends the visit at counter k the way a clerk using the visit
// record does (outcome and dossier codes), if a ticket is being served and
// the citizen showed up; a share of citizens then rate it on the tablet.
func (r *runner) recordVisit(ctx context.Context, k int) error {
	id := r.cfg.Counters[k].ID
	cs, err := r.eng.Counter(id)
	if err != nil || cs.Current == nil || cs.Current.Status != protocol.StatusCalled {
		return err
	}
	shares := intakeShares
	if cs.Current.ServiceID == "tra-ket-qua" {
		shares = resultShares
	}
	x, outcome := r.vrng.Float64(), protocol.OutcomeOther
	for i, sh := range shares {
		if x < sh {
			outcome = protocol.Outcomes()[i]
			break
		}
		x -= sh
	}
	req := protocol.DoneRequest{Outcome: outcome}
	if outcome == protocol.OutcomeReceived || outcome == protocol.OutcomeReturned || outcome == protocol.OutcomeSupplement {
		n := 1
		if r.vrng.Float64() < 0.2 {
			n = 2
		}
		for range n {
			r.dossier++
			req.DossierCodes = append(req.DossierCodes, fmt.Sprintf("%s.%s.%06d", cs.Current.Day[2:4]+cs.Current.Day[5:7], cs.Current.ServiceID[:2], r.dossier))
		}
	}
	if _, err := r.eng.DoneWith(ctx, id, r.clerk(k), req); err != nil && queue.CodeOf(err) != protocol.CodeNoCurrentTicket {
		return err
	}
	if r.vrng.Float64() >= 0.35 {
		return nil
	}
	score, reasons := protocol.ScoreVerySatisfied, []string(nil)
	switch y := r.vrng.Float64(); {
	case y < 0.09:
		score = protocol.ScoreUnsatisfied
		reasons = []string{protocol.RatingReasons()[r.vrng.IntN(len(protocol.RatingReasons()))]}
	case y < 0.4:
		score = protocol.ScoreSatisfied
	}
	_, err = r.eng.RateAtCounter(ctx, id, protocol.RatingRequest{Score: score, Reasons: reasons})
	if err != nil && (queue.CodeOf(err) == protocol.CodeConflict || queue.CodeOf(err) == protocol.CodeUnprocessable) {
		return nil
	}
	return err
}
