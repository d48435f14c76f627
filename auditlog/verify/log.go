package verify

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Options tune [Log].
type Options struct {
	// Older, if set, is a checkpoint of the same log the caller trusts (an
	// earlier one it verified or stored). Log then also proves the log
	// consistent with it; an Older larger than the checkpoint being
	// verified is a rollback.
	Older *Checkpoint

	// Progress, if set, is called from one goroutine after each entry
	// bundle with the number of entries verified so far and the total.
	Progress func(done, total uint64)

	// CheckEntry, if set, is called for every entry (for example to check
	// that it is a valid JSON record). It is called concurrently from
	// several goroutines, in index order within a bundle; entry must not be
	// retained or modified. A refusal does not stop verification: once
	// the log's integrity is established, Log reports the lowest refused
	// index and how many entries were refused.
	CheckEntry func(index uint64, entry []byte) error

	// Workers is the number of bundles read and hashed in parallel;
	// 0 means GOMAXPROCS.
	Workers int
}

// Report summarizes a successful verification.
type Report struct {
	Checkpoint Checkpoint    // the checkpoint verified
	Entries    uint64        // entries read and hashed (= Checkpoint.Size)
	Bundles    uint64        // entry bundles read
	Bytes      uint64        // total size of the entries
	Older      *Checkpoint   // the older checkpoint proven consistent, if any
	Elapsed    time.Duration // time taken
}

