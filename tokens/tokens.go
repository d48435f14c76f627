// Package tokens estimates, before a request is forwarded, how many tokens
// an OpenAI chat completions, completions or embeddings request will use, so
// that rate limits can reserve them. The estimate is made offline with the
// o200k_base vocabulary (GPT-4o, GPT-4.1, o-series, GPT-5); other models'
// tokenizers differ by tens of percent, so callers should reconcile with the
// usage the upstream reports.
package tokens

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/reqjson"
)

// DefaultCompletion is a sensible completion reservation for a request that
// sets neither max_tokens nor max_completion_tokens (see Estimate).
const DefaultCompletion = 1024

// Fixed parts of the estimate.
const (
	perMessage    = 3   // each chat message's framing (OpenAI's cookbook, for gpt-4o and later)
	perName       = 1   // a message's name field
	replyPriming  = 3   // the assistant reply's framing
	imageTokens   = 765 // an image at "high" or "auto" detail: 85 + 170 per 512-pixel tile, 4 tiles (1024x1024)
	lowImage      = 85  // an image at "low" detail
	bytesPerGuess = 4   // other parts (audio, files): one token per this many bytes of their JSON
)

// completionLimits are the fields that bound a request's completion:
// OpenAI's, and the names some servers also read on their OpenAI endpoint
// (llama.cpp's n_predict, text-generation-inference's max_new_tokens), so
// that a limit cannot be stepped around by the upstream's own spelling.
type completionLimits struct {
	MaxTokens           *int64 `json:"max_tokens"`
	MaxCompletionTokens *int64 `json:"max_completion_tokens"`
	NPredict            *int64 `json:"n_predict"`
	MaxNewTokens        *int64 `json:"max_new_tokens"`
}

// per returns the completion tokens asked for per choice: the largest of
// the fields set; set is false if none is. A field set below 1 is an error.
func (c *completionLimits) per() (n int64, set bool, err error) {
	var errs []error
	for _, f := range []struct {
		name string
		v    *int64
	}{{"max_tokens", c.MaxTokens}, {"max_completion_tokens", c.MaxCompletionTokens}, {"n_predict", c.NPredict}, {"max_new_tokens", c.MaxNewTokens}} {
		// At least 1: Ollama reads a num_predict (its max_tokens) of 0 as
		// no limit at all; OpenAI and vLLM refuse 0.
		v, err := option(f.name, f.v, 0, 1)
		errs = append(errs, err)
		n, set = max(n, v), set || f.v != nil
	}
	return n, set, errors.Join(errs...)
}

// request holds the fields of the three request kinds that an estimate
// needs; the rest is left alone. Its names are fields of reqjson.Request
// (TestNamesInTable), read exactly (reqjson.Unmarshal).
type request struct {
	Messages  []message       `json:"messages"`
	Prompt    json.RawMessage `json:"prompt"`
	Input     json.RawMessage `json:"input"`
	Content   json.RawMessage `json:"content"` // llama.cpp's embeddings input, where input is absent
	Tools     json.RawMessage `json:"tools"`
	Functions json.RawMessage `json:"functions"`
	completionLimits
	N      *int64 `json:"n"`
	BestOf *int64 `json:"best_of"`
}

type message struct {
	Role         string          `json:"role"`
	Name         string          `json:"name"`
	Content      json.RawMessage `json:"content"`
	ToolCalls    json.RawMessage `json:"tool_calls"`
	FunctionCall json.RawMessage `json:"function_call"`
	ToolCallID   string          `json:"tool_call_id"`
}

// Estimate returns an estimate of a request body's prompt tokens and the
// most completion tokens it asks for.
//
// The prompt is every prompt-bearing field the body has, whichever endpoint
// it is sent to (so a body shaped for one endpoint and sent to another is
// not under-counted): chat "messages" (3 tokens per message, 1 per name, 3
// for the reply, plus their text; image parts 765 tokens, or 85 at "low"
// detail; audio and file parts one token per 4 bytes of their JSON),
// "tools" and "functions" (their JSON text), other members a model may
// read as prompt (their JSON text: "suffix", "documents", any member the
// request table does not list; see others), completions "prompt" and
// embeddings "input" (a string, strings, or token arrays, counted as given;
// also a top-level "content", which llama.cpp's embeddings read in its
// place).
//
// The completion is max_completion_tokens or max_tokens (the larger if both
// are set; n_predict and max_new_tokens count too), or defaultCompletion if
// none is, times the choices made (n, or best_of if larger), times the
// prompts of a completions request. It is 0 for a body with neither
// messages nor prompt (embeddings).
//
// Text is counted exactly up to 4 KiB per body; beyond that the count is
// extrapolated at the density of the text already counted (at least one
// token per 6 bytes), which bounds the work a body can cause.
//
// Names are read exactly, as OpenAI reads them: a member whose name is a
// case-variant of one the estimate reads ("MAX_TOKENS", "Messages") is an
// error, never a field silently read or left out.
//
// An error means the body is not a JSON object of the expected shape (a
// client error: answer 400).
func Estimate(body []byte, defaultCompletion int64) (prompt, completion int64, err error) {
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return 0, 0, fmt.Errorf("tokens: request body is not a JSON object")
	}
	var req request
	if err := reqjson.Unmarshal(body, &req); err != nil {
		return 0, 0, fmt.Errorf("tokens: %w", err)
	}
	c := newCounter()
	for i, m := range req.Messages {
		if err := c.message(m); err != nil {
			return 0, 0, fmt.Errorf("tokens: messages[%d]: %w", i, err)
		}
	}
	if len(req.Messages) > 0 {
		c.add(replyPriming)
	}
	c.json(req.Tools)
	c.json(req.Functions)
	c.others(body)
	prompts, err := c.texts(req.Prompt)
	if err != nil {
		return 0, 0, fmt.Errorf("tokens: prompt: %w", err)
	}
	if _, err := c.texts(req.Input); err != nil {
		return 0, 0, fmt.Errorf("tokens: input: %w", err)
	}
	if _, err := c.texts(req.Content); err != nil {
		return 0, 0, fmt.Errorf("tokens: content: %w", err)
	}
	completion, err = req.completion(defaultCompletion, prompts)
	if err != nil {
		return 0, 0, fmt.Errorf("tokens: %w", err)
	}
	return c.total(), completion, nil
}

