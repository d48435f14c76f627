// Package retention keeps what classifications say to keep, for as long as
// they say: it seals the prompts and responses of records whose
// classification is store: full, stores them, opens them for an
// authorised reader, and when their retention ends destroys the key they
// were sealed under (crypto-shredding) and deletes them.
package retention

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/seal"
	"github.com/wardenhq/warden/store"
)

// Keeper keeps payloads under a configuration's classifications.
type Keeper struct {
	Sealer  *seal.Sealer
	Store   *store.DB
	Writer  *Writer // stores payloads by group commit; nil: one transaction each
	Classes []config.Classification
	Now     func() time.Time
}

// ErrNotKept: the record has no stored payload (its classification keeps
// none, it was purged, or it never had one).
var ErrNotKept = errors.New("retention: no payload is kept for this record")

// class returns the named classification, or nil.
func (k *Keeper) class(name string) *config.Classification {
	for i := range k.Classes {
		if k.Classes[i].Name == name {
			return &k.Classes[i]
		}
	}
	return nil
}

// Keeps reports whether records of classification are kept in full.
func (k *Keeper) Keeps(classification string) bool {
	c := k.class(classification)
	return c != nil && c.Store == config.StoreFull
}

// PeriodEnd is when the retention of a record made at t ends: t plus the
// retention, rounded up to the next UTC midnight, so each classification
// has one key per day.
func PeriodEnd(t time.Time, retention time.Duration) time.Time {
	end := t.UTC().Add(retention)
	day := end.Truncate(24 * time.Hour)
	if day.Before(end) {
		day = day.Add(24 * time.Hour)
	}
	return day
}

// Keep seals and stores the prompt and response of record recordID, made
// at t, if its classification keeps them in full; otherwise it does
// nothing.
func (k *Keeper) Keep(ctx context.Context, recordID, classification string, t time.Time, prompt, response []byte) error {
	c := k.class(classification)
	if c == nil || c.Store != config.StoreFull {
		return nil
	}
	end := PeriodEnd(t, c.Retention.D(0))
	key := seal.KeyName(classification, end)
	p, err := k.Sealer.Seal(ctx, key, recordID, classification, prompt)
	if err != nil {
		return err
	}
	row := store.Payload{RecordID: recordID, Classification: classification, Key: key, ExpiresAt: end,
		Prompt: p.Marshal(), CreatedAt: k.now()}
	if response != nil {
		r, err := k.Sealer.Seal(ctx, key, recordID+"/response", classification, response)
		if err != nil {
			return err
		}
		row.Response = r.Marshal()
	}
	if k.Writer != nil {
		return k.Writer.Put(ctx, row)
	}
	return k.Store.PutPayload(ctx, row)
}

// Open returns the stored prompt and response of record recordID.
func (k *Keeper) Open(ctx context.Context, recordID string) (prompt, response []byte, err error) {
	row, err := k.Store.GetPayload(ctx, recordID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrNotKept
	}
	if err != nil {
		return nil, nil, err
	}
	open := func(b []byte, id string) ([]byte, error) {
		s, err := seal.Unmarshal(b)
		if err != nil {
			return nil, err
		}
		return k.Sealer.Open(ctx, s, id, row.Classification)
	}
	if prompt, err = open(row.Prompt, recordID); err != nil {
		return nil, nil, err
	}
	if len(row.Response) > 0 {
		if response, err = open(row.Response, recordID+"/response"); err != nil {
			return nil, nil, err
		}
	}
	return prompt, response, nil
}

// Report is what a retention run did.
type Report struct {
	Keys      []string // keys destroyed
	Payloads  int64    // payloads deleted
	Held      []string // expired keys kept because a legal hold covers some of their payloads
	Approvals int64    // approvals deleted (ApprovalsKept after they stopped mattering)
	Previews  int64    // sealed approval previews dropped, their key destroyed
	// Refused are key names found on stored payloads that are not KEKs
	// whose period has ended (a root key's name, a period still running):
	// evidence of an edited database, never destroyed.
	Refused []string
}

// Detail is the report as the retention.run audit record carries it: the
// counts, and the names of the keys destroyed, held and refused.
func (r Report) Detail() string {
	names := func(l []string) string {
		if len(l) > 20 {
			return strings.Join(l[:20], ",") + fmt.Sprintf(",...(%d)", len(l))
		}
		return strings.Join(l, ",")
	}
	d := fmt.Sprintf("keys_destroyed=%d payloads_deleted=%d keys_held=%d", len(r.Keys), r.Payloads, len(r.Held))
	if r.Approvals > 0 {
		d += fmt.Sprintf(" approvals_deleted=%d", r.Approvals)
	}
	if r.Previews > 0 {
		d += fmt.Sprintf(" previews_shredded=%d", r.Previews)
	}
	if len(r.Keys) > 0 {
		d += " destroyed=" + names(r.Keys)
	}
	if len(r.Held) > 0 {
		d += " held=" + names(r.Held)
	}
	if len(r.Refused) > 0 {
		d += fmt.Sprintf(" keys_refused=%d refused=%s", len(r.Refused), names(r.Refused))
	}
	return d
}