// Log verifies the whole log against cp: it reads every entry bundle,
// checks that each holds exactly the entries it should, hashes every entry
// and rebuilds the Merkle root of cp.Size leaves, which must equal cp.Root.
// When it does not, Log locates the first changed entry by comparing entry
// hashes with the hash tiles (themselves authenticated against cp) and
// reports it as an *Error of kind Changed with its Index.
//
// cp must come from [OpenCheckpoint] (or [ReadCheckpoint]) with a key the
// caller trusts; Log does not check signatures.
func Log(ctx context.Context, src Source, cp Checkpoint, opts Options) (Report, error) {
	start := time.Now()
	rep := Report{Checkpoint: cp}
	if err := cp.checkTree(); err != nil {
		return rep, err
	}
	if opts.Older != nil {
		// Cheap checks first: a rollback needs no reading.
		if err := compareSizes(cp, *opts.Older); err != nil {
			return rep, err
		}
	}

	res, err := hashLog(ctx, src, cp.Size, opts)
	rep.Bundles, rep.Bytes = res.bundles, res.bytes
	if err != nil {
		return rep, err
	}
	rep.Entries = cp.Size
	if res.root != cp.Root {
		return rep, locate(ctx, src, cp, res.bundleRoots)
	}
	if opts.Older != nil {
		// The proof comes from tiles authenticated against cp, which the
		// entries were just shown to match; ProveConsistency checks it.
		if _, err := ProveConsistency(ctx, src, cp, *opts.Older); err != nil {
			return rep, err
		}
		o := *opts.Older
		rep.Older = &o
	}
	if res.refused > 0 {
		more := ""
		if res.refused > 1 {
			more = fmt.Sprintf(" (%d entries refused in all)", res.refused)
		}
		return rep, fail(EntryRefused, res.refusedIndex, fmt.Sprintf("entry %d is in the log but failed the entry check%s", res.refusedIndex, more), res.refusedErr)
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

type logHash struct {
	root        tlog.Hash   // root of all the leaves
	bundleRoots []tlog.Hash // root of each full bundle, in order
	bundles     uint64
	bytes       uint64

	refused      uint64 // entries CheckEntry refused
	refusedIndex int64  // the lowest of them
	refusedErr   error
}

type bundleHash struct {
	root   tlog.Hash   // a full bundle's root
	leaves []tlog.Hash // a partial bundle's leaves
	bytes  uint64
	err    error

	refused      uint64
	refusedIndex int64
	refusedErr   error
}

// hashLog reads and hashes the size entries of src, bundles in parallel,
// and folds them into a root.
func hashLog(ctx context.Context, src Source, size uint64, opts Options) (logHash, error) {
	var res logHash
	if size == 0 {
		res.root = emptyRoot
		return res, nil
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	nb := (size + tileWidth - 1) / tileWidth

	ctx, cancel := context.WithCancel(ctx)
	type job struct {
		b   uint64
		out chan bundleHash
	}
	jobs := make(chan job)
	order := make(chan chan bundleHash, 2*workers)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }() // no CheckEntry call after Log returns
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch [][]byte
			for j := range jobs {
				j.out <- hashBundle(ctx, src, j.b, size, opts.CheckEntry, &scratch)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(jobs)
		defer close(order)
		for b := range nb {
			out := make(chan bundleHash, 1)
			select {
			case order <- out:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{b, out}:
			case <-ctx.Done():
				return
			}
		}
	}()

	var st stack
	res.bundleRoots = make([]tlog.Hash, 0, size/tileWidth)
	res.refusedIndex = -1
	var done uint64
	for out := range order {
		var r bundleHash
		select {
		case r = <-out:
		case <-ctx.Done():
			return res, fail(ReadFailed, int64(done), "verification cancelled", ctx.Err())
		}
		if r.err != nil {
			return res, r.err
		}
		res.bundles++
		res.bytes += r.bytes
		if r.refused > 0 {
			if res.refused == 0 {
				res.refusedIndex, res.refusedErr = r.refusedIndex, r.refusedErr
			}
			res.refused += r.refused
		}
		if r.leaves == nil {
			st.push(r.root, tileHeight)
			res.bundleRoots = append(res.bundleRoots, r.root)
			done += tileWidth
		} else {
			for _, h := range r.leaves {
				st.push(h, 0)
			}
			done += uint64(len(r.leaves))
		}
		if opts.Progress != nil {
			opts.Progress(done, size)
		}
	}
	if done != size {
		// Only when ctx was cancelled before every bundle was handed out.
		return res, fail(ReadFailed, int64(done), "verification cancelled", context.Cause(ctx))
	}
	res.root = st.root()
	return res, nil
}

// hashBundle reads bundle b and hashes its entries.
func hashBundle(ctx context.Context, src Source, b, size uint64, check func(uint64, []byte) error, scratch *[][]byte) bundleHash {
	var r bundleHash
	if err := ctx.Err(); err != nil {
		r.err = fail(ReadFailed, int64(b*tileWidth), "verification cancelled", err)
		return r
	}
	want, p := bundleWidth(b, size)
	raw, err := src.ReadEntryBundle(ctx, b, p)
	if err != nil {
		r.err = readBundleError(b, size, err)
		return r
	}
	entries, err := splitBundle(raw, b, want, p > 0, *scratch)
	if err != nil {
		r.err = err
		return r
	}
	*scratch = entries
	var leaves [tileWidth]tlog.Hash
	first := b * tileWidth
	for i, e := range entries {
		leaves[i] = tlog.RecordHash(e)
		r.bytes += uint64(len(e))
		if check != nil {
			if err := check(first+uint64(i), e); err != nil {
				if r.refused == 0 {
					r.refusedIndex, r.refusedErr = int64(first)+int64(i), err
				}
				r.refused++
			}
		}
	}
	if len(entries) < tileWidth {
		r.leaves = append([]tlog.Hash(nil), leaves[:len(entries)]...)
		return r
	}
	// A full bundle is a perfect subtree of height 8.
	hs := leaves[:]
	for n := tileWidth; n > 1; n /= 2 {
		for i := 0; i < n/2; i++ {
			hs[i] = tlog.NodeHash(hs[2*i], hs[2*i+1])
		}
	}
	r.root = hs[0]
	return r
}

// stack holds the roots of the perfect subtrees covering the leaves pushed
// so far, largest (leftmost) first.
type stack []struct {
	h     tlog.Hash
	level int
}

// push appends a perfect subtree of 2^level leaves; the leaves pushed so
// far must be a multiple of 2^level.
func (s *stack) push(h tlog.Hash, level int) {
	for len(*s) > 0 && (*s)[len(*s)-1].level == level {
		h = tlog.NodeHash((*s)[len(*s)-1].h, h)
		*s = (*s)[:len(*s)-1]
		level++
	}
	*s = append(*s, struct {
		h     tlog.Hash
		level int
	}{h, level})
}

// root folds the subtrees right to left into the RFC 6962 root.
func (s stack) root() tlog.Hash {
	if len(s) == 0 {
		return emptyRoot
	}
	h := s[len(s)-1].h
	for i := len(s) - 2; i >= 0; i-- {
		h = tlog.NodeHash(s[i].h, h)
	}
	return h
}

// locate explains a root mismatch: it finds the first entry whose hash
// differs from the authenticated level-0 hash tiles.
func locate(ctx context.Context, src Source, cp Checkpoint, bundleRoots []tlog.Hash) error {
	reason := fmt.Sprintf("the entries do not hash to the checkpoint's root (size %d)", cp.Size)
	unlocated := func(err error) error {
		return fail(Changed, -1, reason+"; the changed entry cannot be located from the hash tiles", err)
	}
	hr := hashReader(ctx, src, cp)
	bad := uint64(len(bundleRoots)) // if every full bundle is right: the partial one
	const chunk = tileWidth * tileWidth
	for start := 0; start < len(bundleRoots) && bad == uint64(len(bundleRoots)); start += chunk {
		end := min(start+chunk, len(bundleRoots))
		idx := make([]int64, end-start)
		for i := range idx {
			idx[i] = tlog.StoredHashIndex(tileHeight, int64(start+i))
		}
		hs, err := hr.ReadHashes(idx)
		if err != nil {
			return unlocated(err)
		}
		for i, h := range hs {
			if h != bundleRoots[start+i] {
				bad = uint64(start + i)
				break
			}
		}
	}
	if bad*tileWidth >= cp.Size {
		return fail(Changed, -1, reason+", yet every entry matches the hash tiles", nil)
	}
	entries, err := readBundle(ctx, src, bad, cp.Size)
	if err != nil {
		return fail(Changed, -1, reason+"; re-reading the bundle to locate the change failed", err)
	}
	first := int64(bad * tileWidth)
	idx := make([]int64, len(entries))
	for i := range idx {
		idx[i] = tlog.StoredHashIndex(0, first+int64(i))
	}
	hs, err := hr.ReadHashes(idx)
	if err != nil {
		return unlocated(err)
	}
	for i, e := range entries {
		if tlog.RecordHash(e) != hs[i] {
			n := first + int64(i)
			return fail(Changed, n, fmt.Sprintf("entry %d is not the entry the checkpoint commits to (changed, replaced or reordered); %s", n, reason), nil)
		}
	}
	return fail(Changed, -1, reason+", yet entry bundle "+fmt.Sprint(bad)+" matches the hash tiles", nil)
}
