//go:build unix

package wsconn

import (
	"errors"
	"net"
	"syscall"
)

// TryWrite makes one non-blocking write attempt and returns how much the
// socket took; (0, nil) means it is full. Only plain TCP and Unix sockets
// qualify: a TLS connection must encrypt, so it always takes the flusher
// (as does every connection where the platform has no such write).
func TryWrite(c net.Conn, b []byte) (int, error) {
	var sc syscall.Conn
	switch x := c.(type) {
	case *net.TCPConn:
		sc = x
	case *net.UnixConn:
		sc = x
	default:
		return 0, nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, err
	}
	written := 0
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		for written < len(b) {
			n, err := syscall.Write(int(fd), b[written:])
			if n > 0 {
				written += n
			}
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if errors.Is(err, syscall.EAGAIN) {
				return true // full: give up without waiting
			}
			if err != nil {
				werr = err
				return true
			}
			if n == 0 {
				return true
			}
		}
		return true
	})
	if err != nil {
		return written, err
	}
	return written, werr
}
