package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// statusOf is the one table mapping domain error codes to HTTP statuses.
func statusOf(code string) int {
	switch code {
	case protocol.CodeBadRequest, protocol.CodeBadJSON:
		return http.StatusBadRequest
	case protocol.CodeUnauthorized:
		return http.StatusUnauthorized
	case protocol.CodeForbidden:
		return http.StatusForbidden
	case protocol.CodeNotFound:
		return http.StatusNotFound
	case protocol.CodeConflict, protocol.CodeNoCurrentTicket, protocol.CodeSlotFull, protocol.CodePhoneBooked,
		protocol.CodeBookingCancelled, protocol.CodeBookingNoShow, protocol.CodeBookingUsed:
		return http.StatusConflict
	case protocol.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case protocol.CodeUnprocessable, protocol.CodeServiceClosed, protocol.CodeOutsideHours,
		protocol.CodeDailyCapReached, protocol.CodeIDDailyCap, protocol.CodeCounterClosed, protocol.CodeBookingClosed, protocol.CodeBookingOtherDay:
		return http.StatusUnprocessableEntity
	case protocol.CodeRateLimited:
		return http.StatusTooManyRequests
	case protocol.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func errf(code, format string, args ...any) error { return queue.Errorf(code, format, args...) }

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// writeError writes the JSON error body for err. Internal errors are logged
// by the caller and shown without detail.
func writeError(w http.ResponseWriter, err error) int {
	var qe *queue.Error
	code, msg := protocol.CodeInternal, "internal error"
	if errors.As(err, &qe) {
		code, msg = qe.Code, qe.Message
	}
	status := statusOf(code)
	if status == http.StatusServiceUnavailable && qe != nil && msg != "request cancelled" {
		msg = "storage is unavailable (" + msg + "); try again"
	}
	if status == http.StatusTooManyRequests {
		wait := time.Second
		var rl rateLimitedError
		if errors.As(err, &rl) {
			wait = rl.wait
		}
		w.Header().Set("Retry-After", retryAfter(wait))
	}
	writeJSON(w, status, protocol.Error{Error: protocol.ErrorBody{Code: code, Message: msg}})
	return status
}

// maxBody bounds request bodies; every request body of the API is small.
const maxBody = 64 << 10

// decode reads one JSON object into v: unknown fields, trailing data, wrong
// types and oversized bodies are refused with a clear error.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	// Any Content-Type is accepted: the body must be JSON whatever the header
	// says, and cookie-authenticated writes need X-CSRF-Token anyway.
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return decodeError(err)
		}
		return errf(protocol.CodeBadJSON, "the body must hold exactly one JSON object")
	}
	return nil
}

func decodeError(err error) error {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		ute *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return errf(protocol.CodeTooLarge, "the body is larger than %d bytes", mbe.Limit)
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return errf(protocol.CodeBadJSON, "malformed JSON: %v", err)
	case errors.Is(err, io.EOF):
		return errf(protocol.CodeBadJSON, "the body is empty; a JSON object is required")
	case errors.As(err, &ute):
		field := ute.Field
		if field == "" {
			return errf(protocol.CodeBadJSON, "the body must be a JSON object")
		}
		return errf(protocol.CodeBadRequest, "field %q must be a %s", field, jsonKind(ute.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return errf(protocol.CodeBadRequest, "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return errf(protocol.CodeBadJSON, "invalid JSON: %v", err)
}

func jsonKind(k string) string {
	switch k {
	case "bool":
		return "boolean"
	case "string":
		return "string"
	case "slice", "array":
		return "list"
	case "struct", "map":
		return "object"
	}
	return fmt.Sprintf("number (%s)", k)
}
