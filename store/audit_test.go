package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

// Two logs, as two gateway replicas sharing the store would write.
const (
	originA = "warden-a.example.com/audit"
	originB = "warden-b.example.com/audit"
)

// at0 is a record time: whole milliseconds, as records carry.
var at0 = time.Date(2026, 5, 1, 12, 0, 0, 123_000_000, time.UTC)

// auditRow returns a request record of origin at index, at the given time,
// with an entry shaped like a real one. Its id, request id and hashes are
// its own.
func auditRow(origin string, index uint64, at time.Time) AuditRow {
	id := fmt.Sprintf("aud_%s_%d", origin, index)
	r := AuditRow{
		Origin: origin, Index: index, ID: id, Time: at, Kind: "request",
		PrincipalID: "alice", PrincipalType: "api_key", KeyID: "key_1",
		Endpoint: "chat.completions", Model: "m1", Namespace: "legal",
		Decision: "allow", Status: 200, RequestID: "req_" + id,
		PromptHash: "hmac-sha256:p_" + id, ResponseHash: "hmac-sha256:r_" + id,
	}
	r.Entry = fmt.Appendf(nil, `{"id":%q,"time":%q,"kind":"request",`+
		`"principal":{"id":"alice","type":"api_key","key_id":"key_1","groups":["legal"]},`+
		`"source_ip":"203.0.113.7","endpoint":"chat.completions","model":{"name":"m1","version":null,"digest":null},`+
		`"namespace":"legal","classification":null,"decision":"allow","reasons":[],"prompt_hash":%q,"response_hash":%q,`+
		`"tokens":{"prompt":812,"completion":96},"latency_ms":{"total":12.3,"upstream":10.1},"status":200,"filters":[],`+
		`"stream":true,"request_id":%q,"error":null,"admin":null}`,
		id, at.Format("2006-01-02T15:04:05.000Z"), r.PromptHash, r.ResponseHash, r.RequestID)
	return r
}

// auditRows returns the records of origin at indexes [from, to), one
// millisecond apart from at0.
func auditRows(origin string, from, to uint64) []AuditRow {
	var rows []AuditRow
	for i := from; i < to; i++ {
		rows = append(rows, auditRow(origin, i, at0.Add(time.Duration(i)*time.Millisecond)))
	}
	return rows
}

func mustIndex(t testing.TB, db *DB, origin string, rows []AuditRow, next uint64) {
	t.Helper()
	if err := db.IndexAudit(context.Background(), origin, rows, next); err != nil {
		t.Fatalf("IndexAudit(%s, %d rows, %d): %v", origin, len(rows), next, err)
	}
}

func mustCursor(t *testing.T, db *DB, origin string) uint64 {
	t.Helper()
	n, err := db.AuditCursor(context.Background(), origin)
	if err != nil {
		t.Fatalf("AuditCursor(%s): %v", origin, err)
	}
	return n
}

func mustSearch(t *testing.T, db *DB, q AuditQuery) AuditPage {
	t.Helper()
	p, err := db.SearchAudit(context.Background(), q)
	if err != nil {
		t.Fatalf("SearchAudit(%+v): %v", q, err)
	}
	return p
}

// searchAll follows the pages of q to the end and returns every row, failing
// the test if a page is larger than the limit or empty but for a last one.
func searchAll(t *testing.T, db *DB, q AuditQuery) (rows []AuditRow, pages int) {
	t.Helper()
	for {
		p := mustSearch(t, db, q)
		pages++
		if q.Limit > 0 && len(p.Rows) > q.Limit {
			t.Fatalf("page %d: %d rows, limit %d", pages, len(p.Rows), q.Limit)
		}
		if p.Next != "" && len(p.Rows) == 0 {
			t.Fatalf("page %d: empty, with a next page", pages)
		}
		rows = append(rows, p.Rows...)
		if p.Next == "" {
			return rows, pages
		}
		if pages > 10000 {
			t.Fatal("pages do not end")
		}
		q.After = p.Next
	}
}

// keys returns "origin/index" of each row.
func keys(rows []AuditRow) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s/%d", r.Origin, r.Index))
	}
	return out
}