// Run destroys the key of every retention period that has ended, then
// deletes the payloads sealed under it. The destruction comes first: once
// it is done, the payloads are unreadable wherever copies of them are, and
// deleting them only frees space. A period with a payload that an active
// legal hold covers is kept whole (key and payloads) until the hold is
// released; so is one with a payload whose record the search index does
// not know yet, while any hold is active (whose it is cannot be told).
//
// When a period has ended is read from its key's name (KeyName), never
// from the payload rows alone, which whoever can write to the database
// could edit: a key is destroyed only if it is a KEK whose day has come.
// The rows' expiry finds most candidates; each classification's range of
// names finds those whose rows were edited to look unexpired.
func (k *Keeper) Run(ctx context.Context) (Report, error) {
	var rep Report
	now := k.now()
	keys, err := k.Store.PayloadKeys(ctx, now)
	if err != nil {
		return rep, err
	}
	previews, err := k.Store.PreviewKeys(ctx, now) // approval previews are sealed the same way
	if err != nil {
		return rep, err
	}
	keys = append(keys, previews...)
	for _, c := range k.Classes {
		if c.Store != config.StoreFull {
			continue
		}
		more, err := k.Store.PayloadKeysIn(ctx, "kek."+c.Name+".", seal.KeyName(c.Name, now.Add(24*time.Hour)))
		if err != nil {
			return rep, err
		}
		keys = append(keys, more...)
	}
	for _, c := range append(k.classNames(), Unclassified) {
		more, err := k.Store.PreviewKeysIn(ctx, "kek."+c+".", seal.KeyName(c, now.Add(24*time.Hour)))
		if err != nil {
			return rep, err
		}
		keys = append(keys, more...)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	// Approvals (their previews sealed, shredded with their key below) go
	// once they have stopped mattering for ApprovalsKept; the audit log
	// keeps that they were requested, decided and used.
	if rep.Approvals, err = k.Store.DeleteApprovals(ctx, now.Add(-ApprovalsKept)); err != nil {
		return rep, err
	}
	holds, err := k.Store.ActiveHolds(ctx)
	if err != nil {
		return rep, err
	}
	for _, key := range keys {
		if _, end, ok := seal.ParseKeyName(key); !ok || end.After(now) {
			rep.Refused = append(rep.Refused, key)
			continue
		}
		if len(holds) > 0 {
			held, err := k.held(ctx, key, holds)
			if err != nil {
				return rep, err
			}
			if held {
				rep.Held = append(rep.Held, key)
				continue
			}
		}
		if err := k.Sealer.Shred(ctx, key); err != nil {
			return rep, fmt.Errorf("retention: destroying %s: %w", key, err)
		}
		rep.Keys = append(rep.Keys, key)
		n, err := k.Store.DeletePayloads(ctx, key)
		rep.Payloads += n
		if err != nil {
			return rep, fmt.Errorf("retention: deleting the payloads of %s: %w", key, err)
		}
		n, err = k.Store.ForgetPreviews(ctx, key)
		rep.Previews += n
		if err != nil {
			return rep, fmt.Errorf("retention: dropping the previews of %s: %w", key, err)
		}
	}
	return rep, nil
}

// ApprovalsKept is how long an approval is kept after it stopped mattering
// (lapsed, or its decision no longer stands).
const ApprovalsKept = 30 * 24 * time.Hour

// orphanAfter is how long a payload whose record the search index does not
// know counts as covered by any active hold.
const orphanAfter = 7 * 24 * time.Hour

// held reports whether a hold covers any payload sealed under key.
func (k *Keeper) held(ctx context.Context, key string, holds []store.Hold) (bool, error) {
	subjects, err := k.Store.PayloadSubjects(ctx, key)
	if err != nil {
		return false, err
	}
	for _, s := range subjects {
		if !s.Indexed {
			// Whose it is cannot be told yet: held, while the search index
			// may still be catching up. One never indexed after that is an
			// orphan (its record was never written) and holds nothing.
			if k.now().Sub(s.Stored) < orphanAfter {
				return true, nil
			}
			continue
		}
		for i := range holds {
			if holds[i].Covers(s.Principal, s.Namespace, s.Time) {
				return true, nil
			}
		}
	}
	return false, nil
}

// classNames are the names of the classifications.
func (k *Keeper) classNames() []string {
	names := make([]string, len(k.Classes))
	for i, c := range k.Classes {
		names[i] = c.Name
	}
	return names
}

func (k *Keeper) now() time.Time {
	if k.Now != nil {
		return k.Now().UTC()
	}
	return time.Now().UTC()
}
