package protocol

import (
	"encoding/json"
	"time"
)

// ResponsesAnswer turns Chat Completions answers, whole or streamed, into
// the Responses API's. One serves one response.
type ResponsesAnswer struct {
	req *ResponsesRequest
	now func() time.Time

	r       SSEReader
	seq     int
	started bool
	ended   bool
	id      string
	created int64
	items   []*responsesOutput // the output so far
	open    *responsesOutput   // the item being streamed
	tools   map[int]*responsesOutput
	finish  string
	usage   *chatUsage
}

// responsesOutput is one output item being built.
type responsesOutput struct {
	index   int
	kind    string // "message" or "function_call"
	id      string
	text    []byte // a message's text, a function call's arguments
	refusal bool   // a message that is a refusal
	callID  string
	name    string
	done    bool
}

// NewResponsesAnswer starts the answer to req.
func NewResponsesAnswer(req *ResponsesRequest) *ResponsesAnswer {
	return &ResponsesAnswer{req: req, now: time.Now, tools: map[int]*responsesOutput{}}
}

func (o *responsesOutput) item(status string) map[string]any {
	if o.kind == "function_call" {
		return map[string]any{"type": "function_call", "id": o.id, "call_id": o.callID, "name": o.name, "arguments": string(o.text), "status": status}
	}
	content := []any{}
	if status == "completed" || len(o.text) > 0 {
		content = append(content, o.part())
	}
	return map[string]any{"type": "message", "id": o.id, "status": status, "role": "assistant", "content": content}
}

func (o *responsesOutput) part() map[string]any {
	if o.refusal {
		return map[string]any{"type": "refusal", "refusal": string(o.text)}
	}
	return map[string]any{"type": "output_text", "text": string(o.text), "annotations": []any{}, "logprobs": []any{}}
}

// response is the response object with its output so far.
func (a *ResponsesAnswer) response(status string) map[string]any {
	output := []any{}
	for _, o := range a.items {
		st := "completed"
		if !o.done {
			st = "in_progress"
		}
		output = append(output, o.item(st))
	}
	r := map[string]any{"id": a.id, "object": "response", "created_at": a.created, "status": status, "error": nil,
		"incomplete_details": nil, "instructions": a.req.Instructions, "max_output_tokens": a.req.MaxOutput, "model": a.req.Model,
		"output": output, "parallel_tool_calls": true, "tool_choice": "auto", "tools": []any{}, "text": map[string]any{"format": map[string]string{"type": "text"}},
		"metadata": map[string]any{}, "store": false, "usage": nil}
	if status == "incomplete" {
		reason := "max_output_tokens"
		if a.finish == "content_filter" {
			reason = "content_filter"
		}
		r["incomplete_details"] = map[string]string{"reason": reason}
	}
	if u := a.usage; u != nil {
		r["usage"] = map[string]any{"input_tokens": u.PromptTokens, "input_tokens_details": map[string]int{"cached_tokens": 0},
			"output_tokens": u.CompletionTokens, "output_tokens_details": map[string]int{"reasoning_tokens": 0}, "total_tokens": u.TotalTokens}
	}
	return r
}

func (a *ResponsesAnswer) status() string {
	if a.finish == "length" || a.finish == "content_filter" {
		return "incomplete"
	}
	return "completed"
}

// Whole translates a complete Chat Completions answer.
func (a *ResponsesAnswer) Whole(body []byte) ([]byte, error) {
	var c chatCompletion
	if err := json.Unmarshal(body, &c); err != nil || len(c.Choices) == 0 {
		return nil, refuse("", "the upstream's answer is not a chat completion")
	}
	a.begin(c.ID, c.Created)
	ch := c.Choices[0]
	if m := ch.Message; m.Content != nil && *m.Content != "" {
		a.items = append(a.items, &responsesOutput{kind: "message", id: "msg_" + suffix(a.id), text: []byte(*m.Content), done: true})
	}
	if m := ch.Message; m.Refusal != nil && *m.Refusal != "" {
		a.items = append(a.items, &responsesOutput{kind: "message", id: "msg_" + suffix(a.id), text: []byte(*m.Refusal), refusal: true, done: true})
		a.finish = "content_filter"
	}
	for _, tc := range ch.Message.ToolCalls {
		a.items = append(a.items, &responsesOutput{kind: "function_call", id: "fc_" + suffix(tc.ID), callID: tc.ID, name: tc.Function.Name, text: []byte(tc.Function.Arguments), done: true})
	}
	if ch.FinishReason != nil && a.finish == "" {
		a.finish = *ch.FinishReason
	}
	a.usage = c.Usage
	return json.Marshal(a.response(a.status()))
}

func (a *ResponsesAnswer) begin(id string, created int64) {
	if a.id != "" {
		return
	}
	a.id = "resp_" + suffix(id)
	if a.id == "resp_" {
		a.id = "resp_warden"
	}
	a.created = created
	if a.created == 0 {
		a.created = a.now().Unix()
	}
}

