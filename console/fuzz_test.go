package console

import (
	"strings"
	"testing"
)

// FuzzLocalPath: whatever a RelayState or next parameter says, the
// redirect target stays a path within /console/.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/console/audit", "//evil", "/console/../x", "https://x/console/", "/console/\\x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := LocalPath(s)
		if !strings.HasPrefix(p, "/console/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") || strings.Contains(p, "/../") {
			t.Fatalf("LocalPath(%q) = %q", s, p)
		}
	})
}

// FuzzParseMetadata: IdP metadata never panics the parser.
func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><IDPSSODescriptor/></EntityDescriptor>`))
	f.Add([]byte(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"></EntitiesDescriptor>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseMetadata(b)
	})
}

// FuzzEntryBytes: an indexed record either yields its entry or an error.
func FuzzEntryBytes(f *testing.F) {
	f.Add([]byte(`{"index":1,"origin":"o","id":"a"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := entryBytes(b); err == nil && (len(e) == 0 || e[0] != '{') {
			t.Fatalf("entry %q", e)
		}
	})
}
