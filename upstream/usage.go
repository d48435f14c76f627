package upstream

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"slices"
)

// Usage is the token usage an upstream reported for one response.
type Usage struct {
	Prompt     int64 `json:"prompt_tokens"`
	Completion int64 `json:"completion_tokens"`
	Total      int64 `json:"total_tokens"`
}

// maxUsageBody bounds the SSE line kept to read its usage.
const maxUsageBody = 4 << 20

// jsonTail is how much of the end of a JSON response is kept to read its
// usage, which OpenAI-compatible servers write last: a large embeddings
// answer is not held in memory for it.
const jsonTail = 64 << 10

// usageReader passes a response body through unchanged while reading the
// usage block out of it: from the whole document for JSON, or from the last
// "data:" event that carries one for a stream.
type usageReader struct {
	io.ReadCloser
	o     *Outcome // with CollectText, streamed text is measured into it
	sse   bool
	buf   []byte       // JSON: the last jsonTail bytes
	split lineSplitter // SSE
	done  func(*Usage)
	last  *Usage

	hashText bool         // SSE: hash each choice's text (for the audit record)
	texts    choiceHashes // per choice, with hashText
	keepText bool         // SSE: keep each choice's text (Outcome.Keep)
	kept     map[int][]byte
	keptLen  int
}

// maxKeptText bounds the stream text kept for a payload.
const maxKeptText = 4 << 20

func newUsageReader(rc io.ReadCloser, contentType string, o *Outcome, done func(*Usage)) io.ReadCloser {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/json", "text/event-stream":
		return &usageReader{ReadCloser: rc, o: o, sse: mt == "text/event-stream", done: done, split: lineSplitter{max: maxUsageBody}}
	}
	return rc
}

// maxTextSample bounds the streamed text kept for counting.
const maxTextSample = 4 << 10

// streamEvent is what a stream's chunks say: usage, and generated text.
type streamEvent struct {
	Usage   *Usage
	Choices []struct {
		Index int    `json:"index"`
		Text  string `json:"text"`
		Delta struct {
			Content          string `json:"content"`
			ReasoningContent string `json:"reasoning_content"`
		} `json:"delta"`
	} `json:"choices"`
}

func (u *usageReader) Read(p []byte) (int, error) {
	n, err := u.ReadCloser.Read(p)
	if n > 0 {
		u.feed(p[:n])
	}
	if err == io.EOF {
		u.finish()
	}
	return n, err
}

func (u *usageReader) Close() error {
	u.finish()
	return u.ReadCloser.Close()
}

func (u *usageReader) feed(b []byte) {
	if !u.sse {
		if len(b) >= jsonTail {
			u.buf = append(u.buf[:0], b[len(b)-jsonTail:]...)
			return
		}
		if over := len(u.buf) + len(b) - jsonTail; over > 0 {
			u.buf = u.buf[:copy(u.buf, u.buf[over:])]
		}
		u.buf = append(u.buf, b...)
		return
	}
	u.split.feed(b, false, u.event)
	u.split.over = false // a line too long to hold is not read for usage
}

// event reads the usage of one SSE line, if it has one, and with
// CollectText measures the text it carries.
func (u *usageReader) event(line []byte) {
	data, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r\n"), []byte("data:"))
	if !ok {
		return
	}
	collect := u.o != nil && u.o.CollectText
	if !collect && !u.hashText && !bytes.Contains(data, []byte(`"usage"`)) {
		return
	}
	var v streamEvent
	if json.Unmarshal(data, &v) != nil {
		return
	}
	if v.Usage != nil {
		u.last = v.Usage
	}
	if u.hashText {
		if u.texts == nil {
			u.texts = choiceHashes{}
		}
		for _, c := range v.Choices {
			u.texts.write(c.Index, c.Text+c.Delta.Content)
			if u.keepText && u.keptLen < maxKeptText {
				if u.kept == nil {
					u.kept = map[int][]byte{}
				}
				t := c.Text + c.Delta.Content
				t = t[:min(len(t), maxKeptText-u.keptLen)]
				u.kept[c.Index] = append(u.kept[c.Index], t...)
				u.keptLen += len(t)
			}
		}
	}
	if !collect {
		return
	}
	for _, c := range v.Choices {
		for _, t := range [3]string{c.Text, c.Delta.Content, c.Delta.ReasoningContent} {
			u.o.StreamedBytes += int64(len(t))
			if room := maxTextSample - len(u.o.StreamedSample); room > 0 {
				u.o.StreamedSample = append(u.o.StreamedSample, t[:min(room, len(t))]...)
			}
		}
	}
}

// snapshot records what the stream said so far (usage, hashed text) in
// the Outcome, for a record committed before the stream ends.
func (u *usageReader) snapshot() {
	if u.o == nil {
		return
	}
	if u.last != nil {
		u.o.Usage = u.last
	}
	if u.hashText {
		u.o.Response = u.texts.parts()
	}
	if u.keepText {
		u.o.Body = keptChoices(u.kept)
	}
}

// keptChoices encodes a stream's kept text per choice.
func keptChoices(kept map[int][]byte) []byte {
	type choice struct {
		Index int    `json:"index"`
		Text  string `json:"text"`
	}
	out := struct {
		Choices []choice `json:"choices"`
	}{Choices: []choice{}}
	for i, t := range kept {
		out.Choices = append(out.Choices, choice{i, string(t)})
	}
	slices.SortFunc(out.Choices, func(a, b choice) int { return a.Index - b.Index })
	b, _ := json.Marshal(out)
	return b
}

func (u *usageReader) finish() {
	if u.done == nil {
		return
	}
	if u.sse {
		u.split.feed(nil, true, u.event)
	} else {
		u.last = tailUsage(u.buf)
	}
	u.done(u.last)
	u.done, u.buf = nil, nil
}

// tailUsage reads the value of the last "usage" member in the end of a JSON
// document, or nil.
func tailUsage(tail []byte) *Usage {
	i := bytes.LastIndex(tail, []byte(`"usage"`))
	if i < 0 {
		return nil
	}
	rest := bytes.TrimLeft(tail[i+len(`"usage"`):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return nil
	}
	var u *Usage
	if json.NewDecoder(bytes.NewReader(rest[1:])).Decode(&u) != nil {
		return nil
	}
	return u
}
