package retention_test

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/wardenhq/warden/retention"
	"github.com/wardenhq/warden/store"
)

// TestPreviewSealedAndShredded: an approval preview is stored sealed
// (nothing of it in the database file or its WAL), opens for the approver,
// is bound to its approval, lives under its classification's period (at
// least until the approval lapses), and is unreadable once the retention
// run destroys that period's key.
func TestPreviewSealedAndShredded(t *testing.T) {
	for _, c := range []struct {
		class string
		end   time.Time // the preview's period end, created at e.now = 2026-11-22 12:00
	}{
		{"confidential", time.Date(2026, 12, 23, 0, 0, 0, 0, time.UTC)}, // store: full, 30d
		{"public", time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},       // no retention: until the approval lapses, to midnight
		{"", time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},             // no classification
	} {
		t.Run(c.class, func(t *testing.T) {
			e := newEnv(t)
			const text = "summarise PREVIEW-CANARY-7f3a for [EMAIL_1]"
			a := store.Approval{ID: store.NewApprovalID(), Binding: "b", Principal: "p", Model: "m", Classification: c.class,
				Preview: text, CreatedAt: e.now, ExpiresAt: e.now.Add(time.Hour)}
			if err := e.keeper.SealPreview(ctx, &a); err != nil {
				t.Fatal(err)
			}
			if !a.PreviewExpires.Equal(c.end) || bytes.Contains(a.SealedPreview, []byte("PREVIEW-CANARY")) {
				t.Fatalf("sealed: expires %v, key %s", a.PreviewExpires, a.PreviewKey)
			}
			if _, err := e.keeper.Store.CreateApproval(ctx, a); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{e.dbPath, e.dbPath + "-wal"} {
				if b, _ := os.ReadFile(f); bytes.Contains(b, []byte("PREVIEW-CANARY")) {
					t.Fatalf("%s holds the preview in clear", f)
				}
			}
			got, _ := e.keeper.Store.GetApproval(ctx, a.ID)
			if err := e.keeper.OpenPreview(ctx, &got); err != nil || got.Preview != text {
				t.Fatalf("open: %q %v", got.Preview, err)
			}
			moved := got
			moved.ID = store.NewApprovalID() // another approval's row
			if err := e.keeper.OpenPreview(ctx, &moved); err == nil || moved.Preview != "" {
				t.Fatalf("a preview opened as another approval's: %q", moved.Preview)
			}

			e.now = c.end.Add(-time.Minute)
			if rep, err := e.keeper.Run(ctx); err != nil || rep.Previews != 0 {
				t.Fatalf("run before the period ends: %+v %v", rep, err)
			}
			e.now = c.end.Add(time.Minute)
			rep, err := e.keeper.Run(ctx)
			if err != nil || rep.Previews != 1 || len(rep.Keys) != 1 || rep.Keys[0] != a.PreviewKey {
				t.Fatalf("run after the period ends: %+v %v", rep, err)
			}
			// A copy of the row made before (a backup) no longer opens.
			if err := e.keeper.OpenPreview(ctx, &got); err != nil || got.Preview != "" {
				t.Fatalf("a shredded preview opened: %q %v", got.Preview, err)
			}
			if _, err := e.keeper.Store.GetApproval(ctx, a.ID); err != nil {
				t.Fatal(err) // the approval itself stays (ApprovalsKept)
			}
			if a.Classification == "" && a.PreviewKey[:len("kek."+retention.Unclassified)] != "kek."+retention.Unclassified {
				t.Fatalf("unclassified preview under %s", a.PreviewKey)
			}
		})
	}
}
