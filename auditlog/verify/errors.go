package verify

import "errors"

// Kind classifies a verification failure.
type Kind string

// The kinds of failure. Each is also an error value, so
// errors.Is(err, verify.Rollback) tests an *Error's kind.
const (
	BadSignature Kind = "bad signature"      // checkpoint not signed by the trusted key
	WrongOrigin  Kind = "wrong origin"       // checkpoint origin line is not the key's name
	BadKey       Kind = "bad key"            // verifier key unusable, or not the trusted one
	Malformed    Kind = "malformed"          // a checkpoint, tile, bundle or evidence file cannot be parsed
	Missing      Kind = "missing"            // a checkpoint, tile or entry bundle does not exist
	ReadFailed   Kind = "read failed"        // a resource could not be read (I/O, HTTP status)
	BadBundle    Kind = "bad entry bundle"   // an entry bundle holds more entries than it should, or junk
	Truncated    Kind = "truncated"          // entries the checkpoint commits to are not in the log
	Changed      Kind = "changed"            // entries do not hash to the checkpoint root
	BadTiles     Kind = "bad hash tiles"     // hash tiles do not match the checkpoint root
	Rollback     Kind = "rollback"           // the checkpoint is older than one the caller holds
	Inconsistent Kind = "inconsistent"       // two checkpoints are not of one append-only log
	BadProof     Kind = "bad proof"          // an inclusion or consistency proof does not verify
	EntryRefused Kind = "entry check failed" // Options.CheckEntry refused an entry
	BadRequest   Kind = "bad request"        // the caller asked for something impossible (index ≥ size…)
)

// Error implements error, so a Kind can be a target of errors.Is.
func (k Kind) Error() string { return string(k) }

// Error is a verification failure.
type Error struct {
	Kind   Kind
	Index  int64  // the first leaf index concerned, or -1 when the failure is not about one entry
	Reason string // what is wrong, in plain words
	Err    error  // the underlying error, if any
}

func (e *Error) Error() string {
	s := e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's Kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

func fail(k Kind, index int64, reason string, err error) *Error {
	return &Error{Kind: k, Index: index, Reason: reason, Err: err}
}

// asError returns err's *Error, if it has one.
func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
