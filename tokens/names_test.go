package tokens

import (
	"reflect"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/reqjson"
)

// TestNamesInTable: every name the estimate reads is a field of
// reqjson.Request where the estimate reads it, so the parser refuses its
// case-variants with a message naming it (and the two cannot drift).
func TestNamesInTable(t *testing.T) {
	var check func(typ reflect.Type, at *reqjson.Field, where string)
	check = func(typ reflect.Type, at *reqjson.Field, where string) {
		t.Helper()
		for i := range typ.NumField() {
			if typ.Field(i).Anonymous {
				check(typ.Field(i).Type, at, where) // promoted fields
				continue
			}
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if at.Member(name) == nil {
				t.Errorf("the estimate reads %s%s, which reqjson.Request does not list", where, name)
			}
		}
	}
	check(reflect.TypeFor[request](), reqjson.Request, "")
	check(reflect.TypeFor[completionLimits](), reqjson.Request, "")
	msg := reqjson.Request.Member("messages")
	check(reflect.TypeFor[message](), msg, "messages[].")
	part := msg.Member("content")
	check(reflect.TypeFor[contentPart](), part, "messages[].content[].")
	check(reflect.TypeFor[imageURL](), part.Member("image_url"), "messages[].content[].image_url.")
}
