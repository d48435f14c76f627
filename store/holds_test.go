package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestHolds(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		h, err := db.CreateHold(ctx, Hold{Case: "case-17", Principal: "apikey:key_1", Since: since, CreatedBy: "cli:alice"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateHold(ctx, Hold{}); err == nil {
			t.Fatal("a hold without a case")
		}
		active, err := db.ActiveHolds(ctx)
		if err != nil || len(active) != 1 || active[0].ID != h.ID || !active[0].Since.Equal(since) || active[0].CreatedBy != "cli:alice" {
			t.Fatalf("active: %+v %v", active, err)
		}
		if !h.Covers("apikey:key_1", "legal", since) || h.Covers("apikey:key_2", "legal", since) || h.Covers("apikey:key_1", "", since.Add(-time.Second)) {
			t.Fatal("coverage")
		}
		if err := db.ReleaseHold(ctx, h.ID, "cli:bob", time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := db.ReleaseHold(ctx, h.ID, "cli:bob", time.Now()); !errors.Is(err, ErrReleased) {
			t.Fatalf("second release: %v", err)
		}
		if err := db.ReleaseHold(ctx, "hold_nope", "x", time.Now()); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
		if active, _ := db.ActiveHolds(ctx); len(active) != 0 {
			t.Fatalf("active after release: %+v", active)
		}
		all, _ := db.ListHolds(ctx)
		if len(all) != 1 || all[0].ReleasedBy != "cli:bob" || all[0].Active() {
			t.Fatalf("list: %+v", all)
		}
	})
}
