package pipeline

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/protocol"
	"github.com/wardenhq/warden/upstream"
)

// Inference is the data-plane path for chat, completions and embeddings,
// stage by stage, in order.
func Inference() Handler {
	return chain(forward,
		recoverPanic,
		allowAddress,
		authenticate,
		parseBody,
		route,
		authorize,
		auditReady,
		sizeLimit,
		limit, // before the costly screening, and before approve: a held request is a request, and counts
		screen,
		approve,
	)
}

// Admit runs the admission stages of Inference — address allowlist,
// authentication, authorization and limits — for an exchange whose Request
// and Route are already set, then h. It exists so that the per-request cost
// of admission can be measured on its own (BenchmarkAdmit).
func Admit(h Handler) Handler {
	return chain(h, allowAddress, authenticate, authorize, limit)
}

// Admin is the path for administrative endpoints: authenticate, then
// require the endpoint's capability, then (fail_mode closed) refuse while
// the audit log cannot record the act, then h.
func Admin(h Handler) Handler {
	return chain(h, recoverPanic, allowAddress, authenticate, requireCapability, auditReady)
}

// Unrouted is the path of a request no route takes (Unknown): the global
// allowlist, then identify, then h, which answers it (404, 405). Its record
// says who asked when they presented valid credentials.
func Unrouted(h Handler) Handler { return chain(h, recoverPanic, allowAddress, identify) }

// Interface is Inference for an endpoint that speaks another protocol
// (Endpoint.Protocol): the same stages, in the same order, on the request
// translated into Chat Completions; Anthropic's credential header is read
// first.
func Interface() Handler {
	return chain(forward,
		recoverPanic,
		allowAddress,
		anthropicKey,
		authenticate,
		parseBody,
		route,
		authorize,
		auditReady,
		sizeLimit,
		limit,
		screen,
		approve,
	)
}

// CountTokens answers /v1/messages/count_tokens: the admission stages, then
// Warden's estimate of the translated prompt. Nothing is forwarded.
func CountTokens() Handler {
	return chain(countTokens, recoverPanic, allowAddress, anthropicKey, authenticate, parseBody, route, authorize)
}

// ListModels answers GET /v1/models with the models the caller may use.
func ListModels() Handler { return chain(listModels, recoverPanic, allowAddress, authenticate) }

// GetModel answers GET /v1/models/{id} with the model, if the caller may
// use it (404 otherwise, as for a model that does not exist).
func GetModel() Handler { return chain(getModel, recoverPanic, allowAddress, authenticate) }

func chain(h Handler, stages ...Stage) Handler {
	for i := len(stages) - 1; i >= 0; i-- {
		h = stages[i](h)
	}
	return h
}

// recoverPanic turns a panic into a 500 that reveals nothing.
func recoverPanic(next Handler) Handler {
	return func(w http.ResponseWriter, r *http.Request, x *Exchange) (err error) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				slog.Error("panic serving request", "request_id", x.ID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				err = httperr.New(http.StatusInternalServerError, "internal_error", "internal error")
			}
		}()
		return next(w, r, x)
	}
}

// allowAddress applies the global allowlist (auth.ip_allow) before anything
// else: from elsewhere, not even credentials are looked at.
func allowAddress(next Handler) Handler {
	return func(w http.ResponseWriter, r *http.Request, x *Exchange) error {
		if len(x.Env.IPAllow) > 0 && !policy.Contains(x.Env.IPAllow, x.ClientIP) {
			x.Decision = policy.Decision{Reasons: ipNotAllowedGlobal}
			return httperr.New(http.StatusForbidden, "ip_not_allowed", "requests from your address are not allowed")
		}
		return next(w, r, x)
	}
}

var ipNotAllowedGlobal = []policy.Reason{policy.ReasonIPNotAllowedGlobal}

var errUnrecognised = &auth.Error{Reason: auth.ReasonMalformed, Msg: "invalid API key or token"}

