// Package pipeline is the request path of the data plane. An Exchange holds
// one request's facts as the stages, listed in order in pipeline.go, fill
// them in; handlers return errors and one function (Serve) turns them into
// responses.
package pipeline

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/content"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/ratelimit"
	"github.com/wardenhq/warden/retention"
	"github.com/wardenhq/warden/telemetry"
	"github.com/wardenhq/warden/upstream"
)

// Env is the compiled configuration a request runs against. The gateway
// builds one per config version and swaps it atomically; an Exchange keeps
// the Env it started with, so a reload never changes a request midway.
type Env struct {
	Authenticators []auth.Authenticator
	Limiter        ratelimit.Limiter
	Policy         *policy.Policy
	Routes         *upstream.Table
	MaxBodyBytes   int64
	TrustedProxies []netip.Prefix
	IPAllow        []netip.Prefix     // global allowlist; empty = any
	WriteStall     time.Duration      // longest one write to the client may block
	Audit          *auditlog.Recorder // nil: exchanges are not audited (tests of other stages)
	Keeper         *retention.Keeper  // nil: no classification keeps payloads
	NoHashes       map[string]bool    // classifications with store: none (records carry no content hashes)
	ClassRank      map[string]int     // classifications, least sensitive first
	RoleClass      map[string]string  // a role's least classification (roles[].classification)
	Content        ContentPolicies    // content.* (nil: only invisible characters are stripped from requests)
	Approvals      *Approvals         // approvals (nil: no request needs one)
	// Tracing gives each exchange a span context (Exchange.Trace), taken
	// from the request's traceparent if it has a valid one, and passes the
	// upstream call's on to the upstream (telemetry.otlp is set).
	Tracing bool
}

// Endpoint identifies an inference endpoint and the capability it needs.
type Endpoint struct {
	Name       string            // "chat.completions", "completions", "embeddings", "models"
	Capability policy.Capability // "" for endpoints any principal may call
	Streams    bool              // whether "stream": true is meaningful
	// Protocol is the API the endpoint speaks when it is not Chat
	// Completions' (ProtocolAnthropic, ProtocolResponses): requests are
	// translated into Chat Completions for every control, answers back.
	Protocol string
	// Unaudited endpoints write no audit record when they serve: reads of
	// the audit log itself (checkpoints, tiles), which would otherwise grow
	// it as fast as verifiers read it. Their 401 and 403 refusals are
	// recorded.
	Unaudited bool
	// Durable endpoints release nothing before their record is durable,
	// whatever audit.durability and audit.fail_mode say: revealing a
	// stored payload must never go unrecorded.
	Durable bool
}

// The data-plane endpoints.
var (
	ChatCompletions = Endpoint{Name: "chat.completions", Capability: policy.CapChat, Streams: true}
	Completions     = Endpoint{Name: "completions", Capability: policy.CapCompletions, Streams: true}
	Embeddings      = Endpoint{Name: "embeddings", Capability: policy.CapEmbeddings}
	Models          = Endpoint{Name: "models"}
	// The Responses and Messages APIs need the chat capability: they are
	// chat completions in another shape (docs/interfaces.md).
	Responses           = Endpoint{Name: "responses", Capability: policy.CapChat, Streams: true, Protocol: ProtocolResponses}
	Messages            = Endpoint{Name: "messages", Capability: policy.CapChat, Streams: true, Protocol: ProtocolAnthropic}
	MessagesCountTokens = Endpoint{Name: "messages.count_tokens", Capability: policy.CapChat, Protocol: ProtocolAnthropic}
	// Unknown is the endpoint of a request no route takes: an unknown
	// path, a method its path does not have, a path not in canonical
	// form. It is answered and recorded like any other (Unrouted).
	Unknown = Endpoint{Name: "unknown"}
	// UnknownAnthropic is Unknown under /v1/messages: answered in
	// Anthropic's error shape.
	UnknownAnthropic = Endpoint{Name: "unknown", Protocol: ProtocolAnthropic}
)

