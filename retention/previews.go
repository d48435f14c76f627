package retention

import (
	"context"
	"errors"
	"time"

	"github.com/wardenhq/warden/seal"
	"github.com/wardenhq/warden/store"
)

// Approval previews (what an approver sees of a held request: its prompt,
// redacted) are data at rest like payloads, and kept like them: sealed
// under the KEK of the request's classification and period, bound to the
// approval's id, and destroyed with that key. The store never holds one in
// clear, whatever the classification says to keep (store: none included).

// Unclassified is the classification previews of requests to a model with
// none are sealed under. It is not a name a configuration can give (those
// begin with a letter or digit), so its keys are no classification's.
const Unclassified = "_unclassified"

// previewClass is the classification a's preview is sealed under.
func previewClass(a *store.Approval) string {
	if a.Classification == "" {
		return Unclassified
	}
	return a.Classification
}

// previewRecord is what a preview's associated data binds it to.
func previewRecord(a *store.Approval) string { return a.ID + "/preview" }

// PreviewEnd is when the period of a preview made at t ends: the end of
// its classification's retention period (as for a payload made then), but
// never before the approval lapses (expires), so that the approver can
// read it while it waits.
func (k *Keeper) PreviewEnd(classification string, t, expires time.Time) time.Time {
	var retention time.Duration
	if c := k.class(classification); c != nil {
		retention = c.Retention.D(0)
	}
	end := PeriodEnd(t, retention)
	if end.Before(expires) {
		end = PeriodEnd(expires, 0)
	}
	return end
}

// SealPreview seals a.Preview for the approval a (its ID, Classification,
// CreatedAt and ExpiresAt set): it sets SealedPreview, PreviewKey and
// PreviewExpires. An empty preview is kept as none.
func (k *Keeper) SealPreview(ctx context.Context, a *store.Approval) error {
	if a.Preview == "" {
		a.SealedPreview, a.PreviewKey, a.PreviewExpires = nil, "", time.Time{}
		return nil
	}
	class := previewClass(a)
	end := k.PreviewEnd(a.Classification, a.CreatedAt, a.ExpiresAt)
	key := seal.KeyName(class, end)
	s, err := k.Sealer.Seal(ctx, key, previewRecord(a), class, []byte(a.Preview))
	if err != nil {
		return err
	}
	a.SealedPreview, a.PreviewKey, a.PreviewExpires = s.Marshal(), key, end
	return nil
}

// OpenPreview sets a.Preview from a.SealedPreview. A preview whose key was
// destroyed (its period ended), or that was never kept, opens as "" with
// no error; one that cannot be opened otherwise (tampered, moved to
// another approval) is an error, as is a key service that fails.
func (k *Keeper) OpenPreview(ctx context.Context, a *store.Approval) error {
	a.Preview = ""
	if len(a.SealedPreview) == 0 {
		return nil
	}
	s, err := seal.Unmarshal(a.SealedPreview)
	if err != nil {
		return err
	}
	p, err := k.Sealer.Open(ctx, s, previewRecord(a), previewClass(a))
	if errors.Is(err, seal.ErrShredded) {
		return nil
	}
	if err != nil {
		return err
	}
	a.Preview = string(p)
	return nil
}

// OpenPreviews opens the preview of each approval in list (OpenPreview),
// and returns the first error.
func (k *Keeper) OpenPreviews(ctx context.Context, list []store.Approval) error {
	var first error
	for i := range list {
		if err := k.OpenPreview(ctx, &list[i]); err != nil && first == nil {
			first = err
		}
	}
	return first
}
