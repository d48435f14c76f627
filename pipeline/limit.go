package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/internal/reqjson"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/ratelimit"
	"github.com/wardenhq/warden/tokens"
)

// Limit reasons, recorded when a request is refused for its budget.
const (
	ReasonRateLimited    policy.Reason = "limit.exceeded"
	ReasonLimitTooLarge  policy.Reason = "limit.request_exceeds_limit"
	ReasonLimitUnhealthy policy.Reason = "limit.unavailable"
)

var (
	rateLimited    = []policy.Reason{ReasonRateLimited}
	limitTooLarge  = []policy.Reason{ReasonLimitTooLarge}
	limitUnhealthy = []policy.Reason{ReasonLimitUnhealthy}
)

// budget is what limit reserved for an exchange, to reconcile afterwards.
type budget struct {
	counters [4]ratelimit.Counter
	n        [4]int64
	isTokens [4]bool
	results  [4]ratelimit.Result
	count    int
	prompt   int64 // the prompt estimate
	tokens   int64 // reserved on each token counter: prompt + completion
}

// limit takes the principal's request and token budgets under the role that
// allowed the request, answers 429 when they are spent, and afterwards
// corrects the token reservation with the usage the upstream reported. The
// x-ratelimit-* headers go on every limited response, as OpenAI sends them.
func limit(next Handler) Handler {
	return func(w http.ResponseWriter, r *http.Request, x *Exchange) error {
		l := x.Decision.Limits // the role's, narrowed by the credential's own
		rpm, tpm := l.RequestsPerMinute, l.TokensPerMinute
		if rpm == 0 && tpm == 0 && l.TokensPerDay == 0 && l.TokensPerMonth == 0 {
			return next(w, r, x)
		}
		var b budget
		// Counters are per principal and granting role: "<id>|<role>|r" for
		// requests, "<id>|<role>|t" for tokens (per minute, day and month
		// are told apart by their period). One allocation makes both keys.
		keys := x.Identity.ID + "|" + x.Decision.Role + "|r" + x.Identity.ID + "|" + x.Decision.Role + "|t"
		rkey, tkey := keys[:len(keys)/2], keys[len(keys)/2:]
		if rpm > 0 {
			b.add(ratelimit.Counter{Key: rkey, Limit: rpm, Period: ratelimit.Minute}, 1, false)
		}
		if tpm > 0 || l.TokensPerDay > 0 || l.TokensPerMonth > 0 {
			prompt, completion, err := tokens.Estimate(x.Body, tokens.DefaultCompletion)
			if err != nil {
				return httperr.Wrap(http.StatusBadRequest, "invalid_request", "the request body does not have the shape of this endpoint's requests", err)
			}
			b.prompt, b.tokens = prompt, prompt+completion
			x.collectText = true
			for _, c := range [...]ratelimit.Counter{
				{Key: tkey, Limit: tpm, Period: ratelimit.Minute},
				{Key: tkey, Limit: l.TokensPerDay, Period: ratelimit.Day},
				{Key: tkey, Limit: l.TokensPerMonth, Period: ratelimit.Month},
			} {
				if c.Limit > 0 {
					b.add(c, b.tokens, true)
				}
			}
		}
		for i := range b.count {
			if b.n[i] > b.counters[i].Limit {
				// It can never fit: no point asking the limiter, or retrying.
				x.Decision = policyDeny(x.Decision, limitTooLarge)
				return httperr.New(http.StatusTooManyRequests, "tokens_exceed_limit",
					"this request needs more tokens than your limit allows; lower max_tokens or shorten the prompt")
			}
		}
		now := time.Now()
		ok, err := b.take(r.Context(), x.Env.Limiter, now)
		if err != nil {
			x.Decision = policyDeny(x.Decision, limitUnhealthy)
			return httperr.Wrap(http.StatusServiceUnavailable, "rate_limiter_unavailable", "the rate limiter is unavailable; try again later", err)
		}
		b.setHeaders(w.Header())
		if !ok {
			var retry time.Duration
			for _, res := range b.results[:b.count] {
				retry = max(retry, res.RetryAfter)
			}
			x.Decision = policyDeny(x.Decision, rateLimited)
			e := httperr.New(http.StatusTooManyRequests, "rate_limit_exceeded", "rate limit reached; retry after the time in Retry-After")
			e.RetryAfter = max(1, int(math.Ceil(retry.Seconds())))
			return e
		}
		// Deferred: a stream cut off midway panics past this stage, and what
		// it used must still be charged.
		defer b.reconcile(r, x, now)
		return next(w, r, x)
	}
}