// newestFirst sorts rows as SearchAudit returns them.
func newestFirst(rows []AuditRow) []AuditRow {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b AuditRow) int {
		return cmp.Or(b.Time.Compare(a.Time), strings.Compare(b.Origin, a.Origin), cmp.Compare(b.Index, a.Index))
	})
	return rows
}

func TestIndexAudit(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if n := mustCursor(t, db, originA); n != 0 {
			t.Errorf("cursor of an unknown origin = %d, want 0", n)
		}
		if _, err := db.AuditRecord(ctx, originA, 0); err != ErrNotFound {
			t.Errorf("AuditRecord on an empty index = %v, want ErrNotFound", err)
		}
		if p := mustSearch(t, db, AuditQuery{}); len(p.Rows) != 0 || p.Next != "" {
			t.Errorf("SearchAudit on an empty index = %+v", p)
		}

		rows := auditRows(originA, 0, 8)
		mustIndex(t, db, originA, rows[:5], 5)
		if n := mustCursor(t, db, originA); n != 5 {
			t.Errorf("cursor = %d, want 5", n)
		}
		for _, r := range rows[:5] {
			got, err := db.AuditRecord(ctx, originA, r.Index)
			if err != nil {
				t.Fatalf("AuditRecord(%d): %v", r.Index, err)
			}
			if diff := gocmp.Diff(r, got); diff != "" {
				t.Errorf("AuditRecord(%d) (-want +got):\n%s", r.Index, diff)
			}
		}

		// Again: nothing changes, no error.
		mustIndex(t, db, originA, rows[:5], 5)
		// Overlapping, with a changed row already indexed: the first version stays.
		changed := slices.Clone(rows[3:8])
		changed[0].Entry = []byte(`{"changed":true}`)
		changed[0].Model = "other"
		mustIndex(t, db, originA, changed, 8)
		if n := mustCursor(t, db, originA); n != 8 {
			t.Errorf("cursor = %d, want 8", n)
		}
		if got, err := db.AuditRecord(ctx, originA, 3); err != nil || !bytes.Equal(got.Entry, rows[3].Entry) || got.Model != "m1" {
			t.Errorf("AuditRecord(3) after re-indexing a changed row = %s, %v; want the first version", got.Entry, err)
		}
		// The same row twice in one batch.
		rows = append(rows, auditRow(originA, 8, at0.Add(time.Second)))
		mustIndex(t, db, originA, []AuditRow{rows[8], rows[8]}, 9)
		// No rows: the cursor alone moves (entries that yield no record).
		mustIndex(t, db, originA, nil, 12)
		mustIndex(t, db, originA, nil, 12)
		if n := mustCursor(t, db, originA); n != 12 {
			t.Errorf("cursor = %d, want 12", n)
		}
		got, pages := searchAll(t, db, AuditQuery{})
		if diff := gocmp.Diff(newestFirst(rows), got); diff != "" || pages != 1 {
			t.Errorf("SearchAudit: %d pages (-want +got):\n%s", pages, diff)
		}

		// Times are kept to the millisecond, in UTC.
		r := auditRow(originA, 12, at0.Add(999*time.Microsecond).In(time.FixedZone("CET", 3600)))
		mustIndex(t, db, originA, []AuditRow{r}, 13)
		if got, err := db.AuditRecord(ctx, originA, 12); err != nil || got.Time != at0 {
			t.Errorf("time of a record at %v = %v, %v; want %v", r.Time, got.Time, err, at0)
		}
		if _, err := db.AuditRecord(ctx, originA, math.MaxUint64); err != ErrNotFound {
			t.Errorf("AuditRecord(MaxUint64) = %v, want ErrNotFound", err)
		}
	})
}

