package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/seal"
)

// expires0 is a retention end, with nanoseconds, which are kept.
var expires0 = time.Date(2026, 6, 1, 0, 0, 0, 123_456_789, time.UTC)

// sealedBytes returns the stored form of a payload sealed under key: every
// byte value, NUL included, appears in its wrapped key and ciphertext.
func sealedBytes(key string, size int) []byte {
	ct := make([]byte, size)
	for i := range ct {
		ct[i] = byte(i * 7)
	}
	dek := make([]byte, 60)
	for i := range dek {
		dek[i] = byte(255 - i)
	}
	return seal.Sealed{Key: key, WrappedDEK: dek, Ciphertext: ct}.Marshal()
}

// payload returns a payload of record id sealed under key, expiring at
// expires, with a prompt and a response.
func payload(id, key string, expires time.Time) Payload {
	return Payload{
		RecordID: id, Classification: "legal", Key: key, ExpiresAt: expires,
		Prompt: sealedBytes(key, 4096), Response: sealedBytes(key, 700),
		CreatedAt: time.Date(2026, 5, 1, 12, 0, 0, 1, time.UTC),
	}
}

func mustPut(t *testing.T, db *DB, p Payload) {
	t.Helper()
	if err := db.PutPayload(context.Background(), p); err != nil {
		t.Fatalf("PutPayload(%s): %v", p.RecordID, err)
	}
}

func mustGetPayload(t *testing.T, db *DB, id string) Payload {
	t.Helper()
	p, err := db.GetPayload(context.Background(), id)
	if err != nil {
		t.Fatalf("GetPayload(%s): %v", id, err)
	}
	return p
}

func mustPayloadKeys(t *testing.T, db *DB, before time.Time) []string {
	t.Helper()
	keys, err := db.PayloadKeys(context.Background(), before)
	if err != nil {
		t.Fatalf("PayloadKeys(%v): %v", before, err)
	}
	return keys
}

func TestPayload(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		key := seal.KeyName("legal", expires0)
		if _, err := db.GetPayload(ctx, "aud_1"); err != ErrNotFound {
			t.Errorf("GetPayload on an empty store = %v, want ErrNotFound", err)
		}

		p := payload("aud_1", key, expires0)
		mustPut(t, db, p)
		if diff := gocmp.Diff(p, mustGetPayload(t, db, "aud_1")); diff != "" {
			t.Errorf("GetPayload (-want +got):\n%s", diff)
		}
		if _, err := db.GetPayload(ctx, "aud_2"); err != ErrNotFound {
			t.Errorf("GetPayload(unknown) = %v, want ErrNotFound", err)
		}

		// A second put of the record fails, and the first payload stays.
		again := payload("aud_1", key, expires0.Add(time.Hour))
		again.Prompt = sealedBytes(key, 10)
		if err := db.PutPayload(ctx, again); err != ErrExists {
			t.Errorf("PutPayload of a stored record = %v, want ErrExists", err)
		}
		if diff := gocmp.Diff(p, mustGetPayload(t, db, "aud_1")); diff != "" {
			t.Errorf("GetPayload after a refused put (-want +got):\n%s", diff)
		}

		// No response, nil or empty: stored as none, read back as nil.
		for i, resp := range [][]byte{nil, {}} {
			id := fmt.Sprintf("aud_noresp_%d", i)
			q := payload(id, key, expires0)
			q.Response = resp
			mustPut(t, db, q)
			if got := mustGetPayload(t, db, id); got.Response != nil || !bytes.Equal(got.Prompt, q.Prompt) {
				t.Errorf("GetPayload(%s) with response %#v: response %#v, prompt equal %v; want nil and true",
					id, resp, got.Response, bytes.Equal(got.Prompt, q.Prompt))
			}
		}

		// Times come back in UTC, to the nanosecond; a zero CreatedAt is now.
		cet := time.FixedZone("CET", 3600)
		q := payload("aud_cet", key, expires0.In(cet))
		q.CreatedAt = time.Time{}
		before := time.Now()
		mustPut(t, db, q)
		after := time.Now()
		got := mustGetPayload(t, db, "aud_cet")
		if got.ExpiresAt != expires0 {
			t.Errorf("ExpiresAt = %v, want %v", got.ExpiresAt, expires0)
		}
		if got.CreatedAt.Location() != time.UTC || got.CreatedAt.Before(before.Truncate(0)) || got.CreatedAt.After(after) {
			t.Errorf("CreatedAt = %v, want now (%v to %v) in UTC", got.CreatedAt, before, after)
		}
	})
}

