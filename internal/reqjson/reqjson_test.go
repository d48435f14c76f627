package reqjson

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestUnmarshalExact: names are read exactly at every depth; a member that
// encoding/json would fold onto a field is an error naming the field.
func TestUnmarshalExact(t *testing.T) {
	type part struct {
		Text string `json:"text"`
	}
	type msg struct {
		Role    string `json:"role"`
		Parts   []part `json:"content"`
		Details map[string]part
	}
	type req struct {
		MaxTokens *int64          `json:"max_tokens"`
		Messages  []msg           `json:"messages"`
		Raw       json.RawMessage `json:"raw"`
		Skipped   string          `json:"-"`
	}
	for body, want := range map[string]string{
		`{"MAX_TOKENS":1}`:                              "max_tokens",
		`{"max_to\u212aens":1}`:                         "max_tokens",
		"{\"max_to\u212aens\":1}":                       "max_tokens",
		`{"messages":[{},{"ROLE":"x"}]}`:                "role",
		`{"messages":[{"content":[{"TEXT":"x"}]}]}`:     "text",
		`{"messages":[{"details":{"a":{"Text":"x"}}}]}`: "Details",
		`{"messages":[{"Details":{"a":{"tExt":"x"}}}]}`: "text",
	} {
		var r req
		err := Unmarshal([]byte(body), &r)
		var fe *FieldError
		if !errors.As(err, &fe) || !errors.Is(err, ErrCaseVariant) || fe.Name != want {
			t.Errorf("%s: %v, want a case-variant of %s", body, err, want)
		}
	}
	for _, body := range []string{
		`{"max_tokens":1,"messages":[{"role":"user","content":[{"text":"x"}],"Details":{"MAX_TOKENS":{"text":"y"}}}],"raw":{"MAX_TOKENS":2},"other":{"Role":1},"-":"x"}`,
		`{"messages":null}`, `{}`,
	} {
		var r req
		if err := Unmarshal([]byte(body), &r); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
	for _, body := range []string{`{"max_tokens":`, `{"max_tokens":"x"}`, `[`, `{"messages":[{"role":1}]}`, `{"a`} {
		var r req
		if err := Unmarshal([]byte(body), &r); err == nil || errors.Is(err, ErrCaseVariant) {
			t.Errorf("%s: %v, want json's error", body, err)
		}
	}
}

// TestCheck: case-variants of table names, at the depth the table lists
// them, and strings that break their field's grammar are refused.
func TestCheck(t *testing.T) {
	for body, want := range map[string]error{
		`{"model":"m","messages":[{"role":"user","content":"hi"}]}`:                                           nil,
		`{"model":"m","Max_Tokens":1}`:                                                                        ErrCaseVariant,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"text","Text":"x"}]}]}`:                   ErrCaseVariant,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"URL":"x"}}]}]}`: ErrCaseVariant,
		`{"model":"m","response_format":{"json_schema":{"Schema":{}}}}`:                                       ErrCaseVariant,
		`{"model":"m","response_format":{"json_schema":{"schema":{"Type":"object","TYPE":"x"}}}}`:             ErrDuplicateKey,
		`{"model":"m","messages":[{"role":"robot"}]}`:                                                         ErrFieldValue,
		`{"model":"m","messages":[{"role":"user","name":""}]}`:                                                ErrFieldValue,
		`{"model":"m","messages":[{"role":"tool","tool_call_id":""}]}`:                                        nil,
		`{"model":"m","tool_choice":{"type":"function","function":{"name":"f"}}}`:                             nil,
		`{"model":"m","tool_choice":{"type":"function","function":{"name":{"x":"y"}}}}`:                       ErrFieldValue,
	} {
		if err := Check([]byte(body)); !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", body, err, want)
		}
	}
}

// TestGrammars: the grammars of each kind, by example.
func TestGrammars(t *testing.T) {
	for _, tt := range []struct {
		k    Kind
		s    string
		want bool
	}{
		{Role, "assistant", true}, {Role, "Assistant", false}, {Role, "user ", false}, {Role, "", false},
		{Name, "get_weather-2", true}, {Name, "", false}, {Name, "a.b", false}, {Name, "é", false},
		{ID, "call_abc", true}, {ID, "functions.get_weather:0", true}, {ID, "", true}, {ID, "a b", false}, {ID, "a@b", false},
		{URL, "https://example.com/a.png", true}, {URL, "http://10.0.0.1:8080/x?y=%20", true},
		{URL, "https:///x", false}, {URL, "ftp://example.com/a", false}, {URL, "https://example.com/\u200b", false},
		{URL, "data:image/png;base64,iVBORw0KGgo=", true}, {URL, "DATA:image/jpeg;base64,/9j/", true},
		{URL, "data:image/svg+xml;base64,PHN2Zz4=", true}, {URL, "data:image/png,raw", false},
		{URL, "data:text/html;base64,PGI+", false}, {URL, "data:image/png;base64,a b", false}, {URL, "example.com/a.png", false},
		{Data, "UklGRg==", true}, {Data, "data:application/pdf;base64,JVBERi0=", true}, {Data, "hello world", false},
		{Text, "anything\n", true}, {Schema, "x", true}, {Model, "Qwen/Qwen2.5 7B", true},
	} {
		if got := Valid(tt.k, []byte(tt.s)); got != tt.want {
			t.Errorf("Valid(%d, %q) = %v", tt.k, tt.s, got)
		}
	}
}