func TestIndexAuditInvalid(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		mustIndex(t, db, originA, auditRows(originA, 0, 5), 5)
		good := auditRow(originA, 5, at0)
		with := func(f func(*AuditRow)) AuditRow {
			r := good
			f(&r)
			return r
		}
		for _, tc := range []struct {
			name   string
			origin string
			rows   []AuditRow
			next   uint64
		}{
			{"no origin", "", nil, 6},
			{"row of another origin", originA, []AuditRow{auditRow(originB, 5, at0)}, 6},
			{"row of no origin", originA, []AuditRow{with(func(r *AuditRow) { r.Origin = "" })}, 6},
			{"row at the cursor", originA, []AuditRow{good}, 5},
			{"row beyond the cursor", originA, []AuditRow{with(func(r *AuditRow) { r.Index = 9 })}, 6},
			{"cursor too large", originA, nil, math.MaxInt64 + 1},
			{"no id", originA, []AuditRow{with(func(r *AuditRow) { r.ID = "" })}, 6},
			{"no time", originA, []AuditRow{with(func(r *AuditRow) { r.Time = time.Time{} })}, 6},
			{"time too far", originA, []AuditRow{with(func(r *AuditRow) { r.Time = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) })}, 6},
			{"no entry", originA, []AuditRow{with(func(r *AuditRow) { r.Entry = nil })}, 6},
			// The database refuses this one, after a good row: the batch is undone.
			{"id of another record", originA, []AuditRow{good, with(func(r *AuditRow) { r.Index, r.ID = 6, "aud_"+originA+"_1" })}, 7},
		} {
			if err := db.IndexAudit(ctx, tc.origin, tc.rows, tc.next); err == nil {
				t.Errorf("%s: IndexAudit: no error", tc.name)
			} else if errors.Is(err, ErrCursorBackwards) {
				t.Errorf("%s: IndexAudit = %v, not a cursor error", tc.name, err)
			}
			if n := mustCursor(t, db, originA); n != 5 {
				t.Fatalf("%s: cursor = %d, want 5 (unchanged)", tc.name, n)
			}
			if p := mustSearch(t, db, AuditQuery{}); len(p.Rows) != 5 {
				t.Fatalf("%s: %d rows indexed, want 5 (unchanged)", tc.name, len(p.Rows))
			}
		}
	})
}

func TestAuditCursorBackwards(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		mustIndex(t, db, originA, auditRows(originA, 0, 5), 10)
		for _, next := range []uint64{9, 0} {
			err := db.IndexAudit(ctx, originA, auditRows(originA, 5, next), next)
			if !errors.Is(err, ErrCursorBackwards) {
				t.Errorf("IndexAudit(next %d) with the cursor at 10 = %v, want ErrCursorBackwards", next, err)
			}
		}
		if n := mustCursor(t, db, originA); n != 10 {
			t.Errorf("cursor = %d, want 10", n)
		}
		if _, err := db.AuditRecord(ctx, originA, 5); err != ErrNotFound {
			t.Errorf("a row of a refused batch was indexed: %v", err)
		}
		mustIndex(t, db, originA, nil, 10) // staying put is not moving back
	})
}

// TestAuditCursorRace has followers of one log race through two handles, as
// two replicas would: each batch is indexed whole or refused, and the cursor
// ends at the largest.
func TestAuditCursorRace(t *testing.T) {
	forEachDSN(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		dbs := []*DB{openTest(t, driver, dsn), openTest(t, driver, dsn)}
		const batches, size = 16, 20
		var wg sync.WaitGroup
		var mu sync.Mutex
		var done []uint64
		for i := range batches {
			wg.Go(func() {
				// Every follower indexes from 0 to its own end, as one that
				// started late would.
				next := uint64((i + 1) * size)
				err := dbs[i%2].IndexAudit(ctx, originA, auditRows(originA, 0, next), next)
				switch {
				case err == nil:
					mu.Lock()
					done = append(done, next)
					mu.Unlock()
				case !errors.Is(err, ErrCursorBackwards):
					t.Errorf("IndexAudit(%d): %v", next, err)
				}
			})
		}
		wg.Wait()
		if !slices.Contains(done, batches*size) {
			t.Errorf("the last batch was refused; done: %v", done)
		}
		if n := mustCursor(t, dbs[0], originA); n != batches*size {
			t.Errorf("cursor = %d, want %d", n, batches*size)
		}
		if rows, _ := searchAll(t, dbs[1], AuditQuery{Limit: 1000}); len(rows) != batches*size {
			t.Errorf("%d rows indexed, want %d", len(rows), batches*size)
		}
	})
}

