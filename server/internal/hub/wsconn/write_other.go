//go:build !unix

package wsconn

import "net"

// TryWrite never writes here: without non-blocking socket writes every
// frame goes through the connection's flusher goroutine.
func TryWrite(net.Conn, []byte) (int, error) { return 0, nil }
