package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRotateKey(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		k, s0 := newKey(1, 0)
		mustCreate(t, db, k, s0)

		// First rotation: s0 ends at end1, s1 is current.
		end1 := t0.Add(24 * time.Hour)
		s1 := Secret{Hash: hashOf("s1"), Prefix: "wdn_s1", CreatedAt: t0.Add(time.Hour), IssuedBy: "oidc:https://idp#bob", IssuedIn: "aud_rot"}
		if err := db.RotateKey(ctx, k.ID, s1, end1); err != nil {
			t.Fatalf("RotateKey: %v", err)
		}
		if got := mustLookup(t, db, s0.Hash).Secret.NotAfter; !got.Equal(end1) {
			t.Errorf("old secret NotAfter = %v, want %v", got, end1)
		}
		m := mustLookup(t, db, s1.Hash)
		if diff := cmp.Diff(s1, m.Secret); diff != "" {
			t.Errorf("new secret (-want +got):\n%s", diff)
		}
		if m.Key.Prefix != s1.Prefix || mustGet(t, db, k.ID).Prefix != s1.Prefix {
			t.Errorf("key prefix = %q, want %q", m.Key.Prefix, s1.Prefix)
		}

		// A later end does not extend s0; s1 gets it.
		end2 := t0.Add(48 * time.Hour)
		s2 := Secret{Hash: hashOf("s2"), Prefix: "wdn_s2", CreatedAt: t0.Add(2 * time.Hour)}
		if err := db.RotateKey(ctx, k.ID, s2, end2); err != nil {
			t.Fatalf("RotateKey: %v", err)
		}
		// An earlier end shortens both, and s2; s3 has its own end.
		end3 := t0.Add(3 * time.Hour)
		s3 := Secret{Hash: hashOf("s3"), Prefix: "wdn_s3", CreatedAt: end3, NotAfter: t0.Add(1000 * time.Hour)}
		if err := db.RotateKey(ctx, k.ID, s3, end3); err != nil {
			t.Fatalf("RotateKey: %v", err)
		}
		for _, c := range []struct {
			hash []byte
			want time.Time
		}{{s0.Hash, end3}, {s1.Hash, end3}, {s2.Hash, end3}, {s3.Hash, s3.NotAfter}} {
			if got := mustLookup(t, db, c.hash).Secret.NotAfter; !got.Equal(c.want) {
				t.Errorf("NotAfter = %v, want %v", got, c.want)
			}
		}

		// A zero CreatedAt means now.
		s4 := Secret{Hash: hashOf("s4"), Prefix: "wdn_s4"}
		before := time.Now()
		if err := db.RotateKey(ctx, k.ID, s4, end3); err != nil {
			t.Fatalf("RotateKey: %v", err)
		}
		if got := mustLookup(t, db, s4.Hash).Secret.CreatedAt; got.Before(before.Truncate(time.Second)) {
			t.Errorf("CreatedAt = %v, want about now", got)
		}
	})
}

func TestRotateRefused(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		k, s0 := newKey(1, 0)
		mustCreate(t, db, k, s0)
		if err := db.RevokeKey(ctx, k.ID, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		s1 := Secret{Hash: hashOf("s1"), Prefix: "wdn_s1", CreatedAt: t0}
		end := t0.Add(time.Hour)
		if err := db.RotateKey(ctx, k.ID, s1, end); !errors.Is(err, ErrRevoked) {
			t.Errorf("RotateKey(revoked) = %v, want ErrRevoked", err)
		}
		if err := db.RotateKey(ctx, "key_nope", s1, end); !errors.Is(err, ErrNotFound) {
			t.Errorf("RotateKey(unknown) = %v, want ErrNotFound", err)
		}
		// Nothing changed.
		if _, err := db.LookupSecret(ctx, s1.Hash); err != ErrNotFound {
			t.Errorf("LookupSecret(refused secret) = %v, want ErrNotFound", err)
		}
		m := mustLookup(t, db, s0.Hash)
		if !m.Secret.NotAfter.IsZero() || m.Key.Prefix != s0.Prefix {
			t.Errorf("after refused rotations: NotAfter %v, prefix %q; want unchanged", m.Secret.NotAfter, m.Key.Prefix)
		}
	})
}

func TestRevokeKey(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		k, s := newKey(1, 0)
		mustCreate(t, db, k, s)
		first := t0.Add(time.Hour)
		for _, at := range []time.Time{first, first.Add(time.Hour), first.Add(-time.Minute)} {
			if err := db.RevokeKey(ctx, k.ID, at); err != nil {
				t.Fatalf("RevokeKey(%v): %v", at, err)
			}
			m := mustLookup(t, db, s.Hash)
			if !m.Key.Revoked() || !m.Key.RevokedAt.Equal(first) {
				t.Errorf("RevokedAt = %v, want the first revocation %v", m.Key.RevokedAt, first)
			}
		}
		if err := db.RevokeKey(ctx, "key_nope", first); err != ErrNotFound {
			t.Errorf("RevokeKey(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func TestTouchKeys(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		k1, s1 := newKey(1, 0)
		k2, s2 := newKey(2, 0)
		mustCreate(t, db, k1, s1)
		mustCreate(t, db, k2, s2)
		t1, t2, t3 := t0.Add(time.Minute), t0.Add(2*time.Minute), t0.Add(3*time.Minute)

		steps := []struct {
			used     map[string]time.Time
			want1    time.Time
			want2    time.Time
			unknowns bool
		}{
			{nil, time.Time{}, time.Time{}, false},
			{map[string]time.Time{k1.ID: t2, "key_nope": t3}, t2, time.Time{}, true},
			{map[string]time.Time{k1.ID: t1, k2.ID: t1}, t2, t1, false}, // earlier: k1 keeps t2
			{map[string]time.Time{k1.ID: t3, k2.ID: {}}, t3, t1, false}, // zero time ignored
		}
		for i, st := range steps {
			if err := db.TouchKeys(ctx, st.used); err != nil {
				t.Fatalf("step %d: TouchKeys: %v", i, err)
			}
			if got := mustGet(t, db, k1.ID).LastUsedAt; !got.Equal(st.want1) {
				t.Errorf("step %d: %s LastUsedAt = %v, want %v", i, k1.ID, got, st.want1)
			}
			if got := mustGet(t, db, k2.ID).LastUsedAt; !got.Equal(st.want2) {
				t.Errorf("step %d: %s LastUsedAt = %v, want %v", i, k2.ID, got, st.want2)
			}
		}
		if _, err := db.GetKey(ctx, "key_nope"); err != ErrNotFound {
			t.Errorf("TouchKeys created an unknown key: %v", err)
		}
	})
}
