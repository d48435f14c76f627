package verify_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/wardenhq/warden/auditlog/verify"
)

func makeBundle(t testing.TB, indexes ...uint64) (*verify.Bundle, []byte) {
	t.Helper()
	dir := fixture(t, 1000)
	cp := readCheckpoint(t, dir)
	b, err := verify.MakeBundle(ctx, verify.Dir(dir), cp, testKey+"\n", indexes)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return b, data
}

func TestBundleRoundTrip(t *testing.T) {
	t.Parallel()
	_, data := makeBundle(t, 0, 5, 255, 256, 999, 5)
	// The wire format, field by field.
	var raw struct {
		Format     string `json:"format"`
		Key        string `json:"key"`
		Checkpoint string `json:"checkpoint"`
		Records    []struct {
			Index uint64   `json:"index"`
			Entry string   `json:"entry"`
			Proof []string `json:"proof"`
		} `json:"records"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Format != "warden-audit-bundle/v1" || raw.Key != testKey || !strings.HasPrefix(raw.Checkpoint, testOrigin+"\n1000\n") || len(raw.Records) != 6 {
		t.Fatalf("bundle %s", data)
	}
	if r := raw.Records[4]; r.Index != 999 || r.Entry != string(entry(999)) || len(r.Proof) != 8 || len(r.Proof[0]) != 44 {
		t.Fatalf("record %+v", r)
	}

	b, err := verify.ParseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := b.Verify(testKey)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != 1000 {
		t.Fatalf("checkpoint %+v", cp)
	}

	// A one-entry log has empty proofs, as [].
	one := fixture(t, 1)
	b1, err := verify.MakeBundle(ctx, verify.Dir(one), readCheckpoint(t, one), testKey, []uint64{0})
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := json.Marshal(b1)
	if !bytes.Contains(d1, []byte(`"proof":[]`)) {
		t.Fatalf("bundle %s", d1)
	}
	if b1, err = verify.ParseBundle(d1); err != nil {
		t.Fatal(err)
	}
	if _, err := b1.Verify(testKey); err != nil {
		t.Fatal(err)
	}

	// No records: just a checkpoint.
	b0, err := verify.MakeBundle(ctx, verify.Dir(one), readCheckpoint(t, one), testKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b0.Verify(testKey); err != nil {
		t.Fatal(err)
	}

	// MakeBundle refuses a key that did not sign the checkpoint, and indexes
	// past it.
	dir := fixture(t, 1000)
	cp1000 := readCheckpoint(t, dir)
	_, err = verify.MakeBundle(ctx, verify.Dir(dir), cp1000, otherKey, []uint64{1})
	wantError(t, err, verify.BadSignature, -1)
	_, err = verify.MakeBundle(ctx, verify.Dir(dir), cp1000, testKey, []uint64{1000})
	wantError(t, err, verify.BadRequest, 1000)
}

func TestBundleTampered(t *testing.T) {
	t.Parallel()
	orig, _ := makeBundle(t, 3, 300, 998)
	edit := func(f func(b *verify.Bundle)) []byte {
		c := *orig
		c.Records = nil
		for _, r := range orig.Records {
			r.Proof = append(tlog.RecordProof(nil), r.Proof...)
			c.Records = append(c.Records, r)
		}
		f(&c)
		data, err := json.Marshal(&c)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	verifyData := func(data []byte, key string) error {
		b, err := verify.ParseBundle(data)
		if err != nil {
			return err
		}
		_, err = b.Verify(key)
		return err
	}

	t.Run("entry edited", func(t *testing.T) {
		data := edit(func(b *verify.Bundle) {
			b.Records[1].Entry = strings.Replace(b.Records[1].Entry, `"allow"`, `"deny"`, 1)
		})
		wantError(t, verifyData(data, testKey), verify.BadProof, 300, "record 1", "entry 300")
	})
	t.Run("whitespace added", func(t *testing.T) {
		data := edit(func(b *verify.Bundle) { b.Records[0].Entry += " " })
		wantError(t, verifyData(data, testKey), verify.BadProof, 3)
	})
	t.Run("index changed", func(t *testing.T) {
		data := edit(func(b *verify.Bundle) { b.Records[2].Index = 999 })
		wantError(t, verifyData(data, testKey), verify.BadProof, 999)
		data = edit(func(b *verify.Bundle) { b.Records[2].Index = 1998 })
		wantError(t, verifyData(data, testKey), verify.BadRequest, 1998)
	})
	t.Run("records swapped", func(t *testing.T) {
		data := edit(func(b *verify.Bundle) {
			b.Records[0].Entry, b.Records[1].Entry = b.Records[1].Entry, b.Records[0].Entry
		})
		wantError(t, verifyData(data, testKey), verify.BadProof, 3)
	})
	t.Run("proof edited", func(t *testing.T) {
		data := edit(func(b *verify.Bundle) { b.Records[0].Proof[2][7] ^= 0x80 })
		wantError(t, verifyData(data, testKey), verify.BadProof, 3)
		data = edit(func(b *verify.Bundle) { b.Records[0].Proof = b.Records[0].Proof[1:] })
		wantError(t, verifyData(data, testKey), verify.BadProof, 3)
	})
	t.Run("checkpoint from another log", func(t *testing.T) {
		// Same records, a checkpoint of another log with that log's key:
		// refused because the caller trusts testKey, not the bundle's key.
		other := signCheckpoint(t, otherSigner, "other.example/audit", 1000, orig.Records[0].Proof[0])
		data := edit(func(b *verify.Bundle) { b.Checkpoint, b.Key = string(other), otherKey })
		wantError(t, verifyData(data, testKey), verify.BadKey, -1, "not the trusted key")
		// Keeping the trusted key's name in the bundle does not help.
		data = edit(func(b *verify.Bundle) { b.Checkpoint = string(other) })
		wantError(t, verifyData(data, testKey), verify.BadSignature, -1)
	})
	t.Run("checkpoint edited", func(t *testing.T) {
		data := edit(func(b *verify.Bundle) { b.Checkpoint = strings.Replace(b.Checkpoint, "\n1000\n", "\n1001\n", 1) })
		wantError(t, verifyData(data, testKey), verify.BadSignature, -1)
	})
	t.Run("forged checkpoint, same name", func(t *testing.T) {
		s, k := mustKey(testOrigin)
		root := tlog.Hash(sha256.Sum256([]byte("x")))
		data := edit(func(b *verify.Bundle) { b.Checkpoint, b.Key = string(signCheckpoint(t, s, testOrigin, 1000, root)), k })
		wantError(t, verifyData(data, testKey), verify.BadKey, -1)
	})
	t.Run("untrusted", func(t *testing.T) {
		data := edit(func(*verify.Bundle) {})
		wantError(t, verifyData(data, otherKey), verify.BadKey, -1)
	})
	t.Run("format", func(t *testing.T) {
		data := edit(func(b *verify.Bundle) { b.Format = "warden-audit-bundle/v2" })
		wantError(t, verifyData(data, testKey), verify.Malformed, -1, "v2")
		wantError(t, verifyData([]byte(`{"format":"warden-audit-bundle/v1","records":[{"index":-1}]}`), testKey), verify.Malformed, -1)
		wantError(t, verifyData([]byte(`{"format":"warden-audit-bundle/v1","records":[{"proof":["AAAA"]}]}`), testKey), verify.Malformed, -1)
		wantError(t, verifyData([]byte(`{"format":"warden-audit-bundle/v1"} x`), testKey), verify.Malformed, -1)
		var nilBundle *verify.Bundle
		if _, err := nilBundle.Verify(testKey); err == nil {
			t.Fatal("nil bundle verified")
		}
	})
}

func FuzzBundle(f *testing.F) {
	_, data := makeBundle(f, 0, 300, 999)
	f.Add(data)
	f.Add([]byte(`{"format":"warden-audit-bundle/v1","key":"` + testKey + `","checkpoint":"","records":[{"index":18446744073709551615,"entry":"","proof":[]}]}`))
	f.Add([]byte(`{"format":"warden-audit-bundle/v1","key":"` + testKey + `","records":[{"index":0,"proof":null}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := verify.ParseBundle(data)
		if err != nil {
			return
		}
		cp, err := b.Verify(testKey)
		if err != nil {
			return
		}
		// Whatever verifies was made by us: its records are log entries.
		for _, r := range b.Records {
			if r.Index >= cp.Size || r.Entry != string(entry(int(r.Index))) {
				t.Fatalf("verified a forged record %+v", r)
			}
		}
	})
}
