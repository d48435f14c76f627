package store

import (
	"context"
	"testing"
	"time"
)

func TestSinkCursors(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		if c, err := db.GetSinkCursor(ctx, "splunk", "o"); err != nil || c.Next != 0 {
			t.Fatalf("fresh: %+v %v", c, err)
		}
		if err := db.SinkFailed(ctx, "splunk", "o", "HTTP 503", now); err != nil {
			t.Fatal(err)
		}
		if c, _ := db.GetSinkCursor(ctx, "splunk", "o"); c.Next != 0 || c.LastError != "HTTP 503" || !c.ErrorAt.Equal(now) {
			t.Fatalf("after a failure: %+v", c)
		}
		db.AdvanceSinkCursor(ctx, "splunk", "o", 10, now)
		db.AdvanceSinkCursor(ctx, "splunk", "o", 7, now) // never backwards
		if c, _ := db.GetSinkCursor(ctx, "splunk", "o"); c.Next != 10 || c.LastError != "" || !c.ShippedAt.Equal(now) {
			t.Fatalf("advanced: %+v", c)
		}
		db.AdvanceSinkCursor(ctx, "file", "o", 3, now)
		if list, err := db.ListSinkCursors(ctx); err != nil || len(list) != 2 || list[0].Sink != "file" {
			t.Fatalf("list: %+v %v", list, err)
		}
	})
}
