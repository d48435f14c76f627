package store

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// t0 has nanoseconds, to show that times round-trip exactly.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// newKey returns a key and its first secret, named n, created at t0+d.
func newKey(n int, d time.Duration) (APIKey, Secret) {
	k := APIKey{
		ID:        fmt.Sprintf("key_%03d", n),
		Name:      fmt.Sprintf("key %d", n),
		Role:      "dev",
		CreatedAt: t0.Add(d),
	}
	s := Secret{Hash: hashOf(k.ID + "/0"), Prefix: fmt.Sprintf("wdn_%03d0", n)}
	return k, s
}

func mustCreate(t *testing.T, db *DB, k APIKey, s Secret) {
	t.Helper()
	if err := db.CreateKey(context.Background(), k, s); err != nil {
		t.Fatalf("CreateKey(%s): %v", k.ID, err)
	}
}

func mustLookup(t *testing.T, db *DB, hash []byte) Match {
	t.Helper()
	m, err := db.LookupSecret(context.Background(), hash)
	if err != nil {
		t.Fatalf("LookupSecret: %v", err)
	}
	return m
}

func mustGet(t *testing.T, db *DB, id string) APIKey {
	t.Helper()
	k, err := db.GetKey(context.Background(), id)
	if err != nil {
		t.Fatalf("GetKey(%s): %v", id, err)
	}
	return k
}

func TestCreateLookup(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		paris := time.FixedZone("CET", 3600)
		k := APIKey{
			ID: "key_abc", Name: "ci bot", Role: "dev", Models: []string{"gpt-*", "demo"},
			RPM: 60, TPM: 100000, TokensPerDay: 1 << 40, TokensPerMonth: 7, MaxPromptTokens: 8, MaxTokens: 9,
			CreatedAt: t0.In(paris), // stored as UTC, returned as UTC
			ExpiresAt: t0.Add(90 * 24 * time.Hour),
			CreatedBy: "apikey:key_maker",
		}
		s := Secret{Hash: hashOf("wdn_abc"), Prefix: "wdn_abc", IssuedBy: "apikey:key_maker", IssuedIn: "aud_1"}
		mustCreate(t, db, k, s)

		want := k
		want.Prefix, want.CreatedAt = s.Prefix, t0
		wantSecret := s
		wantSecret.CreatedAt = t0
		got := mustLookup(t, db, s.Hash)
		if diff := cmp.Diff(Match{Key: want, Secret: wantSecret}, got); diff != "" {
			t.Errorf("LookupSecret (-want +got):\n%s", diff)
		}
		for _, tm := range []time.Time{got.Key.CreatedAt, got.Key.ExpiresAt, got.Secret.CreatedAt} {
			if tm != tm.UTC() || tm.Nanosecond() != t0.Nanosecond() {
				t.Errorf("time %v: not exactly the UTC time stored", tm)
			}
		}
		if diff := cmp.Diff(want, mustGet(t, db, k.ID)); diff != "" {
			t.Errorf("GetKey (-want +got):\n%s", diff)
		}

		// A failed create leaves nothing behind.
		k2 := k
		k2.ID = "key_def"
		if err := db.CreateKey(ctx, k2, s); err == nil {
			t.Errorf("CreateKey with a duplicate hash: no error")
		}
		if _, err := db.GetKey(ctx, k2.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetKey after failed create: %v, want ErrNotFound", err)
		}
		if err := db.CreateKey(ctx, k, Secret{Hash: hashOf("other"), Prefix: "wdn_oth"}); err == nil {
			t.Errorf("CreateKey with a duplicate id: no error")
		}
	})
}

