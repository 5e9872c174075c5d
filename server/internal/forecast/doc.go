// Package forecast is CiviQ's wait model: how long a waiting ticket will
// wait, and the range most citizens in its place are called in.
//
// It is pure. It imports only the standard library: no storage, no HTTP,
// no engine, not even the wire types (protocol). Its inputs are plain
// values: the waiting tickets, the open and paused counters with the fields
// they serve and what they serve now (Centre, ProjectInput), and what was
// measured (service-time samples, pauses, the ranges' calibration), which a
// Model accumulates from the events the caller feeds it. Its functions
// return the same answer for the same input (ProjectSpread's randomness
// comes from its seed).
//
// Who imports it: server/internal/queue (the engine's cache holds a Model
// under the engine's lock, feeds it the committed events and asks it for
// estimates; the call-next policy, and so who is ahead of whom, stays in
// queue), server/internal/sim (the oracle's replays, ProjectSpread, and the
// naive estimate), server/internal/hub (the Estimate the phone views carry)
// and the engine's behaviour tests on a real store (DefaultDisruptionSlowdown).
// It must never import any of them.
//
// The parts: Project replays the call-next policy forward at the mean
// service times (project.go, plan.go); ProjectRanges adds the 10th–90th
// percentile range; ProjectSpread is the median of many random replays
// (spread.go); EstimateWait is the simple estimate used beyond
// MaxProjected waiting tickets and NaiveWait the textbook one the others
// are measured against (eta.go); Model learns from the events (model.go,
// disruption.go) and saves what a restart would lose (calibration.go).
// docs/PERFORMANCE.md reports the accuracy.
package forecast