func TestAuditOrigins(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a, b := auditRows(originA, 0, 3), auditRows(originB, 0, 3)
		mustIndex(t, db, originA, a, 3)
		mustIndex(t, db, originB, b, 7)
		if na, nb := mustCursor(t, db, originA), mustCursor(t, db, originB); na != 3 || nb != 7 {
			t.Errorf("cursors = %d, %d; want 3, 7", na, nb)
		}
		// B's cursor is ahead of 3; A's is not held back by it.
		mustIndex(t, db, originA, nil, 4)
		if err := db.IndexAudit(ctx, originB, nil, 4); !errors.Is(err, ErrCursorBackwards) {
			t.Errorf("IndexAudit(B, 4) with B at 7 = %v, want ErrCursorBackwards", err)
		}
		for _, want := range [][]AuditRow{a, b} {
			for _, r := range want {
				got, err := db.AuditRecord(ctx, r.Origin, r.Index)
				if err != nil || got.ID != r.ID {
					t.Errorf("AuditRecord(%s, %d) = %s, %v; want %s", r.Origin, r.Index, got.ID, err, r.ID)
				}
			}
		}
		for origin, want := range map[string][]AuditRow{originA: a, originB: b, "": append(a, b...), "nope": nil} {
			got := mustSearch(t, db, AuditQuery{Origin: origin}).Rows
			if diff := gocmp.Diff(keys(newestFirst(want)), keys(got)); diff != "" {
				t.Errorf("SearchAudit(origin %q) (-want +got):\n%s", origin, diff)
			}
		}
	})
}

func TestSearchAuditFilters(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		// A's rows one second apart, B's row newest; each differs from the
		// first in a field or two.
		mk := func(origin string, index uint64, f func(*AuditRow)) AuditRow {
			r := auditRow(origin, index, at0.Add(time.Duration(index)*time.Second))
			f(&r)
			return r
		}
		same := "hmac-sha256:same"
		a := []AuditRow{
			mk(originA, 0, func(r *AuditRow) {}),
			mk(originA, 1, func(r *AuditRow) { r.PrincipalID, r.KeyID = "bob", "key_2" }),
			mk(originA, 2, func(r *AuditRow) { r.Model = "m2" }),
			mk(originA, 3, func(r *AuditRow) { r.Namespace, r.PromptHash = "hr", same }),
			mk(originA, 4, func(r *AuditRow) { r.Decision, r.Status, r.ResponseHash = "deny", 403, "" }),
			mk(originA, 5, func(r *AuditRow) {
				r.Kind, r.PrincipalType, r.Endpoint, r.Model, r.PromptHash = "admin", "cli", "", "", same
			}),
			mk(originA, 6, func(r *AuditRow) {
				r.PrincipalID, r.PrincipalType, r.KeyID, r.Decision, r.Status = "", "", "", "deny", 401
			}),
		}
		b := mk(originB, 10, func(r *AuditRow) { r.PrincipalID, r.KeyID, r.Decision, r.Status = "bob", "key_3", "error", 500 })
		mustIndex(t, db, originA, a, 7)
		mustIndex(t, db, originB, []AuditRow{b}, 11)

		key := func(r AuditRow) string { return fmt.Sprintf("%s/%d", r.Origin, r.Index) }
		for _, tc := range []struct {
			name string
			q    AuditQuery
			want []AuditRow
		}{
			{"all", AuditQuery{}, []AuditRow{b, a[6], a[5], a[4], a[3], a[2], a[1], a[0]}},
			{"origin", AuditQuery{Origin: originB}, []AuditRow{b}},
			{"principal", AuditQuery{Principal: "bob"}, []AuditRow{b, a[1]}},
			{"key", AuditQuery{KeyID: "key_2"}, []AuditRow{a[1]}},
			{"model", AuditQuery{Model: "m2"}, []AuditRow{a[2]}},
			{"namespace", AuditQuery{Namespace: "hr"}, []AuditRow{a[3]}},
			{"decision deny", AuditQuery{Decision: "deny"}, []AuditRow{a[6], a[4]}},
			{"decision error", AuditQuery{Decision: "error"}, []AuditRow{b}},
			{"kind", AuditQuery{Kind: "admin"}, []AuditRow{a[5]}},
			{"request id", AuditQuery{RequestID: a[3].RequestID}, []AuditRow{a[3]}},
			{"prompt hash", AuditQuery{PromptHash: same}, []AuditRow{a[5], a[3]}},
			{"response hash", AuditQuery{ResponseHash: a[2].ResponseHash}, []AuditRow{a[2]}},
			{"all of several", AuditQuery{Origin: originA, Principal: "alice", Decision: "allow", Kind: "request"}, []AuditRow{a[3], a[2], a[0]}},
			{"none of several", AuditQuery{Principal: "bob", Model: "m2"}, nil},
			{"unknown", AuditQuery{Principal: "mallory"}, nil},
			{"case matters", AuditQuery{Principal: "Alice"}, nil},
			{"no wildcards", AuditQuery{Principal: "%"}, nil},
		} {
			got := mustSearch(t, db, tc.q)
			var want []string
			for _, r := range tc.want {
				want = append(want, key(r))
			}
			if diff := gocmp.Diff(want, keys(got.Rows), cmpEmpty); diff != "" || got.Next != "" {
				t.Errorf("%s: SearchAudit(%+v): next %q (-want +got):\n%s", tc.name, tc.q, got.Next, diff)
			}
		}
	})
}