func TestCreateInvalid(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		k, s := newKey(1, 0)
		for name, tc := range map[string]struct {
			k APIKey
			s Secret
		}{
			"no id":          {APIKey{Role: "dev", CreatedAt: t0}, s},
			"no created_at":  {APIKey{ID: "key_x", Role: "dev"}, s},
			"no hash":        {k, Secret{Prefix: "wdn_x"}},
			"expiry too far": {APIKey{ID: "key_x", CreatedAt: t0, ExpiresAt: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, s},
		} {
			if err := db.CreateKey(ctx, tc.k, tc.s); err == nil {
				t.Errorf("CreateKey %s: no error", name)
			}
		}
		if keys, err := db.ListKeys(ctx); err != nil || len(keys) != 0 {
			t.Errorf("ListKeys = %v, %v; want none", keys, err)
		}
	})
}

func TestNotFound(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if _, err := db.LookupSecret(ctx, hashOf("nope")); err != ErrNotFound {
			t.Errorf("LookupSecret(unknown) = %v, want ErrNotFound", err)
		}
		if _, err := db.GetKey(ctx, "key_nope"); err != ErrNotFound {
			t.Errorf("GetKey(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func TestListKeys(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if keys, err := db.ListKeys(ctx); err != nil || len(keys) != 0 {
			t.Fatalf("ListKeys on empty store = %v, %v", keys, err)
		}
		// Created out of order; 2 and 3 share a time, so id breaks the tie.
		var want []APIKey
		for _, c := range []struct {
			n int
			d time.Duration
		}{{4, 3 * time.Hour}, {3, time.Hour}, {1, 2 * time.Hour}, {2, time.Hour}, {5, -time.Nanosecond}} {
			k, s := newKey(c.n, c.d)
			mustCreate(t, db, k, s)
			k.Prefix = s.Prefix
			want = append(want, k)
		}
		want = []APIKey{want[4], want[3], want[1], want[2], want[0]}
		got, err := db.ListKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ListKeys (-want +got):\n%s", diff)
		}
	})
}

func TestModelsRoundTrip(t *testing.T) {
	for _, models := range [][]string{
		nil, {"demo"}, {"gpt-*", "contract-*"}, {""}, {`a"b`, `c\d`, "<&>", "é", "x,y", "[z]"},
	} {
		enc, err := encodeModels(models)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeModels(enc)
		if err != nil {
			t.Fatalf("decodeModels(%s): %v", enc, err)
		}
		if diff := cmp.Diff(models, got); diff != "" {
			t.Errorf("models %q via %s (-want +got):\n%s", models, enc, diff)
		}
	}
}

// FuzzDecodeModels checks the direct split against encoding/json: whatever it
// accepts, encoding/json decodes to the same strings.
func FuzzDecodeModels(f *testing.F) {
	for _, s := range []string{`[]`, `["a"]`, `["a","b"]`, `[""]`, `["a",]`, `["a" ,"b"]`, `["\u0041"]`, `[1]`, `{}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := splitSimple(s)
		if !ok {
			return
		}
		var want []string
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("splitSimple accepted %q, which encoding/json rejects: %v", s, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("splitSimple(%q) (-json +got):\n%s", s, diff)
		}
	})
}

// TestSecretIssuers: the recorded issuers of a key's secrets still valid
// at a time, each once; an expired secret's issuer no longer counts, nor
// does an unrecorded one ("").
func TestSecretIssuers(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		k, s := newKey(1, 0)
		s.IssuedBy = "apikey:key_maker"
		mustCreate(t, db, k, s)
		if err := db.RotateKey(ctx, k.ID, Secret{Hash: hashOf("r1"), Prefix: "wdn_r1", IssuedBy: "oidc:rotator"}, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			at   time.Time
			want []string
		}{
			{t0, []string{"apikey:key_maker", "oidc:rotator"}},
			{t0.Add(2 * time.Hour), []string{"oidc:rotator"}},
		} {
			got, err := db.SecretIssuers(ctx, k.ID, c.at)
			slices.Sort(got)
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("SecretIssuers at %v: %v, %v; want %v", c.at, got, err, c.want)
			}
		}
		if got, err := db.SecretIssuers(ctx, "key_none", t0); err != nil || len(got) != 0 {
			t.Errorf("an unknown key: %v, %v", got, err)
		}
	})
}
