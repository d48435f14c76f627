package upstream

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wardenhq/warden/content"
	"github.com/wardenhq/warden/internal/httperr"
)

// testPseudonyms: the mapping a request's pseudonymize action left, values
// with JSON's special characters among them.
func testPseudonyms() *content.Pseudonyms {
	return content.NewPseudonyms(map[string]string{
		"[PERSON_1]": `Jane "JJ" O'Brien`, "[DATE_1]": "03/14/1961", "[PHONE_1]": "(415) 555-2671",
		"[STREET_ADDRESS_1]": "12 Elm St\\Apt 3",
	})
}

func chunkEvent(choice int, delta string, finish string) string {
	f := "null"
	if finish != "" {
		f = `"` + finish + `"`
	}
	return fmt.Sprintf(`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":%d,"delta":%s,"finish_reason":%s}]}`+"\n\n", choice, delta, f)
}

func contentDelta(s string) string {
	b, _ := json.Marshal(map[string]string{"content": s})
	return string(b)
}

func argsDelta(id, args string) string {
	tc := map[string]any{"index": 0, "function": map[string]string{"arguments": args}}
	if id != "" {
		tc["id"], tc["type"] = id, "function"
		tc["function"].(map[string]string)["name"] = "book"
	}
	b, _ := json.Marshal(map[string]any{"tool_calls": []any{tc}})
	return string(b)
}

// streamTexts joins each choice's content and tool-call arguments.
func streamTexts(t *testing.T, out string) map[string]string {
	t.Helper()
	texts := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var ev struct {
			Choices []struct {
				Index int
				Delta struct {
					Content   string
					ToolCalls []struct{ Function struct{ Arguments string } } `json:"tool_calls"`
				}
			}
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event is not JSON: %s", data)
		}
		for _, c := range ev.Choices {
			texts[fmt.Sprint("content", c.Index)] += c.Delta.Content
			for _, tc := range c.Delta.ToolCalls {
				texts[fmt.Sprint("args", c.Index)] += tc.Function.Arguments
			}
		}
	}
	return texts
}

// TestPseudonymizeStreamRestore: a stream's restoring stage puts the
// client's values back in every choice, placeholders split across events
// ("[PER" | "SON_1]") and across reads of every size included, into
// tool-call arguments JSON-escaped (the arguments stay JSON that means
// the values); a placeholder the model invented stays as written.
func TestPseudonymizeStreamRestore(t *testing.T) {
	in := chunkEvent(0, contentDelta("Patient [PER"), "") +
		chunkEvent(1, contentDelta("Call [PHONE_1] about [PERSON_7]"), "") +
		chunkEvent(0, contentDelta("SON_1], born [DATE_"), "") +
		chunkEvent(1, contentDelta(", at [STREET_ADDRESS_"), "stop") +
		chunkEvent(0, contentDelta("1], lives at [STREET_ADDRESS_1]. [PERSON"), "") +
		chunkEvent(0, argsDelta("call_1", `{"patient":"[PERS`), "") +
		chunkEvent(0, argsDelta("", `ON_1]","dob":"[DATE_1]","addr":"[STREET_ADDRESS_1]"}`), "") +
		chunkEvent(0, `{}`, "tool_calls") +
		": warden-audit-index 7\n\n" +
		"data: [DONE]\n\n"
	wantContent0 := `Patient Jane "JJ" O'Brien, born 03/14/1961, lives at 12 Elm St\Apt 3. [PERSON`
	wantContent1 := "Call (415) 555-2671 about [PERSON_7], at [STREET_ADDRESS_"
	for _, chunk := range []int{1, 5, 13, 64, 1 << 20} {
		f := newRestoreStream(io.NopCloser(&slowReader{s: in, n: chunk}), testPseudonyms())
		b, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		out := string(b)
		texts := streamTexts(t, out)
		if texts["content0"] != wantContent0 || texts["content1"] != wantContent1 {
			t.Fatalf("reads of %d: content %q / %q", chunk, texts["content0"], texts["content1"])
		}
		var args map[string]string
		if err := json.Unmarshal([]byte(texts["args0"]), &args); err != nil {
			t.Fatalf("reads of %d: arguments are not JSON: %q", chunk, texts["args0"])
		}
		if args["patient"] != `Jane "JJ" O'Brien` || args["dob"] != "03/14/1961" || args["addr"] != `12 Elm St\Apt 3` {
			t.Fatalf("reads of %d: arguments %v", chunk, args)
		}
		if !strings.Contains(out, ": warden-audit-index 7\n\n") || !strings.HasSuffix(out, "data: [DONE]\n\n") {
			t.Fatalf("reads of %d: comments or [DONE] lost:\n%s", chunk, out)
		}
	}
}

