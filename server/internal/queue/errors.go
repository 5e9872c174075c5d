package queue

import (
	"errors"
	"fmt"

	"github.com/civiq/civiq/server/protocol"
)

// Error is a domain error with a stable code from the protocol package
// (protocol.CodeNotFound, protocol.CodeDailyCapReached, ...). The HTTP layer
// maps codes to status codes in one table.
type Error struct {
	Code    string
	Message string
	// Err is the underlying cause, for logs; clients see only Message.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is returned by stores when a row does not exist.
var ErrNotFound = &Error{Code: protocol.CodeNotFound, Message: "not found"}

// CodeOf returns the code of err, or protocol.CodeInternal for errors that
// are not domain errors.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return protocol.CodeInternal
}

// IsNotFound reports whether err carries the not_found code.
func IsNotFound(err error) bool { return CodeOf(err) == protocol.CodeNotFound }
