package protocol

import (
	"encoding/json"
	"fmt"
)

// DecodeEvent reads ev.Data into the type that ev.Type carries, returned by
// value:
//
//	snapshot                                  Board
//	ticket.issued, ticket.done,
//	ticket.no_show, ticket.transferred,
//	ticket.cancelled                          Ticket
//	ticket.called, ticket.recalled            Call
//	ticket.rated                              RatedEvent
//	ticket.view                               TicketView
//	counter.updated                           Counter
//	service.updated                           Service
//	centre.updated                            Centre
//	disruption.started, disruption.ended      Disruption
//	device.updated                            DeviceChange
//
// It is the one reader of event data: the board reducer (Apply), the
// server's queue cache and the phone views all take their payloads from it,
// so a new event type is declared here and handled by the reducers that care
// about it.
//
// A type it does not know (a newer server's) gives (nil, nil). Data that
// does not decode gives an error together with the zero value of the type
// ev.Type carries, so that a reducer can still tell the events it reads
// from those it leaves alone.
func DecodeEvent(ev Event) (any, error) {
	switch ev.Type {
	case EventSnapshot:
		return decodeData[Board](ev)
	case EventTicketIssued, EventTicketDone, EventTicketNoShow, EventTicketTransferred, EventTicketCancelled:
		return decodeData[Ticket](ev)
	case EventTicketCalled, EventTicketRecalled:
		return decodeData[Call](ev)
	case EventTicketRated:
		return decodeData[RatedEvent](ev)
	case EventTicketView:
		return decodeData[TicketView](ev)
	case EventCounterUpdated:
		return decodeData[Counter](ev)
	case EventServiceUpdated:
		return decodeData[Service](ev)
	case EventCentreUpdated:
		return decodeData[Centre](ev)
	case EventDisruptionStarted, EventDisruptionEnded:
		return decodeData[Disruption](ev)
	case EventDeviceUpdated:
		return decodeData[DeviceChange](ev)
	}
	return nil, nil
}

func decodeData[T any](ev Event) (any, error) {
	var v T
	if err := json.Unmarshal(ev.Data, &v); err != nil {
		var zero T
		return zero, fmt.Errorf("protocol: %s data: %w", ev.Type, err)
	}
	return v, nil
}
