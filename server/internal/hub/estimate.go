package hub

import "github.com/civiq/civiq/server/internal/forecast"

// Estimate is the current place and expected wait of one waiting ticket,
// as the engine computes it (queue.Engine.Estimates): the wait model's
// type, not a copy of it.
type Estimate = forecast.Estimate
