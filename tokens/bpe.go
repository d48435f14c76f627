package tokens

import (
	"fmt"
	"math/bits"
	"sync"
	"unicode/utf8"

	"github.com/tiktoken-go/tokenizer/codec"
)

// The o200k_base byte-pair encoding, counted without the tokenizer
// module's matcher: split (split.go) cuts the text into pieces as its
// pattern does, and each piece is looked up whole (most pieces are one
// token) or merged pair by pair, lowest rank first, as the module does.
// Nothing allocates per piece, except a piece with invalid UTF-8 (once).

// vocab is o200k_base's ranks, in an open-addressing hash table built once
// from the module's codec (Decode of every id: a token's rank is its id).
// It holds about 5.5 MB: 1.4 MB of token bytes, 4 MB of table (2^19
// slots of 8 bytes, 38% full) and the 64 KiB class table.
type vocab struct {
	text  string // every token's bytes, by rank
	slots []slot
	mask  uint32
	shift uint8 // 64 - log2(len(slots))
	class *classes
}

// slot is one token: its bytes text[pos>>8:][:pos&0xff], and its rank. An
// empty slot has pos 0 (no token is empty).
type slot struct {
	pos  uint32
	rank uint32
}

// maxTokenLen is the longest token a slot can hold (o200k_base's is 128).
const maxTokenLen = 0xff

// o200k is the vocabulary, built on first use: about 60 ms of CPU (20 for
// the module's own map, which stays in its package, 40 for ours).
var o200k = sync.OnceValue(func() *vocab { return newVocab(codec.NewO200kBase()) })

// Preload builds the vocabulary now rather than on the first Estimate;
// call it at startup to keep that first request fast.
func Preload() { o200k() }

// newVocab builds the table from c's tokens, ids 0 to the first unknown.
func newVocab(c *codec.Codec) *vocab {
	text := make([]byte, 0, 3<<19)      // o200k_base's tokens are 1.4 MB
	tokens := make([]uint32, 0, 200000) // pos of each rank
	for id := uint(0); ; id++ {
		tok, err := c.Decode([]uint{id})
		if err != nil {
			break
		}
		if len(tok) == 0 || len(tok) > maxTokenLen || len(text) >= 1<<24 {
			panic(fmt.Sprintf("tokens: o200k_base token %d is %d bytes at offset %d: the rank table holds 1 to %d bytes below 16 MiB", id, len(tok), len(text), maxTokenLen))
		}
		tokens = append(tokens, uint32(len(text))<<8|uint32(len(tok)))
		text = append(text, tok...)
	}
	size, shift := 1, uint8(64)
	for size < 2*len(tokens) {
		size, shift = size<<1, shift-1
	}
	v := &vocab{text: string(text), slots: make([]slot, size), mask: uint32(size - 1), shift: shift, class: newClasses()}
	for rank, pos := range tokens {
		tok := v.text[pos>>8:][:pos&0xff]
		i := v.hash(tok)
		for v.slots[i].pos != 0 {
			i = (i + 1) & v.mask
		}
		v.slots[i] = slot{pos, uint32(rank)}
	}
	return v
}

// hash returns s's slot: a multiplicative hash of its bytes, 8 at a time,
// whose top bits index the table. The table is fixed, so it needs no seed:
// no input can lengthen its probe chains, only end in them.
func (v *vocab) hash(s string) uint32 {
	h, w := mix(s)
	return v.slot(h, w)
}

func (v *vocab) slot(h, w uint64) uint32 {
	const k = 0x9e3779b97f4a7c15
	return uint32(((h ^ w) * k) >> v.shift)
}

// mix returns the hash of s's bytes but its last 1 to 8, and those last
// bytes read as two (overlapping) halves, which with len(s) are all of a
// string of up to 8 bytes.
func mix(s string) (h, w uint64) {
	const k = 0x9e3779b97f4a7c15
	h = uint64(len(s))
	for ; len(s) > 8; s = s[8:] {
		h = bits.RotateLeft64((h^le64(s))*k, 31)
	}
	return h, tail(s)
}

func tail(s string) uint64 {
	switch n := len(s); {
	case n >= 4:
		return uint64(le32(s)) | uint64(le32(s[n-4:]))<<32
	case n > 0:
		return uint64(s[0]) | uint64(s[n/2])<<8 | uint64(s[n-1])<<16
	}
	return 0
}

func le32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// rank returns the rank of the token s, if s is one.
func (v *vocab) rank(s string) (uint32, bool) {
	if len(s) > maxTokenLen {
		return 0, false
	}
	h, w := mix(s)
	for i := v.slot(h, w); ; i = (i + 1) & v.mask {
		e := v.slots[i]
		if e.pos == 0 {
			return 0, false
		}
		if int(e.pos&0xff) != len(s) {
			continue
		}
		tok := v.text[e.pos>>8:][:len(s)]
		if len(s) <= 8 && tail(tok) == w || len(s) > 8 && tok == s { // up to 8 bytes, w is all of s
			return e.rank, true
		}
	}
}

// count returns the tokens in s.
func (v *vocab) count(s string) int {
	valid := utf8.ValidString(s)
	n := 0
	for i := 0; i < len(s); {
		if s[i] == del { // in no piece (split.go)
			i++
			continue
		}
		e := v.class.split(s, i)
		p := s[i:e]
		if !valid {
			p = replaceInvalid(p)
		}
		n += v.pieceTokens(p)
		i = e
	}
	return n
}