func TestPutPayloadInvalid(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		key := seal.KeyName("legal", expires0)
		for name, edit := range map[string]func(p *Payload){
			"no record id":          func(p *Payload) { p.RecordID = "" },
			"no classification":     func(p *Payload) { p.Classification = "" },
			"no key":                func(p *Payload) { p.Key = "" },
			"no expiry":             func(p *Payload) { p.ExpiresAt = time.Time{} },
			"no prompt":             func(p *Payload) { p.Prompt = nil },
			"plaintext prompt":      func(p *Payload) { p.Prompt = []byte(`{"messages":[{"role":"user"}]}`) },
			"plaintext response":    func(p *Payload) { p.Response = []byte(`{"choices":[]}`) },
			"prompt of another key": func(p *Payload) { p.Prompt = sealedBytes("kek.legal.20260602", 10) },
			"response of another":   func(p *Payload) { p.Response = sealedBytes("kek.other.20260601", 10) },
			"expiry out of range":   func(p *Payload) { p.ExpiresAt = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) },
			"created out of range":  func(p *Payload) { p.CreatedAt = time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC) },
		} {
			p := payload("aud_bad", key, expires0)
			edit(&p)
			err := db.PutPayload(ctx, p)
			if err == nil || errors.Is(err, ErrExists) || !strings.HasPrefix(err.Error(), "store: put payload") {
				t.Errorf("%s: PutPayload = %v, want a store: put payload error", name, err)
			}
		}
		if _, err := db.GetPayload(ctx, "aud_bad"); err != ErrNotFound {
			t.Errorf("GetPayload after refused puts = %v, want ErrNotFound", err)
		}
		if keys := mustPayloadKeys(t, db, time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)); len(keys) != 0 {
			t.Errorf("PayloadKeys after refused puts = %q, want none", keys)
		}
	})
}

// Concurrent puts of one record: exactly one succeeds.
func TestPutPayloadRace(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		key := seal.KeyName("legal", expires0)
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				p := payload("aud_race", key, expires0)
				p.Prompt = sealedBytes(key, 100+i)
				errs[i] = db.PutPayload(context.Background(), p)
			})
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch err {
			case nil:
				if won >= 0 {
					t.Errorf("puts %d and %d both succeeded", won, i)
				}
				won = i
			case ErrExists:
			default:
				t.Errorf("put %d: %v, want nil or ErrExists", i, err)
			}
		}
		if won < 0 {
			t.Fatal("no put succeeded")
		}
		if got := mustGetPayload(t, db, "aud_race"); !bytes.Equal(got.Prompt, sealedBytes(key, 100+won)) {
			t.Errorf("stored prompt is not the one of the put that succeeded (%d)", won)
		}
	})
}