// cmpEmpty makes nil and empty slices equal.
var cmpEmpty = gocmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })

func TestSearchAuditTime(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		mustIndex(t, db, originA, auditRows(originA, 0, 10), 10) // at0 + 0..9 ms
		ms := func(n int) time.Time { return at0.Add(time.Duration(n) * time.Millisecond) }
		span := func(from, to int) []uint64 { // indexes [from, to), newest first
			var out []uint64
			for i := to - 1; i >= from; i-- {
				out = append(out, uint64(i))
			}
			return out
		}
		far, past := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)
		for _, tc := range []struct {
			name         string
			since, until time.Time
			want         []uint64
		}{
			{"unbounded", time.Time{}, time.Time{}, span(0, 10)},
			{"since is inclusive", ms(3), time.Time{}, span(3, 10)},
			{"since just before", ms(3).Add(-time.Nanosecond), time.Time{}, span(3, 10)},
			{"since just after", ms(3).Add(time.Nanosecond), time.Time{}, span(4, 10)},
			{"until is exclusive", time.Time{}, ms(3), span(0, 3)},
			{"until just before", time.Time{}, ms(3).Add(-time.Nanosecond), span(0, 3)},
			{"until just after", time.Time{}, ms(3).Add(time.Nanosecond), span(0, 4)},
			{"both", ms(3), ms(5), span(3, 5)},
			{"one millisecond", ms(3), ms(4), span(3, 4)},
			{"since = until", ms(3), ms(3), nil},
			{"since > until", ms(5), ms(3), nil},
			{"in another zone", ms(3).In(time.FixedZone("X", -7*3600)), time.Time{}, span(3, 10)},
			{"since long ago", past, time.Time{}, span(0, 10)},
			{"until far ahead", time.Time{}, far, span(0, 10)},
			{"since far ahead", far, time.Time{}, nil},
			{"until long ago", time.Time{}, past, nil},
		} {
			got := mustSearch(t, db, AuditQuery{Since: tc.since, Until: tc.until})
			var idx []uint64
			for _, r := range got.Rows {
				idx = append(idx, r.Index)
			}
			if !slices.Equal(idx, tc.want) {
				t.Errorf("%s: Since %v, Until %v: got %v, want %v", tc.name, tc.since, tc.until, idx, tc.want)
			}
		}
	})
}

