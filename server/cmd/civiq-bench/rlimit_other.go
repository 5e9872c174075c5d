//go:build !unix

package main

import "math"

// raiseNofile: Windows has no per-process open-files limit to raise (sockets
// are bounded by memory), so every subscriber count is allowed.
func raiseNofile() uint64 { return math.MaxUint64 }
