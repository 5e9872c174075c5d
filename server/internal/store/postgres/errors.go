package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// StorageError maps an error of this store to the API's error: the
// database unreachable, shutting down or out of resources is 503
// unavailable; the queue's own errors and cancellations pass through.
func StorageError(err error) error { return storageErr(err) }

func storageErr(err error) error {
	if err == nil {
		return nil
	}
	var qe *queue.Error
	if errors.As(err, &qe) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"), // insufficient resources (disk full, too many connections)
			strings.HasPrefix(pe.Code, "57"), // operator intervention (shutdown, cancel)
			strings.HasPrefix(pe.Code, "58"), // system error (I/O)
			pe.Code == "25006":               // read-only transaction: a standby after failover
			return &queue.Error{Code: protocol.CodeUnavailable, Message: "storage unavailable: " + pe.Message, Err: err}
		}
		return err
	}
	if connectionLost(err) {
		return &queue.Error{Code: protocol.CodeUnavailable, Message: "storage unavailable", Err: err}
	}
	return err
}

// connectionLost tells errors of the connection to PostgreSQL (refused,
// reset, timed out, closed) from everything else.
func connectionLost(err error) bool {
	var ne net.Error
	var ce *pgconn.ConnectError
	if errors.As(err, &ne) || errors.As(err, &ce) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "closed pool") || strings.Contains(msg, "conn busy")
}

// unavailable is storageErr for reads, whose failures are all the
// database's: anything but the queue's own errors answers 503.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	if se := storageErr(err); se != err {
		return se
	}
	var qe *queue.Error
	if errors.As(err, &qe) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &queue.Error{Code: protocol.CodeUnavailable, Message: "storage error", Err: err}
}

// qualified prefixes each of a comma-separated column list with alias.
func qualified(alias, cols string) string {
	var out []string
	for _, c := range strings.Split(cols, ",") {
		out = append(out, alias+"."+strings.TrimSpace(c))
	}
	return strings.Join(out, ", ")
}