func TestSearchAuditPages(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		// Three logs, four records per second in each: runs of 12 records
		// share a time, across logs and within them.
		var all []AuditRow
		for _, origin := range []string{originA, originB, "c.example/audit"} {
			var rows []AuditRow
			for i := range uint64(40) {
				r := auditRow(origin, i, at0.Add(time.Duration(i/4)*time.Second))
				if i%3 == 0 {
					r.PrincipalID = "bob"
				}
				rows = append(rows, r)
			}
			mustIndex(t, db, origin, rows, 40)
			all = append(all, rows...)
		}
		want := newestFirst(all)
		bobs := slices.DeleteFunc(slices.Clone(want), func(r AuditRow) bool { return r.PrincipalID != "bob" })
		inB2to6 := slices.DeleteFunc(slices.Clone(want), func(r AuditRow) bool { // B's records of seconds 2 to 5
			return r.Origin != originB || r.Index < 8 || r.Index >= 24
		})
		for _, tc := range []struct {
			q         AuditQuery
			want      []AuditRow
			wantPages int
		}{
			{AuditQuery{Limit: 1}, want, 120},
			{AuditQuery{Limit: 7}, want, 18},
			{AuditQuery{Limit: 12}, want, 10},
			{AuditQuery{Limit: 119}, want, 2},
			{AuditQuery{Limit: 120}, want, 1},
			{AuditQuery{}, want, 2},
			{AuditQuery{Limit: 5, Principal: "bob"}, bobs, 9},
			{AuditQuery{Limit: 5, Origin: originB, Since: at0.Add(2 * time.Second), Until: at0.Add(6 * time.Second)},
				inB2to6, 4},
		} {
			got, pages := searchAll(t, db, tc.q)
			if diff := gocmp.Diff(keys(tc.want), keys(got)); diff != "" {
				t.Errorf("SearchAudit(%+v) pages (-want +got):\n%s", tc.q, diff)
			}
			if pages != tc.wantPages {
				t.Errorf("SearchAudit(%+v): %d pages, want %d", tc.q, pages, tc.wantPages)
			}
		}

		// Records indexed between two pages, newer than the first page,
		// do not shift the second.
		first := mustSearch(t, db, AuditQuery{Limit: 10})
		mustIndex(t, db, originA, []AuditRow{auditRow(originA, 40, at0.Add(time.Hour))}, 41)
		second := mustSearch(t, db, AuditQuery{Limit: 10, After: first.Next})
		if diff := gocmp.Diff(keys(want[10:20]), keys(second.Rows)); diff != "" {
			t.Errorf("second page after an insert (-want +got):\n%s", diff)
		}
	})
}

func TestSearchAuditBadQuery(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		mustIndex(t, db, originA, auditRows(originA, 0, 3), 3)
		token := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
		good := mustSearch(t, db, AuditQuery{Limit: 1}).Next
		raw, err := base64.RawURLEncoding.DecodeString(good)
		if err != nil || good == "" {
			t.Fatalf("page token %q: %v", good, err)
		}
		withByte := func(i int, v byte) string {
			b := slices.Clone(raw)
			b[i] = v
			return token(b)
		}
		for name, after := range map[string]string{
			"not base64":        "!!!",
			"padded":            good + "==",
			"standard alphabet": strings.NewReplacer("-", "+", "_", "/").Replace(good) + "+/",
			"short":             token(raw[:10]),
			"no origin":         token(raw[:17]),
			"other version":     withByte(0, 2),
			"index too large":   withByte(9, 0x80),
			"space":             " " + good,
			"origin not UTF-8":  token(append(slices.Clone(raw[:17]), 0xff, 0xfe)),
			"origin with NUL":   token(append(slices.Clone(raw[:17]), 'a', 0, 'b')),
		} {
			_, err := db.SearchAudit(context.Background(), AuditQuery{After: after})
			if !errors.Is(err, ErrBadQuery) {
				t.Errorf("%s: SearchAudit(After %q) = %v, want ErrBadQuery", name, after, err)
			}
		}
		for _, q := range []AuditQuery{{Principal: "\xff"}, {Model: "a\x00b"}, {Origin: "o\xfe"}} {
			if _, err := db.SearchAudit(context.Background(), q); !errors.Is(err, ErrBadQuery) {
				t.Errorf("SearchAudit(%+v) = %v, want ErrBadQuery", q, err)
			}
		}
		if _, err := db.SearchAudit(context.Background(), AuditQuery{Limit: -1}); !errors.Is(err, ErrBadQuery) {
			t.Errorf("SearchAudit(Limit -1) = %v, want ErrBadQuery", err)
		}
		// A good token goes with any query.
		if p := mustSearch(t, db, AuditQuery{After: good, Principal: "alice"}); len(p.Rows) != 2 {
			t.Errorf("after the first row: %d rows, want 2", len(p.Rows))
		}
	})
}

