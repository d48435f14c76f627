package auditlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/transparency-dev/tessera"

	"github.com/wardenhq/warden/store"
)

// Indexer keeps the store's search index up with a log: it reads entries
// from the store's cursor for the log's origin up to the log's integrated
// size, parses the records and indexes them with the cursor in one
// transaction. One code path serves start-up catch-up and steady state;
// a crash at any point only repeats work. It also keeps the newest signed
// checkpoint in the store, which start-up checks the log against.
type Indexer struct {
	Origin string
	Reader tessera.LogReader
	Store  *store.DB
	Logger *slog.Logger

	mu        sync.Mutex // one CatchUp at a time
	savedSize uint64     // the largest checkpoint saved so far
}

const bundleWidth = 256

// CatchUp indexes every integrated entry not yet indexed.
func (ix *Indexer) CatchUp(ctx context.Context) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if cp, err := ix.Reader.ReadCheckpoint(ctx); err == nil {
		if size, err := CheckpointSize(cp); err == nil && (size > ix.savedSize || ix.savedSize == 0) {
			if err := ix.Store.SaveAuditCheckpoint(ctx, ix.Origin, size, cp); err != nil {
				return err
			}
			ix.savedSize = size
		}
	}
	next, err := ix.Store.AuditCursor(ctx, ix.Origin)
	if err != nil {
		return err
	}
	size, err := ix.Reader.IntegratedSize(ctx)
	if err != nil {
		return err
	}
	for next < size {
		entries, err := ReadEntries(ctx, ix.Reader, next, size, size)
		if err != nil {
			return fmt.Errorf("audit index: %w", err)
		}
		end := next + uint64(len(entries))
		rows := make([]store.AuditRow, 0, end-next)
		for i := next; i < end; i++ {
			e := entries[i-next]
			row, err := Row(ix.Origin, i, e)
			if err != nil {
				// An entry Warden cannot read is still in the log and
				// verifiable; the index says so rather than stopping.
				ix.Logger.Error("audit index: unreadable record", "origin", ix.Origin, "index", i, "err", err)
				row = store.AuditRow{Origin: ix.Origin, Index: i, ID: fmt.Sprintf("unreadable:%s:%d", ix.Origin, i),
					Time: time.Unix(0, 0).UTC(), Kind: "unreadable", Entry: e}
			}
			rows = append(rows, row)
		}
		if err := ix.Store.IndexAudit(ctx, ix.Origin, rows, end); err != nil {
			if errors.Is(err, store.ErrCursorBackwards) {
				return nil // another indexer (a replica sharing the store) got there first
			}
			return err
		}
		next = end
	}
	return nil
}

// Run calls CatchUp every interval until ctx ends, then once more.
func (ix *Indexer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := ix.CatchUp(ctx); err != nil && ctx.Err() == nil {
			ix.Logger.Error("audit index: could not catch up; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// rowFields are the fields of a record the search index keeps; decoding
// only these (nulls as nil pointers, no custom decoders) keeps indexing
// cheap on the gateway's CPU.
type rowFields struct {
	ID        string `json:"id"`
	Time      string `json:"time"`
	Kind      string `json:"kind"`
	Principal *struct {
		ID    string  `json:"id"`
		Type  string  `json:"type"`
		KeyID *string `json:"key_id"`
	} `json:"principal"`
	Endpoint *string `json:"endpoint"`
	Model    *struct {
		Name string `json:"name"`
	} `json:"model"`
	Namespace    *string `json:"namespace"`
	Decision     string  `json:"decision"`
	Status       int     `json:"status"`
	RequestID    *string `json:"request_id"`
	PromptHash   *string `json:"prompt_hash"`
	ResponseHash *string `json:"response_hash"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Row parses a log entry into its search index row.
func Row(origin string, index uint64, entry []byte) (store.AuditRow, error) {
	var r rowFields
	if err := json.Unmarshal(entry, &r); err != nil {
		return store.AuditRow{}, err
	}
	if r.ID == "" {
		return store.AuditRow{}, errors.New("record has no id")
	}
	t, err := time.Parse(time.RFC3339Nano, r.Time)
	if err != nil {
		return store.AuditRow{}, fmt.Errorf("record time: %w", err)
	}
	row := store.AuditRow{
		Origin: origin, Index: index, ID: r.ID, Time: t.UTC(), Kind: r.Kind,
		Endpoint: deref(r.Endpoint), Namespace: deref(r.Namespace), Decision: r.Decision,
		Status: r.Status, RequestID: deref(r.RequestID), PromptHash: deref(r.PromptHash),
		ResponseHash: deref(r.ResponseHash), Entry: entry,
	}
	if p := r.Principal; p != nil {
		row.PrincipalID, row.PrincipalType, row.KeyID = p.ID, p.Type, deref(p.KeyID)
	}
	if m := r.Model; m != nil {
		row.Model = m.Name
	}
	return row, nil
}

// CheckpointSize reads the tree size of a checkpoint, without checking
// its signature.
func CheckpointSize(cp []byte) (uint64, error) {
	lines := strings.SplitN(string(cp), "\n", 3)
	if len(lines) < 3 {
		return 0, errors.New("malformed checkpoint")
	}
	return strconv.ParseUint(lines[1], 10, 64)
}
