//go:build !unix

package hub

import (
	"net"
	"runtime"
)

// tryWrite never writes here: without non-blocking socket writes every
// frame goes through the client's flusher goroutine.
func tryWrite(net.Conn, []byte) (int, error) { return 0, nil }

func runtimeCPUs() int { return runtime.GOMAXPROCS(0) }