func TestSearchAuditLimit(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		mustIndex(t, db, originA, auditRows(originA, 0, 1001), 1001) // every chunk size but 2 and 4
		for _, tc := range []struct {
			limit, want int
			more        bool
		}{
			{0, 100, true},
			{1, 1, true},
			{100, 100, true},
			{1000, 1000, true},
			{1001, 1000, true},
			{math.MaxInt, 1000, true},
		} {
			p := mustSearch(t, db, AuditQuery{Limit: tc.limit})
			if len(p.Rows) != tc.want || (p.Next != "") != tc.more {
				t.Errorf("Limit %d: %d rows, next %q; want %d rows, more %v", tc.limit, len(p.Rows), p.Next, tc.want, tc.more)
			}
		}
		p := mustSearch(t, db, AuditQuery{Limit: 1000, Since: at0.Add(time.Millisecond)})
		if len(p.Rows) != 1000 || p.Next != "" {
			t.Errorf("exactly a page: %d rows, next %q; want 1000 and none", len(p.Rows), p.Next)
		}
	})
}

func TestAuditCheckpoint(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if _, _, err := db.AuditCheckpoint(ctx, originA); err != ErrNotFound {
			t.Errorf("AuditCheckpoint with none = %v, want ErrNotFound", err)
		}
		note := func(size uint64, sig string) []byte {
			return fmt.Appendf(nil, "%s\n%d\nq0TjE7VCEkPh1GQDn+ebXkK2n0Rh2Kx5vzdXlSPpWw0=\n\n\u2014 %s %s\n", originA, size, originA, sig)
		}
		mustIndex(t, db, originA, auditRows(originA, 0, 3), 7)
		for _, step := range []struct {
			size     uint64
			note     []byte
			wantSize uint64
			wantNote []byte
		}{
			{10, note(10, "AAAA\x00\xff"), 10, note(10, "AAAA\x00\xff")},
			{5, note(5, "BBBB"), 10, note(10, "AAAA\x00\xff")}, // smaller: kept the larger
			{0, note(0, "CCCC"), 10, note(10, "AAAA\x00\xff")},
			{20, note(20, "DDDD"), 20, note(20, "DDDD")},
			{20, note(20, "DDDD\n\u2014 witness EEEE"), 20, note(20, "DDDD\n\u2014 witness EEEE")}, // same size: replaced
			{19, note(19, "FFFF"), 20, note(20, "DDDD\n\u2014 witness EEEE")},
		} {
			if err := db.SaveAuditCheckpoint(ctx, originA, step.size, step.note); err != nil {
				t.Fatalf("SaveAuditCheckpoint(%d): %v", step.size, err)
			}
			size, got, err := db.AuditCheckpoint(ctx, originA)
			if err != nil || size != step.wantSize || !bytes.Equal(got, step.wantNote) {
				t.Errorf("after saving %d: AuditCheckpoint = %d, %q, %v; want %d, %q", step.size, size, got, err, step.wantSize, step.wantNote)
			}
		}
		// The cursor is its own.
		if n := mustCursor(t, db, originA); n != 7 {
			t.Errorf("cursor after saving checkpoints = %d, want 7", n)
		}
		// Another log: its own checkpoint, and a cursor at 0 until it moves.
		if _, _, err := db.AuditCheckpoint(ctx, originB); err != ErrNotFound {
			t.Errorf("AuditCheckpoint(B) = %v, want ErrNotFound", err)
		}
		if err := db.SaveAuditCheckpoint(ctx, originB, 1, []byte("b")); err != nil {
			t.Fatal(err)
		}
		if n := mustCursor(t, db, originB); n != 0 {
			t.Errorf("cursor of B = %d, want 0", n)
		}
		mustIndex(t, db, originB, auditRows(originB, 0, 1), 1)
		if size, got, err := db.AuditCheckpoint(ctx, originB); err != nil || size != 1 || string(got) != "b" {
			t.Errorf("AuditCheckpoint(B) = %d, %q, %v; want 1, b", size, got, err)
		}
		for name, c := range map[string]struct {
			origin string
			size   uint64
			note   []byte
		}{
			"no origin":      {"", 30, []byte("x")},
			"no note":        {originA, 30, nil},
			"size too large": {originA, math.MaxInt64 + 1, []byte("x")},
		} {
			if err := db.SaveAuditCheckpoint(ctx, c.origin, c.size, c.note); err == nil {
				t.Errorf("SaveAuditCheckpoint, %s: no error", name)
			}
		}
	})
}

