package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// conn is an open channel to a printer: a TCP connection or a device file.
type conn interface {
	io.ReadWriteCloser
	SetDeadline(t time.Time) error
}

// link runs bounded operations on a conn. A link lives for one job or one
// status query: printers take one connection at a time, and a fresh one
// per job never inherits a half-read reply or a dead socket.
type link struct {
	c       conn
	timeout time.Duration
	// check asks the printer's status before and after each job.
	check bool
	// silentOK takes a status query that gets no reply as StateUnknown,
	// for device files whose driver may pass no replies back.
	silentOK bool
}

// replyError is a failure to read a status reply (as opposed to sending
// the request).
type replyError struct{ err error }

func (e *replyError) Error() string { return "reading reply: " + e.err.Error() }
func (e *replyError) Unwrap() error { return e.err }

// do runs op with a deadline of the link's timeout, or the context's if
// that is earlier, and makes cancelling ctx interrupt op. Nothing waits on
// the printer longer than that.
func (l *link) do(ctx context.Context, op func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dl := time.Now().Add(l.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	if err := l.c.SetDeadline(dl); err == nil {
		// A deadline in the past makes the blocked call return at once.
		stop := context.AfterFunc(ctx, func() { _ = l.c.SetDeadline(time.Unix(1, 0)) })
		defer stop()
		return op()
	}
	// The file has no deadlines (a regular file, or a device the poller
	// does not take): run op aside and abandon it when time is up.
	// Closing the file unblocks most drivers; if one stays blocked, only
	// that goroutine waits, never the kiosk.
	done := make(chan error, 1)
	go func() { done <- op() }()
	t := time.NewTimer(time.Until(dl))
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		_ = l.c.Close()
		return os.ErrDeadlineExceeded
	case <-ctx.Done():
		_ = l.c.Close()
		return ctx.Err()
	}
}

// write sends p, bounded by do.
func (l *link) write(ctx context.Context, p []byte) error {
	return l.do(ctx, func() error {
		_, err := l.c.Write(p)
		return err
	})
}

// query sends DLE EOT n and reads the one-byte reply.
func (l *link) query(ctx context.Context, n byte) (byte, error) {
	var reply [1]byte
	err := l.do(ctx, func() error {
		if _, err := l.c.Write(statusRequest(n)); err != nil {
			return err
		}
		if _, err := io.ReadFull(l.c, reply[:]); err != nil {
			return &replyError{err}
		}
		return nil
	})
	return reply[0], err
}

// status asks the three status questions and decodes the answers.
func (l *link) status(ctx context.Context) (Status, error) {
	var r [3]byte
	for i, n := range []byte{RequestPrinter, RequestOffline, RequestPaper} {
		b, err := l.query(ctx, n)
		if _, silent := errors.AsType[*replyError](err); silent && l.silentOK && ctx.Err() == nil {
			return Status{State: StateUnknown}, nil
		}
		if err != nil {
			return Status{}, fmt.Errorf("DLE EOT %d: %w", n, err)
		}
		r[i] = b
	}
	return DecodeStatus(r[0], r[1], r[2])
}

// print sends a job in chunks, each write bounded by its own timeout, so a
// printer that accepts a slow trickle (flow control while it prints) is
// fine and one that stops taking data is not. The printer is asked before (do not queue a ticket into a printer without paper) and
// after (it took the data and still has paper).
// Both are skipped when the link says not to check.
func (l *link) print(ctx context.Context, chunks [][]byte) error {
	if l.check {
		s, err := l.status(ctx)
		if err != nil {
			return ioError(ctx, "print", false, err)
		}
		if !s.Ready() {
			return &Error{Op: "print", Reason: reasonFor(s.State)}
		}
	}
	for i, c := range chunks {
		if err := l.write(ctx, c); err != nil {
			return ioError(ctx, "print", i > 0, err)
		}
	}
	if l.check {
		s, err := l.status(ctx)
		if err != nil {
			return ioError(ctx, "print", true, err)
		}
		if !s.Ready() {
			return &Error{Op: "print", Reason: reasonFor(s.State), Sent: true}
		}
	}
	return nil
}
