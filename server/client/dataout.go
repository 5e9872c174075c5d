package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// DoneWith completes the counter's current ticket with a visit record
// (outcome, dossier codes, note).
func (c *Client) DoneWith(ctx context.Context, counterID string, rec protocol.DoneRequest) (*protocol.Ticket, error) {
	return c.counterAction(ctx, counterID, "done", rec)
}

// StartDisruption reports a disruption (counter_ids absent: the whole centre).
func (c *Client) StartDisruption(ctx context.Context, req protocol.DisruptionRequest) (protocol.Disruption, error) {
	var d protocol.Disruption
	_, err := c.Do(ctx, http.MethodPost, "/api/v1/disruptions", req, &d, nil)
	return d, err
}

// EndDisruption ends an open disruption.
func (c *Client) EndDisruption(ctx context.Context, id string) (protocol.Disruption, error) {
	var d protocol.Disruption
	_, err := c.Do(ctx, http.MethodPost, "/api/v1/disruptions/"+url.PathEscape(id)+"/end", nil, &d, nil)
	return d, err
}

// Disruptions lists the disruptions overlapping [from, to).
func (c *Client) Disruptions(ctx context.Context, from, to time.Time) ([]protocol.Disruption, error) {
	var out []protocol.Disruption
	q := url.Values{"from": {from.Format(time.RFC3339Nano)}, "to": {to.Format(time.RFC3339Nano)}}
	_, err := c.Do(ctx, http.MethodGet, "/api/v1/disruptions?"+q.Encode(), nil, &out, nil)
	return out, err
}