func (a *ResponsesAnswer) event(out []byte, name string, v map[string]any) []byte {
	v["type"] = name
	v["sequence_number"] = a.seq
	a.seq++
	b, _ := json.Marshal(v)
	return appendEvent(out, name, b)
}

// Stream feeds streamed Chat Completions bytes and returns the Responses
// API events they make (nil if none yet). Comments pass as they are.
func (a *ResponsesAnswer) Stream(p []byte) []byte { return translateStream(&a.r, p, a.chunk, a.end) }

func (a *ResponsesAnswer) start(out []byte, id string, created int64) []byte {
	if a.started {
		return out
	}
	a.started = true
	a.begin(id, created)
	out = a.event(out, "response.created", map[string]any{"response": a.response("in_progress")})
	return a.event(out, "response.in_progress", map[string]any{"response": a.response("in_progress")})
}

// closeItem finishes the item being streamed.
func (a *ResponsesAnswer) closeItem(out []byte) []byte {
	o := a.open
	if o == nil {
		return out
	}
	a.open, o.done = nil, true
	if o.kind == "function_call" {
		out = a.event(out, "response.function_call_arguments.done", map[string]any{"item_id": o.id, "output_index": o.index, "arguments": string(o.text)})
	} else {
		if !o.refusal {
			out = a.event(out, "response.output_text.done", map[string]any{"item_id": o.id, "output_index": o.index, "content_index": 0, "text": string(o.text), "logprobs": []any{}})
		} else {
			out = a.event(out, "response.refusal.done", map[string]any{"item_id": o.id, "output_index": o.index, "content_index": 0, "refusal": string(o.text)})
		}
		out = a.event(out, "response.content_part.done", map[string]any{"item_id": o.id, "output_index": o.index, "content_index": 0, "part": o.part()})
	}
	return a.event(out, "response.output_item.done", map[string]any{"output_index": o.index, "item": o.item("completed")})
}

func (a *ResponsesAnswer) openItem(out []byte, o *responsesOutput) []byte {
	out = a.closeItem(out)
	o.index = len(a.items)
	a.items = append(a.items, o)
	a.open = o
	out = a.event(out, "response.output_item.added", map[string]any{"output_index": o.index, "item": o.item("in_progress")})
	if o.kind == "message" {
		part := o.part()
		out = a.event(out, "response.content_part.added", map[string]any{"item_id": o.id, "output_index": o.index, "content_index": 0, "part": part})
	}
	return out
}

func (a *ResponsesAnswer) chunk(out []byte, data []byte) []byte {
	if a.ended {
		return out
	}
	var c struct {
		chatCompletion
		Error *struct {
			Message string `json:"message"`
			Code    any    `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &c) != nil {
		return out
	}
	if c.Error != nil {
		a.ended = true
		code, _ := c.Error.Code.(string)
		return a.event(out, "error", map[string]any{"code": code, "message": c.Error.Message, "param": nil})
	}
	out = a.start(out, c.ID, c.Created)
	if c.Usage != nil {
		a.usage = c.Usage
	}
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue
		}
		for _, pc := range []struct {
			s       *string
			refusal bool
		}{{ch.Delta.Content, false}, {ch.Delta.Refusal, true}} {
			if pc.s == nil || *pc.s == "" {
				continue
			}
			if o := a.open; o == nil || o.kind != "message" || o.refusal != pc.refusal {
				out = a.openItem(out, &responsesOutput{kind: "message", id: "msg_" + suffix(a.id), refusal: pc.refusal})
			}
			o := a.open
			o.text = append(o.text, *pc.s...)
			if pc.refusal {
				a.finish = "content_filter"
				out = a.event(out, "response.refusal.delta", map[string]any{"item_id": o.id, "output_index": o.index, "content_index": 0, "delta": *pc.s})
			} else {
				out = a.event(out, "response.output_text.delta", map[string]any{"item_id": o.id, "output_index": o.index, "content_index": 0, "delta": *pc.s, "logprobs": []any{}})
			}
		}
		for _, tc := range ch.Delta.ToolCalls {
			o, seen := a.tools[tc.Index]
			if !seen {
				o = &responsesOutput{kind: "function_call", id: "fc_" + suffix(tc.ID), callID: tc.ID, name: tc.Function.Name}
				a.tools[tc.Index] = o
				out = a.openItem(out, o)
			}
			if tc.Function.Arguments != "" {
				o.text = append(o.text, tc.Function.Arguments...)
				out = a.event(out, "response.function_call_arguments.delta", map[string]any{"item_id": o.id, "output_index": o.index, "delta": tc.Function.Arguments})
			}
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" && a.finish != "content_filter" {
			a.finish = *ch.FinishReason
		}
	}
	return out
}

// end completes the response: the stream's [DONE] (which Warden sends only
// once the exchange's audit record is released).
func (a *ResponsesAnswer) end(out []byte) []byte {
	if a.ended {
		return out
	}
	out = a.start(out, "", 0)
	out = a.closeItem(out)
	a.ended = true
	status := a.status()
	name := "response.completed"
	if status == "incomplete" {
		name = "response.incomplete"
	}
	return a.event(out, name, map[string]any{"response": a.response(status)})
}