// replaceInvalid returns p with each byte that is not part of valid UTF-8
// replaced by U+FFFD, as the module's matcher sees it (it matches on
// []rune(s) and returns string(runes)).
func replaceInvalid(p string) string {
	if utf8.ValidString(p) {
		return p
	}
	b := make([]byte, 0, len(p)+16)
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRuneInString(p[i:])
		b = utf8.AppendRune(b, r) // an invalid byte decodes as U+FFFD of length 1
		i += n
	}
	return string(b)
}

// pieceTokens returns the tokens byte-pair encoding makes of one piece.
func (v *vocab) pieceTokens(p string) int {
	if len(p) == 1 { // every byte is a token (TestVocab)
		return 1
	}
	if _, ok := v.rank(p); ok {
		return 1
	}
	if len(p) <= scanMax {
		return v.mergeScan(p)
	}
	return v.mergeHeap(p)
}

// noRank marks a pair that is no token.
const noRank = ^uint32(0)

// scanMax is the longest piece merged by mergeScan, whose arrays live on
// the stack; longer pieces go to mergeHeap (the module switches at 96).
const scanMax = 64

// mergeScan merges the leftmost pair of parts of lowest rank until no pair
// is a token, finding it by a linear scan, and returns the parts left.
func (v *vocab) mergeScan(p string) int {
	var start [scanMax + 1]int32 // the parts' starts, then len(p)
	var rank [scanMax]uint32     // rank[i]: of parts i and i+1 merged
	parts := len(p)
	for i := range parts + 1 {
		start[i] = int32(i)
	}
	pair := func(i int) uint32 {
		if i+1 < parts {
			if r, ok := v.rank(p[start[i]:start[i+2]]); ok {
				return r
			}
		}
		return noRank
	}
	for i := range parts {
		rank[i] = pair(i)
	}
	for {
		best, at := noRank, -1
		for i, r := range rank[:parts] {
			if r < best {
				best, at = r, i
			}
		}
		if at < 0 {
			return parts
		}
		copy(start[at+1:parts], start[at+2:parts+1])
		copy(rank[at+1:parts-1], rank[at+2:parts])
		parts--
		rank[at] = pair(at)
		if at > 0 {
			rank[at-1] = pair(at - 1)
		}
	}
}

// mergeNode is a part in mergeHeap's linked list: rank is of this part
// and the next merged.
type mergeNode struct {
	prev, next int32
	rank       uint32
}

type mergeCandidate struct {
	rank uint32
	at   int32
}

// mergeScratch is mergeHeap's memory, reused.
type mergeScratch struct {
	nodes []mergeNode
	heap  []mergeCandidate
}

var scratch = sync.Pool{New: func() any { return new(mergeScratch) }}

// mergeHeap returns what mergeScan would, in O(n log n): candidates in a
// min-heap by rank, then position (so the leftmost of equal ranks merges
// first), stale ones skipped when popped.
func (v *vocab) mergeHeap(p string) int {
	sc := scratch.Get().(*mergeScratch)
	defer scratch.Put(sc)
	n := int32(len(p))
	nodes := sc.nodes[:0]
	for i := range n + 1 {
		nodes = append(nodes, mergeNode{prev: i - 1, next: i + 1, rank: noRank})
	}
	nodes[n].next = -1
	sc.nodes = nodes
	pair := func(i int32) uint32 {
		j := nodes[i].next
		if j < 0 || nodes[j].next < 0 {
			return noRank
		}
		if r, ok := v.rank(p[i:nodes[j].next]); ok {
			return r
		}
		return noRank
	}
	h := sc.heap[:0]
	for i := int32(0); i+2 <= n; i++ {
		if r := pair(i); r != noRank {
			nodes[i].rank = r
			h = append(h, mergeCandidate{r, i})
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(h, i)
	}
	parts := int(n)
	for len(h) > 0 {
		top := h[0]
		h[0] = h[len(h)-1]
		h = h[:len(h)-1]
		down(h, 0)
		i := top.at
		if nodes[i].rank != top.rank {
			continue // stale
		}
		j := nodes[i].next
		k := nodes[j].next
		nodes[j].rank = noRank
		nodes[i].next = k
		if k >= 0 {
			nodes[k].prev = i
		}
		parts--
		for _, b := range [2]int32{i, nodes[i].prev} {
			if b < 0 {
				continue
			}
			if nodes[b].rank = pair(b); nodes[b].rank != noRank {
				h = append(h, mergeCandidate{nodes[b].rank, b})
				up(h, len(h)-1)
			}
		}
	}
	sc.heap = h
	return parts
}

func less(h []mergeCandidate, a, b int) bool {
	if h[a].rank != h[b].rank {
		return h[a].rank < h[b].rank
	}
	return h[a].at < h[b].at
}

func up(h []mergeCandidate, i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !less(h, i, parent) {
			return
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func down(h []mergeCandidate, i int) {
	for {
		child := 2*i + 1
		if child >= len(h) {
			return
		}
		if right := child + 1; right < len(h) && less(h, right, child) {
			child = right
		}
		if !less(h, child, i) {
			return
		}
		h[i], h[child] = h[child], h[i]
		i = child
	}
}
