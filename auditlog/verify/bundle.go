package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"
)

// BundleFormat is the format tag of evidence bundles.
const BundleFormat = "warden-audit-bundle/v1"

// Bundle is an evidence bundle: records with their inclusion proofs and the
// signed checkpoint the proofs lead to. It marshals with encoding/json to
//
//	{"format":"warden-audit-bundle/v1","key":"<verifier key>",
//	 "checkpoint":"<signed note>","records":[{"index":N,
//	 "entry":"<the entry's exact bytes as a JSON string>",
//	 "proof":["<base64 hash>",…]}]}
//
// Key says which key signed the checkpoint; it is not a trust anchor:
// [Bundle.Verify] takes the key the reader trusts.
type Bundle struct {
	Format     string         `json:"format"`
	Key        string         `json:"key"`
	Checkpoint string         `json:"checkpoint"`
	Records    []BundleRecord `json:"records"`
}

// BundleRecord is one entry of an evidence bundle.
type BundleRecord struct {
	Index uint64           `json:"index"`
	Entry string           `json:"entry"` // the entry's bytes, exactly
	Proof tlog.RecordProof `json:"proof"` // proof of inclusion in the bundle's checkpoint
}

// MakeBundle makes an evidence bundle of the entries at indexes (in that
// order) under checkpoint cp, whose verifier key is key. Every proof is
// checked before it is put in the bundle.
func MakeBundle(ctx context.Context, src Source, cp Checkpoint, key string, indexes []uint64) (*Bundle, error) {
	key = strings.TrimSpace(key)
	opened, err := OpenCheckpoint(cp.Note, key)
	if err != nil {
		return nil, err
	}
	if opened.Size != cp.Size || opened.Root != cp.Root || opened.Origin != cp.Origin {
		return nil, fail(BadRequest, -1, "the checkpoint's fields do not match its signed note", nil)
	}
	b := &Bundle{Format: BundleFormat, Key: key, Checkpoint: string(cp.Note), Records: make([]BundleRecord, 0, len(indexes))}
	p := newProver(ctx, src, opened)
	for _, i := range indexes {
		proof, entry, err := p.record(i)
		if err != nil {
			return nil, err
		}
		if !utf8.Valid(entry) {
			return nil, fail(BadRequest, int64(i), fmt.Sprintf("entry %d is not UTF-8 text and cannot be carried in a JSON string", i), nil)
		}
		if proof == nil {
			proof = tlog.RecordProof{}
		}
		b.Records = append(b.Records, BundleRecord{Index: i, Entry: string(entry), Proof: proof})
	}
	return b, nil
}

// ParseBundle decodes an evidence bundle. It does not verify it.
func ParseBundle(data []byte) (*Bundle, error) {
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fail(Malformed, -1, "evidence bundle is not valid JSON of the expected shape", err)
	}
	if b.Format != BundleFormat {
		return nil, fail(Malformed, -1, fmt.Sprintf("evidence bundle format is %q, want %q", b.Format, BundleFormat), nil)
	}
	return &b, nil
}

// Verify checks the bundle against trustedKey, the verifier key the caller
// trusts (not the bundle's own Key, which must merely be the same): the
// checkpoint's signature and origin, then every record's inclusion proof.
// It returns the bundle's checkpoint.
func (b *Bundle) Verify(trustedKey string) (Checkpoint, error) {
	if b == nil {
		return Checkpoint{}, fail(Malformed, -1, "no evidence bundle", nil)
	}
	if b.Format != BundleFormat {
		return Checkpoint{}, fail(Malformed, -1, fmt.Sprintf("evidence bundle format is %q, want %q", b.Format, BundleFormat), nil)
	}
	trustedKey = strings.TrimSpace(trustedKey)
	if got := strings.TrimSpace(b.Key); got != trustedKey {
		return Checkpoint{}, fail(BadKey, -1, fmt.Sprintf("the evidence bundle is for key %q, not the trusted key %q", got, trustedKey), nil)
	}
	cp, err := OpenCheckpoint([]byte(b.Checkpoint), trustedKey)
	if err != nil {
		return Checkpoint{}, err
	}
	for n, r := range b.Records {
		if err := CheckInclusion(cp, r.Index, []byte(r.Entry), r.Proof); err != nil {
			e, _ := asError(err)
			return Checkpoint{}, fail(e.Kind, e.Index, fmt.Sprintf("record %d of the evidence bundle: %s", n, e.Reason), e.Err)
		}
	}
	return cp, nil
}