// authenticate asks each authenticator in turn; the first that finds its
// kind of credential decides.
func authenticate(next Handler) Handler {
	return func(w http.ResponseWriter, r *http.Request, x *Exchange) error {
		err := error(auth.ErrNoCredentials)
		for _, a := range x.Env.Authenticators {
			id, aerr := a.Authenticate(r.Context(), r)
			if aerr == auth.ErrNoCredentials {
				continue
			}
			x.Identity, err = id, aerr
			break
		}
		// A bearer credential no authenticator claims is refused, even when
		// a client certificate would authenticate: the request is judged by
		// the credential it presents, with no fallback.
		if (err == auth.ErrNoCredentials || (err == nil && x.Identity.Type == "mtls")) && auth.BearerToken(r) != "" {
			x.Identity, err = nil, errUnrecognised
		}
		if err != nil {
			var ae *auth.Error
			if !errors.As(err, &ae) {
				ae = &auth.Error{Reason: auth.ReasonUnavailable, Msg: "authentication unavailable", Err: err}
			}
			x.AuthReason = ae.Reason
			if ae.Reason == auth.ReasonUnavailable {
				return httperr.Wrap(http.StatusServiceUnavailable, "auth_unavailable", ae.Msg, ae)
			}
			code := "invalid_api_key"
			if strings.HasPrefix(string(ae.Reason), "auth.oidc") {
				code = "invalid_token"
			}
			msg := ae.Msg
			if ae == auth.ErrNoCredentials && x.Endpoint.Protocol == ProtocolAnthropic {
				msg = "missing credentials: send x-api-key: <key> (or Authorization: Bearer <key>)"
			}
			return httperr.Wrap(http.StatusUnauthorized, code, msg, ae)
		}
		return next(w, r, x)
	}
}

// identify is authenticate for requests that need no identity: a caller
// who presents no credential goes on anonymously, one who presents a
// credential must present a valid one (else 401, recorded as any refusal).
func identify(next Handler) Handler {
	required := authenticate(next)
	return func(w http.ResponseWriter, r *http.Request, x *Exchange) error {
		err := required(w, r, x)
		if x.AuthReason == auth.ReasonNoCredentials {
			x.AuthReason = ""
			return next(w, r, x)
		}
		return err
	}
}

// parseBody reads at most MaxBodyBytes and parses the request. The body
// must be JSON whatever Content-Type says (curl -d sends a form type); it is
// forwarded as application/json.
func parseBody(next Handler) Handler {
	return func(w http.ResponseWriter, r *http.Request, x *Exchange) error {
		if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
			return httperr.New(http.StatusUnsupportedMediaType, "unsupported_encoding", "send the request body uncompressed")
		}
		if r.ContentLength > x.Env.MaxBodyBytes {
			return tooLarge(x)
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, x.Env.MaxBodyBytes))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return tooLarge(x)
			}
			return httperr.Wrap(http.StatusBadRequest, "invalid_request", "could not read the request body", err)
		}
		x.Body, x.Received = body, body
		if err := translateRequest(x); err != nil {
			return err
		}
		if x.Request, err = ParseRequest(x.Body); err != nil {
			return httperr.Wrap(http.StatusBadRequest, "invalid_request", err.Error(), err)
		}
		if x.Request.Stream && !x.Endpoint.Streams {
			return httperr.New(http.StatusBadRequest, "invalid_request", "this endpoint does not stream")
		}
		return next(w, r, x)
	}
}

func tooLarge(x *Exchange) error {
	return httperr.New(http.StatusRequestEntityTooLarge, "request_too_large",
		fmt.Sprintf("request body exceeds %d bytes", x.Env.MaxBodyBytes))
}

// route finds the configured model. Unknown names are 404 whatever the
// caller's role, and the name is not echoed.
func route(next Handler) Handler {
	return func(w http.ResponseWriter, r *http.Request, x *Exchange) error {
		x.Route = x.Env.Routes.Lookup(x.Request.Model)
		if x.Route == nil {
			return httperr.New(http.StatusNotFound, "model_not_found", "the model does not exist")
		}
		if x.Route.API == config.APIAnthropic && x.Endpoint.Capability != policy.CapChat {
			return httperr.New(http.StatusBadRequest, "unsupported_endpoint",
				"this model's upstream speaks Anthropic's Messages API: use chat completions, the Responses API or the Messages API")
		}
		return next(w, r, x)
	}
}

// authorize applies the caller's roles (and key scope) to the model.
func authorize(next Handler) Handler {
	return func(w http.ResponseWriter, r *http.Request, x *Exchange) error {
		caps := [2]policy.Capability{x.Endpoint.Capability}
		n := 1
		if x.Request.Stream {
			caps[1], n = policy.CapStream, 2
		}
		x.Decision = x.Env.Policy.Authorize(x.Identity, policy.Model{Name: x.Route.Name, Namespace: x.Route.Namespace}, x.ClientIP, caps[:n]...)
		if !x.Decision.Allow {
			return denied(x.Decision)
		}
		if err := x.classify(r); err != nil {
			return err
		}
		return next(w, r, x)
	}
}