// TestKindAt: kinds by path, arrays transparent, unknown members text.
func TestKindAt(t *testing.T) {
	for _, tt := range []struct {
		path []string
		want Kind
	}{
		{[]string{"model"}, Model},
		{[]string{"messages", "[3]", "role"}, Role},
		{[]string{"messages", "[0]", "content"}, Text},
		{[]string{"messages", "[0]", "content", "[1]", "image_url"}, URL},
		{[]string{"messages", "[0]", "content", "[1]", "image_url", "url"}, URL},
		{[]string{"messages", "[0]", "content", "[1]", "image_url", "detail"}, Name},
		{[]string{"messages", "[0]", "tool_calls", "[0]", "function", "arguments"}, Text},
		{[]string{"messages", "[0]", "x_note"}, Text},
		{[]string{"tools", "[0]", "function", "parameters", "properties", "a", "type"}, Schema},
		{[]string{"response_format", "json_schema", "name"}, Name},
		{[]string{"modalities", "[1]"}, Name},
		{[]string{"metadata", "role"}, Text},
	} {
		if got := KindAt(tt.path); got != tt.want {
			t.Errorf("KindAt(%v) = %d, want %d", tt.path, got, tt.want)
		}
	}
}

// FuzzUnmarshal: what Unmarshal reads into a struct is what an exact
// reader (a map, whose keys encoding/json matches exactly) finds under the
// field's own name: a folded member is never read.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{`{"max_tokens":1}`, `{"MAX_TOKENS":1}`, `{"max_to\u212aens":2}`, `{"messages":[{"role":"user"},{"ROLE":"x"}]}`,
		`{"max_tokens":1,"Max_Tokens":2}`, `{"messages":[{"Role":"a","role":"b"}]}`, `[]`, `{"n":"x"}`} {
		f.Add([]byte(s))
	}
	type msg struct {
		Role string `json:"role"`
	}
	type req struct {
		MaxTokens *int64 `json:"max_tokens"`
		Messages  []msg  `json:"messages"`
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r req
		if Unmarshal(data, &r) != nil {
			return
		}
		var top map[string]json.RawMessage
		if json.Unmarshal(data, &top) != nil {
			return // null
		}
		var exact req
		if raw, ok := top["max_tokens"]; ok {
			json.Unmarshal(raw, &exact.MaxTokens)
		}
		if raw, ok := top["messages"]; ok {
			var msgs []map[string]json.RawMessage
			json.Unmarshal(raw, &msgs)
			for _, mm := range msgs {
				var e msg
				if raw, ok := mm["role"]; ok {
					json.Unmarshal(raw, &e.Role)
				}
				exact.Messages = append(exact.Messages, e)
			}
		}
		if !reflect.DeepEqual(r, exact) {
			t.Fatalf("Unmarshal read %+v; by exact names %+v", r, exact)
		}
	})
}

// TestListed: only the table's own members at their place are listed;
// every other key (a schema's properties, documents, unknown members) is
// free text.
func TestListed(t *testing.T) {
	for _, c := range []struct {
		path []string
		key  string
		want bool
	}{
		{nil, "model", true},
		{nil, "documents", false},
		{[]string{"messages", "[0]"}, "role", true},
		{[]string{"messages", "[0]"}, "Role", false},
		{[]string{"messages", "[0]", "content", "[1]", "image_url"}, "url", true},
		{[]string{"tools", "[0]", "function", "parameters", "properties"}, "city", false},
		{[]string{"tools", "[0]", "function", "parameters"}, "type", false},
		{[]string{"documents", "[0]"}, "text", false},
		{[]string{"metadata"}, "team", false},
	} {
		if got := Listed(c.path, []byte(c.key)); got != c.want {
			t.Errorf("Listed(%v, %q) = %v, want %v", c.path, c.key, got, c.want)
		}
	}
}

func TestDataText(t *testing.T) {
	long := strings.Repeat("héllo wörld, ", 200)
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"data:text/plain;base64," + base64.StdEncoding.EncodeToString([]byte("key sk-proj-x\n")), "key sk-proj-x\n", true},
		{base64.StdEncoding.EncodeToString([]byte(long)), long, true},
		{base64.RawURLEncoding.EncodeToString([]byte("a>b?c")), "a>b?c", true},
		{"data:application/pdf;base64," + base64.StdEncoding.EncodeToString([]byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")), "", false},
		{base64.StdEncoding.EncodeToString([]byte("RIFF\x00\x00WAVE")), "", false},
		{base64.StdEncoding.EncodeToString([]byte("\x89PNG" + long)), "", false},
		{"data:text/plain,hello", "", false},
		{"", "", false},
	} {
		got, ok := DataText([]byte(c.in))
		if ok != c.ok || string(got) != c.want {
			t.Errorf("DataText(%.40q) = %.40q, %v; want %.40q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