func TestAuditEntryVerbatim(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		entries := [][]byte{
			[]byte("{\n  \"id\": \"x\" ,\"time\":\"2026-05-01T12:00:00.123Z\"}\n"), // whitespace kept
			[]byte(`{"s":"\u00e9\u2028</script>","t":"é"}`),                        // escapes and raw UTF-8 as they are
			[]byte("{\"bad\":\"\xff\xfe\"}"),                                       // not UTF-8
			[]byte("{\"nul\":\"\x00\"}\x00"),                                       // NUL bytes
			[]byte("not json at all"),
			bytes.Repeat([]byte("0123456789abcdef"), 4096)[:65535], // the largest entry
		}
		var rows []AuditRow
		for i, e := range entries {
			r := auditRow(originA, uint64(i), at0)
			r.Entry = e
			rows = append(rows, r)
		}
		mustIndex(t, db, originA, rows, uint64(len(rows)))
		found := map[uint64][]byte{}
		for _, r := range mustSearch(t, db, AuditQuery{}).Rows {
			found[r.Index] = r.Entry
		}
		for i, e := range entries {
			got, err := db.AuditRecord(ctx, originA, uint64(i))
			if err != nil || !bytes.Equal(got.Entry, e) {
				t.Errorf("AuditRecord(%d).Entry = %.60q, %v; want %.60q", i, got.Entry, err, e)
			}
			if !bytes.Equal(found[uint64(i)], e) {
				t.Errorf("SearchAudit entry %d = %.60q; want %.60q", i, found[uint64(i)], e)
			}
		}
	})
}

// TestAuditSearchPlans checks that the common searches read an index in the
// order of the results (no sort of the whole match) or look a few rows up.
func TestAuditSearchPlans(t *testing.T) {
	db := openTest(t, "sqlite", testDSN(t, "sqlite"))
	mustIndex(t, db, originA, auditRows(originA, 0, 100), 100)
	after := auditToken(&AuditRow{Origin: originA, Index: 50, Time: at0})
	for _, tc := range []struct {
		q      AuditQuery
		index  string
		sorted bool // the index gives the order
	}{
		{AuditQuery{}, "audit_records_time", true},
		{AuditQuery{Since: at0, Until: at0.Add(time.Hour)}, "audit_records_time", true},
		{AuditQuery{After: after}, "audit_records_time", true},
		{AuditQuery{Origin: originA, Kind: "request"}, "audit_records_time", true},
		{AuditQuery{Principal: "alice"}, "audit_records_principal", true},
		{AuditQuery{Principal: "alice", Since: at0, After: after}, "audit_records_principal", true},
		{AuditQuery{Model: "m1", Until: at0}, "audit_records_model", true},
		{AuditQuery{Decision: "deny"}, "audit_records_decision", true},
		{AuditQuery{RequestID: "req_x"}, "audit_records_request", false},
		{AuditQuery{PromptHash: "hmac-sha256:x", Since: at0}, "audit_records_prompt", false},
	} {
		query, args, _, err := tc.q.build(db.d)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.r.Query("EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatalf("EXPLAIN %s: %v", query, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		uses := slices.Contains(strings.Fields(strings.ReplaceAll(p, ";", " ")), tc.index)
		if !uses || (tc.sorted && strings.Contains(p, "TEMP B-TREE")) {
			t.Errorf("%+v: plan %q; want %s, sorted %v", tc.q, p, tc.index, tc.sorted)
		}
	}
}

// BenchmarkIndexAudit measures the follower's write: batches of 256 records
// into a SQLite file.
func BenchmarkIndexAudit(b *testing.B) {
	db := openTest(b, "sqlite", testDSN(b, "sqlite"))
	const batch = 256
	tmpl := auditRow(originA, 0, at0)
	rows := make([]AuditRow, batch)
	var next uint64
	for b.Loop() {
		for i := range rows {
			r := tmpl
			r.Index = next + uint64(i)
			r.ID = "aud_" + strconv.FormatUint(r.Index, 10)
			r.RequestID, r.PromptHash = "req_"+r.ID, "hmac-sha256:"+r.ID
			r.Time = at0.Add(time.Duration(r.Index) * time.Millisecond)
			rows[i] = r
		}
		next += batch
		mustIndex(b, db, originA, rows, next)
	}
	b.ReportMetric(float64(next)/b.Elapsed().Seconds(), "rows/s")
}
