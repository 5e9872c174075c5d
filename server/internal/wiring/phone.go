package wiring

import (
	"github.com/civiq/civiq/server/internal/hub"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// ticketSource adapts the engine to the ticket hub.
type ticketSource struct{ engine *queue.Engine }

func (s ticketSource) Estimates() map[string]hub.Estimate { return s.engine.Estimates() }

func (s ticketSource) FieldCounts(field string) (int, int) { return s.engine.FieldCounts(field) }

func (s ticketSource) ServiceName(field string) protocol.Text { return s.engine.ServiceName(field) }

func (s ticketSource) Disruptions(field string) []protocol.Disruption {
	return s.engine.DisruptionsOfField(field)
}

// publishers passes committed events to several publishers in order.
type publishers []queue.Publisher

func (p publishers) Publish(events []protocol.Event) {
	for _, x := range p {
		x.Publish(events)
	}
}
