package auth_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/store"
)

func TestKeyFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		k := auth.NewKey()
		if len(k) != auth.KeyLen || !strings.HasPrefix(k, "wdn_") {
			t.Fatalf("bad key shape %q", k)
		}
		if !auth.WellFormed(k) {
			t.Fatalf("fresh key not well formed: %q", k)
		}
		if seen[k] {
			t.Fatal("duplicate key")
		}
		seen[k] = true
		if p := auth.VisiblePrefix(k); len(p) != auth.PrefixLen || !strings.HasPrefix(k, p) {
			t.Fatalf("prefix %q of %q", p, k)
		}
	}
}

func TestWellFormedRejects(t *testing.T) {
	k := auth.NewKey()
	flip := func(i int) string {
		b := []byte(k)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	for name, s := range map[string]string{
		"empty":          "",
		"prefix only":    "wdn_",
		"wrong prefix":   "sk-_" + k[4:],
		"short":          k[:len(k)-1],
		"long":           k + "a",
		"secret typo":    flip(10),
		"checksum typo":  flip(len(k) - 1),
		"non-base62":     k[:10] + "-" + k[11:],
		"unicode":        k[:10] + "é" + k[12:],
		"nul":            k[:10] + "\x00" + k[11:],
		"upper prefix":   "WDN_" + k[4:],
		"trailing space": k[:len(k)-1] + " ",
	} {
		if auth.WellFormed(s) {
			t.Errorf("%s: %q accepted", name, s)
		}
	}
}

func TestHasherKeyed(t *testing.T) {
	k := auth.NewKey()
	var a, b, c [32]byte
	h1 := auth.NewHasher([]byte("key one, thirty-two bytes long!!"))
	h2 := auth.NewHasher([]byte("key two, thirty-two bytes long!!"))
	if string(h1.Sum(k, &a)) != string(h1.Sum(k, &c)) {
		t.Fatal("hash not deterministic")
	}
	if string(h1.Sum(k, &a)) == string(h2.Sum(k, &b)) {
		t.Fatal("hash does not depend on the key")
	}
}

// keyring issues keys into a real SQLite store.
type keyring struct {
	t      testing.TB
	db     *store.DB
	hasher *auth.Hasher
}

func newKeyring(t testing.TB) *keyring {
	t.Helper()
	db, err := store.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &keyring{t: t, db: db, hasher: auth.NewHasher([]byte("0123456789abcdef0123456789abcdef"))}
}

func (k *keyring) issue(id string, mod func(*store.APIKey)) string {
	k.t.Helper()
	secret := auth.NewKey()
	var sum [32]byte
	key := store.APIKey{ID: id, Name: id, Role: "user", Prefix: auth.VisiblePrefix(secret), CreatedAt: time.Unix(1000, 0).UTC()}
	if mod != nil {
		mod(&key)
	}
	if err := k.db.CreateKey(context.Background(), key, store.Secret{Hash: k.hasher.Sum(secret, &sum), Prefix: key.Prefix}); err != nil {
		k.t.Fatal(err)
	}
	return secret
}

func TestAPIKeysAuthenticate(t *testing.T) {
	now := time.Unix(5000, 0).UTC()
	kr := newKeyring(t)
	valid := kr.issue("key_valid", func(k *store.APIKey) { k.Models = []string{"m-*"} })
	expired := kr.issue("key_expired", func(k *store.APIKey) { k.ExpiresAt = now.Add(-time.Second) })
	expiresNow := kr.issue("key_expires_now", func(k *store.APIKey) { k.ExpiresAt = now })
	future := kr.issue("key_future", func(k *store.APIKey) { k.ExpiresAt = now.Add(time.Hour) })
	revoked := kr.issue("key_revoked", nil)
	if err := kr.db.RevokeKey(context.Background(), "key_revoked", now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Revoked on a host whose clock runs ahead: revoked all the same.
	revokedAhead := kr.issue("key_revoked_ahead", nil)
	if err := kr.db.RevokeKey(context.Background(), "key_revoked_ahead", now.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	rotatedOld := kr.issue("key_rotated", nil)
	rotatedNew := auth.NewKey()
	var sum [32]byte
	if err := kr.db.RotateKey(context.Background(), "key_rotated", store.Secret{Hash: kr.hasher.Sum(rotatedNew, &sum), Prefix: auth.VisiblePrefix(rotatedNew)}, now); err != nil {
		t.Fatal(err)
	}
	graceOld := kr.issue("key_grace", nil)
	graceNew := auth.NewKey()
	if err := kr.db.RotateKey(context.Background(), "key_grace", store.Secret{Hash: kr.hasher.Sum(graceNew, &sum), Prefix: auth.VisiblePrefix(graceNew)}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A key hashed under another master key must not authenticate here.
	otherHasher := auth.NewHasher([]byte("another key entirely, 32 bytes!!"))
	forged := auth.NewKey()
	kr.db.CreateKey(context.Background(), store.APIKey{ID: "key_forged", Name: "f", Role: "user", Prefix: auth.VisiblePrefix(forged), CreatedAt: now},
		store.Secret{Hash: otherHasher.Sum(forged, &sum), Prefix: auth.VisiblePrefix(forged)})

	usage := auth.NewUsage()
	a := &auth.APIKeys{Keys: kr.db, Hasher: kr.hasher, Usage: usage, Now: func() time.Time { return now }}

	tests := []struct {
		name   string
		header string
		want   auth.Reason // "" = success
		keyID  string
	}{
		{"valid", "Bearer " + valid, "", "key_valid"},
		{"scheme case-insensitive", "bearer " + valid, "", "key_valid"},
		{"future expiry", "Bearer " + future, "", "key_future"},
		{"no header", "", auth.ReasonNoCredentials, ""},
		{"basic scheme", "Basic " + valid, auth.ReasonNoCredentials, ""},
		{"bare key", valid, auth.ReasonNoCredentials, ""},
		{"malformed", "Bearer wdn_abc", auth.ReasonMalformed, ""},
		{"checksum broken", "Bearer " + valid[:len(valid)-1] + flipChar(valid[len(valid)-1]), auth.ReasonMalformed, ""},
		{"unknown well-formed", "Bearer " + auth.NewKey(), auth.ReasonUnknownKey, ""},
		{"forged under another master key", "Bearer " + forged, auth.ReasonUnknownKey, ""},
		{"expired", "Bearer " + expired, auth.ReasonExpired, ""},
		{"expires exactly now", "Bearer " + expiresNow, auth.ReasonExpired, ""},
		{"revoked", "Bearer " + revoked, auth.ReasonRevoked, ""},
		{"revoked by a clock ahead of ours", "Bearer " + revokedAhead, auth.ReasonRevoked, ""},
		{"rotated out", "Bearer " + rotatedOld, auth.ReasonRotatedOut, ""},
		{"rotated new", "Bearer " + rotatedNew, "", "key_rotated"},
		{"grace old", "Bearer " + graceOld, "", "key_grace"},
		{"grace new", "Bearer " + graceNew, "", "key_grace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "/v1/models", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			id, err := a.Authenticate(context.Background(), r)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if id.KeyID != tt.keyID || id.ID != "apikey:"+tt.keyID || id.Type != "api_key" {
					t.Fatalf("identity = %+v", id)
				}
				return
			}
			var ae *auth.Error
			if !errors.As(err, &ae) || ae.Reason != tt.want {
				t.Fatalf("err = %v, want reason %s", err, tt.want)
			}
			if strings.Contains(ae.Msg, "wdn_") || strings.Contains(err.Error(), "wdn_") {
				t.Fatalf("error echoes the key: %q / %q", ae.Msg, err)
			}
		})
	}
	used := usage.Take()
	if !used["key_valid"].Equal(now) || used["key_expired"] != (time.Time{}) {
		t.Fatalf("usage = %v", used)
	}
}

func flipChar(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}

func TestUsageFlushKeepsOnFailure(t *testing.T) {
	u := auth.NewUsage()
	t0 := time.Unix(100, 0)
	u.Mark("k", t0)
	u.Mark("k", t0.Add(-time.Second)) // older: ignored
	err := u.Flush(context.Background(), func(context.Context, map[string]time.Time) error { return errors.New("down") })
	if err == nil {
		t.Fatal("want error")
	}
	var got map[string]time.Time
	u.Flush(context.Background(), func(_ context.Context, m map[string]time.Time) error { got = m; return nil })
	if !got["k"].Equal(t0) {
		t.Fatalf("got %v", got)
	}
	if u.Take() != nil {
		t.Fatal("not cleared")
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	kr := newKeyring(b)
	secret := kr.issue("key_bench", nil)
	a := &auth.APIKeys{Keys: kr.db, Hasher: kr.hasher, Usage: auth.NewUsage(), Now: time.Now}
	r, _ := http.NewRequest("GET", "/v1/models", nil)
	r.Header.Set("Authorization", "Bearer "+secret)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}
}

// countingLookup counts the lookups that reach the store.
type countingLookup struct {
	auth.KeyLookup
	n int
}

func (c *countingLookup) LookupSecret(ctx context.Context, h []byte) (store.Match, error) {
	c.n++
	return c.KeyLookup.LookupSecret(ctx, h)
}

// TestAPIKeysCache: with the store's version, a key is looked up once and
// then served from memory; a revocation or rotation made through another
// handle on the same file (as `warden keys revoke` does) is seen on the very
// next request.
func TestAPIKeysCache(t *testing.T) {
	dir := t.TempDir()
	open := func() *store.DB {
		db, err := store.Open(context.Background(), "sqlite", filepath.Join(dir, "w.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	server, cli := open(), open()
	hasher := auth.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	now := time.Now()
	secret, k, err := auth.IssueKey(context.Background(), cli, hasher, auth.KeySpec{Name: "k", Role: "user"}, now)
	if err != nil {
		t.Fatal(err)
	}
	lookups := &countingLookup{KeyLookup: server}
	a := &auth.APIKeys{Keys: lookups, Hasher: hasher, Now: func() time.Time { return now }, Version: server.KeysVersion}
	req := func(key string) (*auth.Identity, error) {
		r, _ := http.NewRequest("GET", "/v1/models", nil)
		r.Header.Set("Authorization", "Bearer "+key)
		return a.Authenticate(context.Background(), r)
	}
	for range 3 {
		if _, err := req(secret); err != nil {
			t.Fatal(err)
		}
	}
	if lookups.n != 1 {
		t.Fatalf("%d store lookups for 3 requests, want 1", lookups.n)
	}
	newSecret, err := auth.RotateKey(context.Background(), cli, hasher, k.ID, 0, now.Add(-time.Second), auth.Issuer{By: "cli:test", In: "rec_1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := req(secret); err == nil {
		t.Fatal("the rotated-out secret still works from the cache")
	}
	if _, err := req(newSecret); err != nil {
		t.Fatal(err)
	}
	if err := cli.RevokeKey(context.Background(), k.ID, now); err != nil {
		t.Fatal(err)
	}
	var ae *auth.Error
	if _, err := req(newSecret); !errors.As(err, &ae) || ae.Reason != auth.ReasonRevoked {
		t.Fatalf("after revocation by another handle: %v", err)
	}
	// Unknown keys are not cached: each costs a lookup.
	n := lookups.n
	unknown := auth.NewKey()
	req(unknown)
	req(unknown)
	if lookups.n != n+2 {
		t.Fatalf("unknown keys were cached")
	}
}