func (b *budget) add(c ratelimit.Counter, n int64, isTokens bool) {
	b.counters[b.count], b.n[b.count], b.isTokens[b.count] = c, n, isTokens
	b.count++
}

func (b *budget) take(ctx context.Context, l ratelimit.Limiter, now time.Time) (bool, error) {
	return l.TakeInto(ctx, now, b.counters[:b.count], b.n[:b.count], b.results[:b.count])
}

// reconcile charges the token counters what was used instead of what was
// reserved: the usage the upstream reported, or else, for a stream, the
// prompt estimate plus the streamed text counted. A request the upstream
// never received, or answered with an error, gives its tokens back; one the
// client abandoned after sending keeps its reservation (the upstream may
// have worked on it to the end).
func (b *budget) reconcile(r *http.Request, x *Exchange, now time.Time) {
	if b.tokens == 0 {
		return
	}
	var used int64
	switch o := x.Upstream; {
	case o == nil || (o.Status == 0 && neverSent(o.Err)) || o.Status >= 400:
		used = 0
	case o.Usage != nil && o.Usage.Total > 0:
		used = o.Usage.Total
	case o.StreamedBytes > 0:
		used = b.prompt + tokens.Text(string(o.StreamedSample), o.StreamedBytes)
	default:
		return
	}
	delta := used - b.tokens
	if delta == 0 {
		return
	}
	ctx := context.WithoutCancel(r.Context())
	for i := range b.count {
		if !b.isTokens[i] {
			continue
		}
		if err := x.Env.Limiter.Adjust(ctx, now, b.counters[i], delta); err != nil {
			slog.Warn("could not correct a token reservation; the budget keeps the reservation",
				"request_id", x.ID, "principal", x.Identity.ID, "delta", delta, "err", err)
		}
	}
}

// neverSent reports whether a forwarding error happened before the request
// could reach the upstream (it could not be dialled).
func neverSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func policyDeny(d policy.Decision, reasons []policy.Reason) policy.Decision {
	d.Allow, d.Reasons = false, reasons
	return d
}

// setHeaders writes OpenAI's x-ratelimit-* headers: -requests from the
// request counter, -tokens from the token counter with the least left. The
// six values share one allocation for their text and one for their slices.
func (b *budget) setHeaders(h http.Header) {
	req, tok := -1, -1
	for i := range b.count {
		switch {
		case !b.isTokens[i]:
			req = i
		case tok < 0 || b.results[i].Remaining < b.results[tok].Remaining:
			tok = i
		}
	}
	var buf [160]byte
	text := buf[:0]
	var ends [6]int
	n := 0
	for _, i := range [2]int{req, tok} {
		if i < 0 {
			continue
		}
		r := b.results[i]
		text = strconv.AppendInt(text, r.Limit, 10)
		ends[n] = len(text)
		text = strconv.AppendInt(text, max(r.Remaining, 0), 10)
		ends[n+1] = len(text)
		text = appendReset(text, r.Reset)
		ends[n+2] = len(text)
		n += 3
	}
	all := string(text)
	vals := make([]string, n)
	start := 0
	for j := range n {
		vals[j], start = all[start:ends[j]], ends[j]
	}
	names := limitHeaderNames[:]
	if req < 0 {
		names = names[3:]
	}
	for j := range n {
		h[names[j]] = vals[j : j+1 : j+1]
	}
}

var limitHeaderNames = [6]string{
	"X-Ratelimit-Limit-Requests", "X-Ratelimit-Remaining-Requests", "X-Ratelimit-Reset-Requests",
	"X-Ratelimit-Limit-Tokens", "X-Ratelimit-Remaining-Tokens", "X-Ratelimit-Reset-Tokens",
}

