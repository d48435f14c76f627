package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wardenhq/warden/seal"
)

func TestApprovals(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		a, err := db.CreateApproval(ctx, Approval{Binding: "b1", Principal: "apikey:key_1", Model: "gpt", Reasons: []string{"rule:big"},
			Preview: "summarise [EMAIL_1]", RequestID: "req_1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.LatestApproval(ctx, "b1")
		if err != nil || got.ID != a.ID || got.State(now) != ApprovalPending || got.Reasons[0] != "rule:big" || got.Preview != "" || got.SealedPreview != nil {
			t.Fatalf("latest (a preview in clear is never stored): %+v %v", got, err)
		}
		if got.State(now.Add(2*time.Hour)) != ApprovalExpired {
			t.Fatal("a pending approval past its expiry")
		}
		if err := db.UseApproval(ctx, a.ID, now); !errors.Is(err, ErrDecided) {
			t.Fatalf("using a pending approval: %v", err)
		}
		if err := db.DecideApproval(ctx, a.ID, true, "apikey:key_2", "ok", now.Add(time.Minute), now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.DecideApproval(ctx, a.ID, false, "apikey:key_2", "", now.Add(time.Minute), time.Time{}); !errors.Is(err, ErrDecided) {
			t.Fatalf("deciding twice: %v", err)
		}
		if err := db.DecideApproval(ctx, "apr_nope", true, "x", "", now, now); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
		for range 2 {
			if err := db.UseApproval(ctx, a.ID, now.Add(2*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.UseApproval(ctx, a.ID, now.Add(2*time.Hour)); !errors.Is(err, ErrDecided) {
			t.Fatalf("using a lapsed approval: %v", err)
		}
		got, _ = db.GetApproval(ctx, a.ID)
		if got.Status != ApprovalApproved || got.Uses != 2 || got.DecidedBy != "apikey:key_2" || got.Note != "ok" {
			t.Fatalf("after use: %+v", got)
		}
		late, _ := db.CreateApproval(ctx, Approval{Binding: "b2", CreatedAt: now, ExpiresAt: now.Add(time.Minute)})
		if err := db.DecideApproval(ctx, late.ID, true, "x", "", now.Add(2*time.Minute), now.Add(time.Hour)); !errors.Is(err, ErrDecided) {
			t.Fatalf("deciding a lapsed approval: %v", err)
		}
		list, err := db.ListApprovals(ctx, now.Add(-time.Hour), 10)
		if err != nil || len(list) != 2 {
			t.Fatalf("list: %d %v", len(list), err)
		}
	})
}

// TestDeleteApprovals: approvals go once they stopped mattering (lapsed,
// or their decision no longer stands); pending and standing ones stay; the
// pending count of a principal counts only pending ones.
func TestDeleteApprovals(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		mk := func(b string, expires time.Time) Approval {
			a, err := db.CreateApproval(ctx, Approval{Binding: b, Principal: "apikey:key_1", Model: "gpt", CreatedAt: now, ExpiresAt: expires})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		mk("lapsed", now.Add(time.Hour))
		standing := mk("standing", now.Add(time.Hour))
		if err := db.DecideApproval(ctx, standing.ID, true, "x", "", now, now.Add(90*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		mk("pending", now.Add(60*24*time.Hour))
		if n, err := db.CountPending(ctx, "apikey:key_1", now); err != nil || n != 2 {
			t.Fatalf("pending: %d %v", n, err)
		}
		n, err := db.DeleteApprovals(ctx, now.Add(30*24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("deleted %d: %v", n, err)
		}
		if _, err := db.LatestApproval(ctx, "lapsed"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the lapsed approval: %v", err)
		}
		for _, b := range []string{"standing", "pending"} {
			if _, err := db.LatestApproval(ctx, b); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
		}
	})
}

// TestApprovalPreviewSealed: a preview is stored only sealed, under the
// key it names; the retention run finds the keys of previews whose period
// ended, and forgets the previews once their key is destroyed.
func TestApprovalPreviewSealed(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		key := "kek.restricted.20261123"
		sealed := seal.Sealed{Key: key, WrappedDEK: []byte("wrapped"), Ciphertext: []byte("ciphertext")}.Marshal()
		base := Approval{Binding: "b", Principal: "p", Model: "m", Classification: "restricted", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}

		bad := base
		bad.SealedPreview, bad.PreviewKey, bad.PreviewExpires = []byte("summarise [EMAIL_1]"), key, now.Add(14*time.Hour)
		if _, err := db.CreateApproval(ctx, bad); err == nil {
			t.Fatal("a preview that is not sealed was stored")
		}
		bad.SealedPreview, bad.PreviewKey = sealed, "kek.restricted.20261124"
		if _, err := db.CreateApproval(ctx, bad); err == nil {
			t.Fatal("a preview sealed under another key than it names was stored")
		}

		good := base
		good.ID, good.SealedPreview, good.PreviewKey, good.PreviewExpires = NewApprovalID(), sealed, key, now.Add(14*time.Hour)
		a, err := db.CreateApproval(ctx, good)
		if err != nil || a.ID != good.ID {
			t.Fatalf("create: %+v %v", a, err)
		}
		got, err := db.GetApproval(ctx, a.ID)
		if err != nil || string(got.SealedPreview) != string(sealed) || got.PreviewKey != key || !got.PreviewExpires.Equal(good.PreviewExpires) || got.Classification != "restricted" {
			t.Fatalf("get: %+v %v", got, err)
		}
		if keys, err := db.PreviewKeys(ctx, now.Add(14*time.Hour)); err != nil || len(keys) != 0 {
			t.Fatalf("keys before the period ends: %v %v", keys, err)
		}
		if keys, err := db.PreviewKeys(ctx, now.Add(15*time.Hour)); err != nil || len(keys) != 1 || keys[0] != key {
			t.Fatalf("keys after the period ends: %v %v", keys, err)
		}
		if n, err := db.ForgetPreviews(ctx, key); err != nil || n != 1 {
			t.Fatalf("forget: %d %v", n, err)
		}
		if got, _ := db.GetApproval(ctx, a.ID); got.SealedPreview != nil || got.PreviewKey != "" {
			t.Fatalf("forgotten preview still there: %+v", got)
		}
		if keys, _ := db.PreviewKeys(ctx, now.Add(15*time.Hour)); len(keys) != 0 {
			t.Fatalf("keys after forgetting: %v", keys)
		}
	})
}