func TestPayloadKeysAndDelete(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if keys := mustPayloadKeys(t, db, expires0); len(keys) != 0 {
			t.Errorf("PayloadKeys on an empty store = %q", keys)
		}
		// Keys that sort differently by bytes than by most collations.
		t0, t1, t2 := expires0, expires0.Add(time.Hour), expires0.Add(2*time.Hour)
		const (
			kA = "kek.a.20260601" // 2 payloads, at t0
			kB = "kek.B.20260601" // 1 payload, at t1
			kC = "kek.c.20260601" // 2 payloads, at t0 and t2
			kD = "kek.D.20260601" // 3 payloads, at t2
		)
		for i, p := range []Payload{
			payload("aud_a1", kA, t0), payload("aud_a2", kA, t0),
			payload("aud_b1", kB, t1),
			payload("aud_c1", kC, t0), payload("aud_c2", kC, t2),
			payload("aud_d1", kD, t2), payload("aud_d2", kD, t2), payload("aud_d3", kD, t2),
		} {
			if i%2 == 0 {
				p.Response = nil
			}
			mustPut(t, db, p)
		}
		ns := time.Nanosecond
		for _, c := range []struct {
			before time.Time
			want   []string
		}{
			{time.Time{}, nil},
			{t0.Add(-time.Hour), nil},
			{t0, nil}, // strictly before
			{t0.Add(ns), []string{kA}},
			{t1, []string{kA}},
			{t1.Add(ns), []string{kB, kA}},
			{t2, []string{kB, kA}}, // kC has a payload not yet expired
			{t2.Add(ns), []string{kB, kD, kA, kC}},
			{t2.In(time.FixedZone("CET", 3600)).Add(ns), []string{kB, kD, kA, kC}},
			{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), []string{kB, kD, kA, kC}},
		} {
			if got := mustPayloadKeys(t, db, c.before); !slices.Equal(got, c.want) {
				t.Errorf("PayloadKeys(%v) = %q, want %q", c.before, got, c.want)
			}
		}

		del := func(key string, want int64) {
			t.Helper()
			n, err := db.DeletePayloads(ctx, key)
			if err != nil || n != want {
				t.Errorf("DeletePayloads(%s) = %d, %v; want %d", key, n, err, want)
			}
		}
		del(kC, 2)
		del(kC, 0)
		del("kek.unknown.20260601", 0)
		del("", 0)
		for _, id := range []string{"aud_c1", "aud_c2"} {
			if _, err := db.GetPayload(ctx, id); err != ErrNotFound {
				t.Errorf("GetPayload(%s) after deleting its key's payloads = %v, want ErrNotFound", id, err)
			}
		}
		// The other keys' payloads are untouched.
		for _, id := range []string{"aud_a1", "aud_a2", "aud_b1", "aud_d1", "aud_d2", "aud_d3"} {
			mustGetPayload(t, db, id)
		}
		if got, want := mustPayloadKeys(t, db, t2.Add(ns)), []string{kB, kD, kA}; !slices.Equal(got, want) {
			t.Errorf("PayloadKeys after deleting %s = %q, want %q", kC, got, want)
		}
		del(kD, 3)
		del(kA, 2)
		if got, want := mustPayloadKeys(t, db, t2.Add(ns)), []string{kB}; !slices.Equal(got, want) {
			t.Errorf("PayloadKeys after deleting all but %s = %q, want %q", kB, got, want)
		}
		// The store keeps no tombstone: a deleted record can be put again.
		// (What refuses to seal under a destroyed key is the key ring's.)
		mustPut(t, db, payload("aud_a1", kA, t0))
	})
}

// TestPutPayloads: a batch stores what it can, and says per payload what it
// could not (a duplicate, a refused payload), on both drivers.
func TestPutPayloads(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		good := func(id string) Payload { return payload(id, "kek.legal.20260601", expires0) }
		if err := db.PutPayload(ctx, good("aud_dup")); err != nil {
			t.Fatal(err)
		}
		bad := good("aud_bad")
		bad.Prompt = []byte("plaintext")
		errs, err := db.PutPayloads(ctx, []Payload{good("aud_a"), good("aud_dup"), bad, good("aud_b")})
		if err != nil {
			t.Fatal(err)
		}
		if errs[0] != nil || errs[1] != ErrExists || errs[2] == nil || errs[3] != nil {
			t.Fatalf("errs %v", errs)
		}
		for _, id := range []string{"aud_a", "aud_b"} {
			if _, err := db.GetPayload(ctx, id); err != nil {
				t.Fatalf("%s: %v", id, err)
			}
		}
	})
}
