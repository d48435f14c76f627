package reqjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// Unmarshal is json.Unmarshal reading member names exactly, as OpenAI's
// servers do. encoding/json gives a struct field the member whose name
// equals the field's under Unicode case folding ("MAX_TOKENS", "Max_Tokens"
// and "max_to\u212aens" all fill `json:"max_tokens"`); where data has such
// a member for any struct field v would fill, at any depth, Unmarshal
// fills nothing and returns a *FieldError (ErrCaseVariant) naming the
// field. Every decoder of a request body for a decision should use it.
func Unmarshal(data []byte, v any) error {
	if err := Exact(data, v); err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// Exact is Unmarshal's check alone, for a caller that decodes data into v
// itself (with a json.Decoder that refuses unknown fields, say).
func Exact(data []byte, v any) error {
	if t := reflect.TypeOf(v); t != nil {
		if _, err := exact(data, skipSpace(data, 0), t); err != nil {
			return err
		}
	}
	return nil
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// exact checks the value at data[i], to be decoded into a t, and returns
// the index just past it. Malformed JSON is left for json.Unmarshal to
// report: exact stops at the end of data.
func exact(data []byte, i int, t reflect.Type) (int, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if i >= len(data) {
		return len(data), nil
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return skipValue(data, i), nil // it reads its own JSON (json.RawMessage): checked where it is decoded
	}
	switch {
	case data[i] == '{' && (t.Kind() == reflect.Struct || t.Kind() == reflect.Map):
		return exactObject(data, i, t)
	case data[i] == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		j := skipSpace(data, i+1)
		for n := 0; j < len(data) && data[j] != ']'; n++ {
			if data[j] == ',' {
				j = skipSpace(data, j+1)
			}
			var err error
			if j, err = exact(data, j, t.Elem()); err != nil {
				return j, err.(*FieldError).in(indexName(n))
			}
			j = skipSpace(data, j)
		}
		return j + 1, nil
	}
	return skipValue(data, i), nil
}

// exactObject checks an object to be decoded into a struct or a map.
func exactObject(data []byte, i int, t reflect.Type) (int, error) {
	var fields map[string]reflect.Type
	var names []string
	if t.Kind() == reflect.Struct {
		fields, names = structFields(t)
	}
	j := skipSpace(data, i+1)
	for j < len(data) && data[j] != '}' {
		if data[j] == ',' {
			j = skipSpace(data, j+1)
		}
		if j >= len(data) || data[j] != '"' {
			return len(data), nil
		}
		ks := j
		if j = skipString(data, j); j >= len(data) {
			return len(data), nil
		}
		key := unescape(data[ks:j])
		var ft reflect.Type
		if t.Kind() == reflect.Map {
			ft = t.Elem() // map keys are matched exactly
		} else if ft = fields[string(key)]; ft == nil {
			for _, name := range names {
				if bytes.EqualFold(key, []byte(name)) {
					return j, &FieldError{Err: ErrCaseVariant, Name: name}
				}
			}
		}
		j = skipSpace(data, j)
		if j >= len(data) || data[j] != ':' {
			return len(data), nil
		}
		j = skipSpace(data, j+1)
		if ft == nil {
			j = skipValue(data, j)
		} else {
			var err error
			if j, err = exact(data, j, ft); err != nil {
				return j, err.(*FieldError).in(string(key))
			}
		}
		j = skipSpace(data, j)
	}
	return j + 1, nil
}

type structInfo struct {
	fields map[string]reflect.Type
	names  []string
}

var structCache sync.Map // reflect.Type -> structInfo

// structFields returns the JSON names of t's fields as encoding/json
// reads them (the tag's name, else the Go name), and their types.
func structFields(t reflect.Type) (map[string]reflect.Type, []string) {
	if si, ok := structCache.Load(t); ok {
		return si.(structInfo).fields, si.(structInfo).names
	}
	si := structInfo{fields: map[string]reflect.Type{}}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			name, _, _ := strings.Cut(tag, ",")
			if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
				add(sf.Type) // its fields are promoted
				continue
			}
			if !sf.IsExported() || tag == "-" {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			si.fields[name] = sf.Type
			si.names = append(si.names, name)
		}
	}
	add(t)
	structCache.Store(t, si)
	return si.fields, si.names
}
