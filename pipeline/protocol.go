package pipeline

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/protocol"
	"github.com/wardenhq/warden/tokens"
)

// Protocols a client may speak besides Chat Completions (Endpoint.Protocol):
// its requests are translated into Chat Completions before any control
// reads them, and the answers translated back (package protocol), so that
// every control applies to one form whatever the interface.
const (
	ProtocolAnthropic = "anthropic"        // Anthropic's Messages API
	ProtocolResponses = "openai_responses" // OpenAI's Responses API
)

// answer translates one Chat Completions answer into the client's protocol.
type answer interface {
	Whole(body []byte) ([]byte, error)
	Stream(p []byte) []byte
}

// translateRequest turns x.Body, in the endpoint's protocol, into a Chat
// Completions request (x.Received keeps what the client sent) and readies
// the answer's translation.
func translateRequest(x *Exchange) error {
	var chat []byte
	switch x.Endpoint.Protocol {
	case ProtocolAnthropic:
		count := x.Endpoint.Name == MessagesCountTokens.Name
		tr := protocol.FromMessages
		if count {
			tr = protocol.FromMessagesCount
		}
		m, err := tr(x.Body)
		if err != nil {
			return translateError(err)
		}
		chat = m.Chat
		if x.protocol != nil && !count { // count_tokens answers itself, in Anthropic's shape
			x.protocol.answer = protocol.NewMessagesAnswer(m.Model)
		}
	case ProtocolResponses:
		m, err := protocol.FromResponses(x.Body)
		if err != nil {
			return translateError(err)
		}
		chat = m.Chat
		if x.protocol != nil {
			x.protocol.answer = protocol.NewResponsesAnswer(m)
		}
	default:
		return nil
	}
	x.Body = chat
	return nil
}

func translateError(err error) error {
	var e *protocol.Error
	if errors.As(err, &e) {
		return httperr.Wrap(http.StatusBadRequest, "invalid_request", e.Error(), err)
	}
	return httperr.Wrap(http.StatusBadRequest, "invalid_request", "the request could not be translated", err)
}

// anthropicKey reads Anthropic's credential header: x-api-key carries the
// API key as Authorization: Bearer does (Anthropic's SDKs send it). Both
// at once must agree; a request that sends two different credentials is
// refused rather than judged by either.
func anthropicKey(next Handler) Handler {
	return func(w http.ResponseWriter, r *http.Request, x *Exchange) error {
		if x.Endpoint.Protocol != ProtocolAnthropic {
			return next(w, r, x)
		}
		if k := r.Header.Get("X-Api-Key"); k != "" {
			if a := r.Header.Get("Authorization"); a != "" && a != "Bearer "+k {
				return httperr.New(http.StatusUnauthorized, "invalid_api_key", "send one credential: x-api-key or Authorization, not two that differ")
			}
			r.Header.Set("Authorization", "Bearer "+k)
		}
		// Anthropic's protocol headers mean nothing to a Chat Completions
		// upstream.
		r.Header.Del("Anthropic-Version")
		r.Header.Del("Anthropic-Beta")
		return next(w, r, x)
	}
}

// countTokens answers /v1/messages/count_tokens with Warden's estimate of
// the prompt (the same one limits use); nothing is forwarded.
func countTokens(w http.ResponseWriter, r *http.Request, x *Exchange) error {
	prompt, _, err := tokens.Estimate(x.Body, 0)
	if err != nil {
		return httperr.Wrap(http.StatusBadRequest, "invalid_request", "the prompt could not be counted", err)
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write([]byte(`{"input_tokens":` + strconv.FormatInt(prompt, 10) + "}"))
	return err
}

// protocolWriter translates what the pipeline answers, in Chat
// Completions' form and OpenAI's error shape, into the client's protocol:
// a stream event by event as it passes, a whole answer or an error once it
// is complete (finish).
type protocolWriter struct {
	http.ResponseWriter
	proto  string
	answer answer // set once the request is translated; nil before

	status int
	stream bool   // a 2xx event stream, translated as it passes
	buf    []byte // a whole answer or an error, until finish
}

func (p *protocolWriter) WriteHeader(code int) {
	if p.status != 0 || code < 200 {
		return
	}
	p.status = code
	if code/100 == 2 && strings.HasPrefix(p.Header().Get("Content-Type"), "text/event-stream") {
		p.stream = true
		p.Header().Del("Content-Length")
		p.ResponseWriter.WriteHeader(code)
	}
}

func (p *protocolWriter) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.WriteHeader(http.StatusOK)
	}
	if !p.stream {
		p.buf = append(p.buf, b...)
		return len(b), nil
	}
	out := b
	if p.answer != nil {
		out = p.answer.Stream(b)
	}
	if len(out) > 0 {
		if _, err := p.ResponseWriter.Write(out); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// Flush passes a stream's events on; a whole answer waits for finish.
func (p *protocolWriter) Flush() {
	if p.stream {
		http.NewResponseController(p.ResponseWriter).Flush()
	}
}

func (p *protocolWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// finish writes a buffered answer, translated: a 2xx chat completion as
// the protocol's answer (502 if it is not one), an error in the
// protocol's error shape.
func (p *protocolWriter) finish() {
	if p.stream || p.status == 0 {
		return
	}
	status, body := p.status, p.buf
	if status/100 == 2 && p.answer != nil {
		out, err := p.answer.Whole(body)
		if err != nil {
			status, body = http.StatusBadGateway, httperr.Body(httperr.New(http.StatusBadGateway, "upstream_invalid_response", "the upstream's answer could not be translated"))
		} else {
			body = out
		}
	}
	if p.proto == ProtocolAnthropic && status/100 != 2 {
		body = protocol.MessagesError(status, body)
	}
	h := p.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	p.ResponseWriter.WriteHeader(status)
	p.ResponseWriter.Write(body)
}