// TestPseudonymizeStreamFirstByte: the restoring stage holds back nothing
// that cannot become a placeholder: the first event comes out as soon as
// it has come in.
func TestPseudonymizeStreamFirstByte(t *testing.T) {
	pr, pw := io.Pipe()
	f := newRestoreStream(pr, testPseudonyms())
	go pw.Write([]byte(chunkEvent(0, contentDelta("Hello [note] there"), "")))
	buf := make([]byte, 4096)
	n, err := f.Read(buf)
	if err != nil || !strings.Contains(string(buf[:n]), "Hello [note] there") {
		t.Fatalf("first read: %q %v", buf[:n], err)
	}
	pw.Close()
}

// TestPseudonymizeStreamUnreadable: an event the restoring stage cannot
// read passes as it came (it carries placeholders, not values), and the
// stream goes on.
func TestPseudonymizeStreamUnreadable(t *testing.T) {
	in := "data: not json [PERSON_1]\n\n" + chunkEvent(0, contentDelta("[PERSON_1]"), "stop") + "data: [DONE]\n\n"
	b, err := io.ReadAll(newRestoreStream(io.NopCloser(strings.NewReader(in)), testPseudonyms()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "data: not json [PERSON_1]\n\n") || streamTexts(t, string(b[len("data: not json [PERSON_1]\n\n"):]))["content0"] != `Jane "JJ" O'Brien` {
		t.Fatalf("out:\n%s", b)
	}
}

// TestPseudonymizeRelease: a whole answer is released with the values back
// in every choice and in tool-call arguments (JSON-escaped), after the
// response policy; the record's hash and the kept body are of the answer
// as the model gave it, placeholders and no value.
func TestPseudonymizeRelease(t *testing.T) {
	answer := `{"id":"[PERSON_1]","object":"chat.completion","model":"m","choices":[` +
		`{"index":0,"message":{"role":"assistant","content":"Dear [PERSON_1], we call [PHONE_1]; mail bob@example.com"},"finish_reason":"stop"},` +
		`{"index":1,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"book","arguments":"{\"who\":\"[PERSON_1]\",\"addr\":\"[STREET_ADDRESS_1]\",\"x\":\"[PERSON_9]\"}"}}]},"finish_reason":"tool_calls"}]}`
	res := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(answer))}
	p := content.NewPolicy(content.PolicyOptions{Actions: map[content.Entity]content.Action{content.Email: content.Redact}})
	var released bool
	o := &Outcome{Filter: p.NewSession(), Restore: testPseudonyms(), Keep: true,
		Release: func(int, *httperr.Error, http.Header) (string, error) { released = true; return "", nil }}
	if err := release(res, o); err != nil || !released {
		t.Fatal(err, released)
	}
	b, _ := io.ReadAll(res.Body)
	var v struct {
		ID      string
		Choices []struct {
			Message struct {
				Content   *string
				ToolCalls []struct{ Function struct{ Arguments string } } `json:"tool_calls"`
			}
		}
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("released answer is not JSON: %s", b)
	}
	if v.ID != "[PERSON_1]" {
		t.Fatalf("an id was restored: %q", v.ID)
	}
	if got := *v.Choices[0].Message.Content; got != `Dear Jane "JJ" O'Brien, we call (415) 555-2671; mail [EMAIL_1]` {
		t.Fatalf("content: %q", got)
	}
	var args map[string]string
	if err := json.Unmarshal([]byte(v.Choices[1].Message.ToolCalls[0].Function.Arguments), &args); err != nil {
		t.Fatalf("arguments: %v", err)
	}
	if args["who"] != `Jane "JJ" O'Brien` || args["addr"] != `12 Elm St\Apt 3` || args["x"] != "[PERSON_9]" {
		t.Fatalf("arguments: %v", args)
	}
	if res.ContentLength != int64(len(b)) {
		t.Fatalf("Content-Length %d for %d bytes", res.ContentLength, len(b))
	}
	for _, stored := range [][]byte{o.Body} {
		if bytes.Contains(stored, []byte("Jane")) || bytes.Contains(stored, []byte("555-2671")) {
			t.Fatalf("the kept body holds a value: %s", stored)
		}
	}
	if len(o.Response) != 2 || o.Response[0].Text != sha256.Sum256([]byte("Dear [PERSON_1], we call [PHONE_1]; mail [EMAIL_1]")) {
		t.Fatalf("the record's hash is not of the answer as the model gave it")
	}
}