// appendReset writes a duration the way OpenAI does: "1s", "6m0s", "120ms".
func appendReset(b []byte, d time.Duration) []byte {
	if d < time.Second {
		return append(strconv.AppendInt(b, d.Milliseconds(), 10), "ms"...)
	}
	return append(b, d.Round(time.Millisecond).String()...)
}

// sizeLimit applies the size limits of the role and of the model (the
// lower where both are set): a prompt estimated above max_prompt_tokens is
// refused with 400 prompt_too_long, a request asking for more than
// max_tokens completion tokens per choice with 400 max_tokens_exceeded,
// and one that asks for none is given max_tokens, so the model stops
// there.
func sizeLimit(next Handler) Handler {
	return func(w http.ResponseWriter, r *http.Request, x *Exchange) error {
		maxPrompt := lower(x.Decision.Limits.MaxPromptTokens, x.Route.MaxPromptTokens)
		maxTokens := lower(x.Decision.Limits.MaxTokens, x.Route.MaxTokens)
		if maxPrompt > 0 {
			prompt, _, err := tokens.Estimate(x.Body, 0)
			if err != nil {
				return httperr.Wrap(http.StatusBadRequest, "invalid_request", "the request body does not have the shape of this endpoint's requests", err)
			}
			if prompt > maxPrompt {
				return httperr.New(http.StatusBadRequest, "prompt_too_long",
					fmt.Sprintf("the prompt has about %d tokens; at most %d are allowed for this model and role", prompt, maxPrompt))
			}
		}
		if maxTokens > 0 && x.Endpoint.Name != Embeddings.Name {
			n, set, err := tokens.MaxCompletion(x.Body)
			if err != nil {
				return httperr.Wrap(http.StatusBadRequest, "invalid_request", err.Error(), err)
			}
			switch {
			case set && n > maxTokens:
				return httperr.New(http.StatusBadRequest, "max_tokens_exceeded",
					fmt.Sprintf("max_tokens is %d; at most %d are allowed for this model and role", n, maxTokens))
			case !set:
				body := setMember(x.Body, "max_tokens", strconv.FormatInt(maxTokens, 10))
				req, err := ParseRequest(body)
				if err != nil {
					return httperr.Wrap(http.StatusInternalServerError, "internal_error", "the limited request is malformed", err)
				}
				x.Body, x.Request = body, req
			}
		}
		return next(w, r, x)
	}
}

// lower is the lower of two limits, 0 meaning none.
func lower(a, b int64) int64 {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}

// setMember returns the JSON object body with its top-level member name
// set to value: replaced where it is ("max_tokens": null), added first
// otherwise.
func setMember(body []byte, name, value string) []byte {
	i := reqjson.SkipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return body
	}
	open := i
	i = reqjson.SkipSpace(body, i+1)
	for i < len(body) && body[i] == '"' {
		ke := reqjson.SkipString(body, i)
		key := string(keyText(body[i:ke]))                           // "max_tok\u0065ns" is max_tokens too
		vs := reqjson.SkipSpace(body, reqjson.SkipSpace(body, ke)+1) // past the ':'
		ve := reqjson.SkipValue(body, vs)
		if key == name {
			out := make([]byte, 0, len(body)+len(value))
			out = append(append(append(out, body[:vs]...), value...), body[ve:]...)
			return out
		}
		i = reqjson.SkipSpace(body, ve)
		if i < len(body) && body[i] == ',' {
			i = reqjson.SkipSpace(body, i+1)
		}
	}
	rest := reqjson.SkipSpace(body, open+1)
	out := make([]byte, 0, len(body)+len(name)+len(value)+4)
	out = append(out, body[:open+1]...)
	out = append(out, '"')
	out = append(out, name...)
	out = append(out, '"', ':')
	out = append(out, value...)
	if rest < len(body) && body[rest] != '}' {
		out = append(out, ',')
	}
	return append(out, body[open+1:]...)
}