// others counts, as their JSON text, the members of a request that a
// model may read as prompt besides those Estimate reads: OpenAI's suffix,
// a request's own chat_template and its chat_template_kwargs, and every
// member the request table does not list (vLLM's documents, which chat
// templates render, and other servers' own fields), so that a prompt
// cannot grow past max_prompt_tokens where the estimate does not look.
//
// body is an object encoding/json has read (Estimate's request), so it is
// scanned, not decoded again. A name given twice counts once, with its last
// value, as encoding/json reads it.
func (c *counter) others(body []byte) {
	type member struct {
		name  string
		value []byte
	}
	var found []member
	for key, value := range objectMembers(body) {
		name := key[1 : len(key)-1]
		if !plainString(name) {
			s, err := unquote(key)
			if err != nil {
				continue // not reached: body is valid JSON
			}
			name = []byte(s)
		}
		if string(name) == "suffix" || string(name) == "chat_template" || string(name) == "chat_template_kwargs" || !reqjson.Listed(nil, name) {
			found = append(found, member{string(name), value})
		}
	}
	slices.SortStableFunc(found, func(a, b member) int { return strings.Compare(a.name, b.name) }) // the count past 4 KiB depends on the order
	for i, m := range found {
		if i+1 < len(found) && found[i+1].name == m.name {
			continue // the last of a repeated name counts
		}
		c.json(m.value)
	}
}

// completion is the most completion tokens the request asks for, given how
// many prompts its "prompt" held.
func (r *request) completion(defaultCompletion, prompts int64) (int64, error) {
	streams := int64(0) // completions generated per choice
	if r.Messages != nil {
		streams++
	}
	if present(r.Prompt) {
		streams += max(1, prompts)
	}
	per, set, err1 := r.per()
	n, err3 := option("n", r.N, 1, 1)
	bestOf, err4 := option("best_of", r.BestOf, 1, 1)
	for _, err := range []error{err1, err3, err4} {
		if err != nil {
			return 0, err
		}
	}
	if !set {
		per = max(0, defaultCompletion)
	}
	return mul(mul(per, max(n, bestOf)), streams), nil
}

// option returns an optional field's value, or def if it is absent.
func option(name string, v *int64, def, least int64) (int64, error) {
	switch {
	case v == nil:
		return def, nil
	case *v < least:
		return 0, fmt.Errorf("%s is %d, want at least %d", name, *v, least)
	}
	return *v, nil
}

// mul returns a*b for a, b >= 0, saturating at MaxInt64.
func mul(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

// present reports whether a field was given and is not null.
func present(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

// Text estimates the tokens of generated text of which sample is the start
// and total the length in bytes: the sample is counted (its first 4 KiB
// exactly) and the rest extrapolated at the same density, at least one
// token per 6 bytes. It serves responses whose upstream reported no usage.
func Text(sample string, total int64) int64 {
	c := newCounter()
	c.text(sample)
	if rest := total - int64(len(sample)); rest > 0 {
		c.skipped += rest
	}
	return c.total()
}

// MaxCompletion returns the completion tokens a request asks for per
// choice: max_completion_tokens or max_tokens (the larger if both are set;
// n_predict and max_new_tokens, which some servers read, count too); set is
// false if it sets none. Names are read exactly: a case-variant
// ("MAX_TOKENS") is an error, not a field left unset.
func MaxCompletion(body []byte) (n int64, set bool, err error) {
	var req completionLimits
	if err := reqjson.Unmarshal(body, &req); err != nil {
		return 0, false, fmt.Errorf("tokens: %w", err)
	}
	if n, set, err = req.per(); err != nil {
		return 0, false, fmt.Errorf("tokens: %w", err)
	}
	return n, set, nil
}