// classify sets the exchange's classification: the model's, raised (never
// lowered) by the role's and by the request's X-Warden-Classification.
func (x *Exchange) classify(r *http.Request) error {
	rank := func(name string) int {
		if rk, ok := x.Env.ClassRank[name]; ok {
			return rk
		}
		return -1
	}
	c := x.Route.Classification
	if rc := x.Env.RoleClass[x.Decision.Role]; rank(rc) > rank(c) {
		c = rc
	}
	if h := r.Header.Get("X-Warden-Classification"); h != "" {
		switch rk, ok := x.Env.ClassRank[h]; {
		case !ok:
			return httperr.New(http.StatusBadRequest, "unknown_classification", "X-Warden-Classification names no configured classification")
		case rk < rank(c):
			return httperr.New(http.StatusBadRequest, "classification_lowered", "a request may raise its classification, never lower it")
		}
		c = h
	}
	x.Classification = c
	return nil
}

// denied is the client's answer to a refused decision.
func denied(d policy.Decision) error {
	switch d.Reasons[0] {
	case policy.ReasonCapabilityMissing:
		return httperr.New(http.StatusForbidden, "capability_not_allowed", "your role does not allow this endpoint")
	case policy.ReasonIPNotAllowedRole, policy.ReasonIPNotAllowedKey:
		return httperr.New(http.StatusForbidden, "ip_not_allowed", "requests from your address are not allowed")
	case policy.ReasonNoRole, policy.ReasonUnknownRole:
		return httperr.New(http.StatusForbidden, "no_role", "no role grants you access")
	}
	return httperr.New(http.StatusForbidden, "model_not_allowed", "you are not allowed to use this model")
}

// requireCapability refuses callers whose role lacks the endpoint's capability.
func requireCapability(next Handler) Handler {
	return func(w http.ResponseWriter, r *http.Request, x *Exchange) error {
		x.Decision = x.Env.Policy.Permit(x.Identity, x.ClientIP, x.Endpoint.Capability)
		if !x.Decision.Allow {
			return denied(x.Decision)
		}
		return next(w, r, x)
	}
}

// forward sends the request to the model's upstream and streams the answer.
func forward(w http.ResponseWriter, r *http.Request, x *Exchange) error {
	body := x.Body
	if x.Route.Model != x.Request.Model {
		body = x.Request.WithModel(body, x.Route.Model)
	}
	if x.Route.API == config.APIAnthropic {
		// After every control, on the form they read (docs/interfaces.md).
		b, err := protocol.ToAnthropic(body, x.Route.Model)
		if err != nil {
			return translateError(err)
		}
		body = b
	}
	x.Upstream = &upstream.Outcome{CollectText: x.collectText}
	if x.Endpoint.Protocol != "" {
		// Translated: the upstream is asked for a chat completion.
		r = r.Clone(r.Context())
		r.URL.Path = "/v1/chat/completions"
	}
	if x.Env.Content != nil {
		if _, p := x.Env.Content.For(x.Decision.Role, x.Route.Name); p.Active() {
			x.Upstream.Filter = p.NewSession()
		}
	}
	if ps := x.pseudonyms; ps.Len() > 0 {
		// The client gets its values back, after the response policy,
		// whose own placeholders are numbered past the request's.
		x.Upstream.Restore = ps
		if x.Upstream.Filter != nil {
			x.Upstream.Filter.ReservePseudonyms(ps)
		}
	}
	if k := x.Env.Keeper; k != nil && k.Keeps(x.Classification) {
		x.Upstream.Keep = true
	}
	if x.Env.Audit != nil {
		x.Upstream.Release = func(status int, e *httperr.Error, h http.Header) (string, error) {
			return x.release(r.Context(), status, e, h)
		}
	}
	if x.Env.Tracing {
		x.UpstreamSpan = x.Trace.Child()
		x.Upstream.TraceParent = x.UpstreamSpan.Traceparent()
	}
	x.Route.Forward(w, r, body, x.Upstream)
	return nil // the upstream package answered, errors included
}