// Decision summarises an exchange's outcome for metrics, logs and audit.
type Decision string

// Decisions.
const (
	DecisionAllow Decision = "allow" // forwarded (whatever the upstream then did)
	DecisionDeny  Decision = "deny"  // refused by authentication or policy
	DecisionError Decision = "error" // refused as malformed, unknown, or failed inside Warden
	DecisionBlock Decision = "block" // refused by a content control
)

// DecisionNames lists every Decision as records write it, for the search
// filters that must refuse any other value.
var DecisionNames = []string{string(DecisionAllow), string(DecisionDeny), string(DecisionError), string(DecisionBlock)}

// Exchange is one request's facts.
type Exchange struct {
	ID       string
	AuditID  string // the id of the exchange's audit record
	Start    time.Time
	Env      *Env
	Endpoint Endpoint
	ClientIP netip.Addr

	Identity   *auth.Identity
	AuthReason auth.Reason // why authentication failed, if it did
	Request    Request
	Body       []byte
	Route      *upstream.Route
	Decision   policy.Decision
	Upstream   *upstream.Outcome
	// Classification is the exchange's data classification: the model's,
	// raised by the role's and by the request's X-Warden-Classification.
	Classification string

	collectText bool // limit asks forward to measure streamed text

	Status     int            // status sent to the client (0 if none was)
	Aborted    bool           // the response was cut off midway
	ClientGone bool           // the client disconnected or stopped reading
	Err        *httperr.Error // the error answered, if any

	Filters []auditlog.Filter // what content controls did
	Blocked string            // the content rule that blocked the request, if one did

	// pseudonyms map the placeholders the request policy's pseudonymize
	// action minted to the client's values, for the response: in memory
	// for the exchange's life only, never recorded, kept or previewed.
	pseudonyms *content.Pseudonyms

	// protocol translates the answer for an endpoint with a Protocol.
	protocol *protocolWriter

	ApprovalID     string        // the approval the request needed, if it did
	ApprovalReason policy.Reason // what came of it

	// Received is the request body as the client sent it; Body is what is
	// forwarded, once Warden's own rewrites (max_tokens) and content
	// controls have changed it. The record's prompt_hash is of Received.
	Received []byte

	// Trace is the exchange's span (with Env.Tracing): TraceParent is the
	// client's span it continues (zero if none), UpstreamSpan the upstream
	// call's, whose traceparent the upstream receives.
	Trace        telemetry.SpanContext
	TraceParent  [8]byte
	UpstreamSpan telemetry.SpanContext

	// AskedRoute is, for the Unknown endpoint, what the request asked for
	// (the record's route): bounded, and never the raw path.
	AskedRoute string

	// The audit record (audit.go).
	admin         *auditlog.Admin
	target        string // the act's target named by the route (a key or hold id), sanitised
	released      bool
	releasedIndex string
	releaseErr    error
	auditIndex    uint64
	audited       bool
}

// Outcome classifies the exchange once it is over.
func (x *Exchange) Outcome() Decision {
	switch {
	case x.Upstream != nil && x.Upstream.Blocked != "":
		return DecisionBlock
	case x.Upstream != nil:
		return DecisionAllow
	case x.Blocked != "":
		return DecisionBlock
	case x.AuthReason != "" || (len(x.Decision.Reasons) > 0 && !x.Decision.Allow):
		return DecisionDeny
	case x.Err == nil:
		return DecisionAllow
	case x.Err.Status == http.StatusUnauthorized || x.Err.Status == http.StatusForbidden:
		return DecisionDeny
	default:
		return DecisionError
	}
}

// Handler serves one exchange; a returned error is answered by Serve.
type Handler func(w http.ResponseWriter, r *http.Request, x *Exchange) error

// Stage wraps a Handler.
type Stage func(next Handler) Handler
