// Package httperr is the one place where a handler's error becomes an HTTP
// response. Errors carry a client message (safe to show, never a secret or
// user content) apart from the cause (for the server log only), and are
// written in OpenAI's error shape so SDKs surface them as API errors.
package httperr

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// Error is an error with an HTTP status and an OpenAI-shaped body.
type Error struct {
	Status int    // HTTP status
	Type   string // OpenAI error type, e.g. invalid_request_error
	Code   string // machine-readable reason, e.g. model_not_allowed
	Msg    string // shown to the client
	Err    error  // cause, logged, never shown
	// RetryAfter, if positive, is sent as the Retry-After header (seconds).
	RetryAfter int
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error whose Type follows from status.
func New(status int, code, msg string) *Error {
	return &Error{Status: status, Type: typeFor(status), Code: code, Msg: msg}
}

// Wrap is New with a cause kept for the log.
func Wrap(status int, code, msg string, err error) *Error {
	e := New(status, code, msg)
	e.Err = err
	return e
}

func typeFor(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusNotFound:
		return "not_found_error"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status >= 500:
		return "server_error"
	default:
		return "invalid_request_error"
	}
}

// From converts any error into an *Error; unknown errors become a 500 whose
// message reveals nothing.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Wrap(http.StatusInternalServerError, "internal_error", "internal error", err)
}

type body struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    string  `json:"code"`
	} `json:"error"`
}

// Body returns e as an OpenAI error object ({"error": {...}}), e.g. for an
// SSE error event.
func Body(e *Error) []byte {
	var b body
	b.Error.Message, b.Error.Type, b.Error.Code = e.Msg, e.Type, e.Code
	out, _ := json.Marshal(&b)
	return out
}

// Write writes e as an OpenAI error response.
func Write(w http.ResponseWriter, e *Error) {
	var b body
	b.Error.Message, b.Error.Type, b.Error.Code = e.Msg, e.Type, e.Code
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(&b)
}
