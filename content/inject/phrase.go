package inject

import "bytes"

// Phrase matching in one pass: every phrase list of rules.go is indexed
// by a hash of its phrases' first three bytes, and each position of a
// text is looked up once, instead of searching the text for each phrase.

// The phrase lists, by index.
const (
	lNewTask = iota
	lVoid
	lInterrupt
	lPraise
	lNow
	lJailbreak
	lJailbreakW
	lPersona
	lSwitch
	lEvil
	lReveal
	lRevealVerb
	lForced
	lFakeTurn
	lDecodeAsk
	lDecodeDo
	lIndirect
	lExfil
	lExfilObj
	lHypo
	lHarm
	lPersuade
	lUserRef
	numLists
)

var phraseLists = [numLists][][]byte{pNewTask, pVoid, pInterrupt, pPraise, pNow, pJailbreak, pJailbreakW, pPersona, pSwitch, pEvil, pReveal, pRevealVerb,
	pForced, pFakeTurn, pDecodeAsk, pDecodeDo, pIndirect, pExfil, pExfilObj, pHypo, pHarm, pPersuade, pUserRef}

const bucketBits = 12

type phrase struct {
	p     []byte
	lists uint32 // bit i: in phraseLists[i]
}

// The phrases by bucket, flat (8 KiB of offsets, not 4096 slice headers):
// bucket k's phrases are bucketed[bucketAt[k]:bucketAt[k+1]].
var (
	phrases  []phrase
	bucketAt [1<<bucketBits + 1]uint16
	bucketed []uint16
)

func key3(a, b, c byte) uint32 {
	return (uint32(a)<<16 | uint32(b)<<8 | uint32(c)) * 2654435761 >> (32 - bucketBits)
}

func init() {
	var buckets [1 << bucketBits][]uint16
	at := map[string]int{}
	for l, list := range phraseLists {
		for _, p := range list {
			if len(p) < 3 {
				panic("inject: phrase shorter than 3 bytes: " + string(p))
			}
			i, ok := at[string(p)]
			if !ok {
				i = len(phrases)
				at[string(p)] = i
				phrases = append(phrases, phrase{p: p})
				k := key3(p[0], p[1], p[2])
				buckets[k] = append(buckets[k], uint16(i))
			}
			phrases[i].lists |= 1 << l
		}
	}
	if len(phrases) > 64*len(hits{}.seen) {
		panic("inject: too many phrases for hits.seen")
	}
	for k, b := range buckets {
		bucketAt[k] = uint16(len(bucketed))
		bucketed = append(bucketed, b...)
	}
	bucketAt[len(buckets)] = uint16(len(bucketed))
}

// hits counts, per list, the distinct phrases of it that a text holds.
type hits struct {
	n    [numLists]uint8
	seen [16]uint64 // by phrase index (up to 1024 phrases)
}

func (h *hits) has(l int) bool  { return h.n[l] > 0 }
func (h *hits) count(l int) int { return int(h.n[l]) }

func match(h *hits, low []byte) {
	*h = hits{}
	for i := 0; i+3 <= len(low); i++ {
		b := key3(low[i], low[i+1], low[i+2])
		for _, k := range bucketed[bucketAt[b]:bucketAt[b+1]] {
			ph := &phrases[k]
			if h.seen[k/64]&(1<<(k%64)) != 0 || !bytes.HasPrefix(low[i:], ph.p) {
				continue
			}
			h.seen[k/64] |= 1 << (k % 64)
			for l := 0; l < numLists; l++ {
				if ph.lists&(1<<l) != 0 && h.n[l] < 255 {
					h.n[l]++
				}
			}
		}
	}
}

// stemSet holds word stems by first byte.
type stemSet [256][][]byte

func newStems(s ...string) *stemSet {
	var set stemSet
	for _, x := range s {
		set[x[0]] = append(set[x[0]], []byte(x))
	}
	return &set
}

func (set *stemSet) prefixOf(w []byte) bool {
	if len(w) == 0 {
		return false
	}
	for _, p := range set[w[0]] {
		if bytes.HasPrefix(w, p) {
			return true
		}
	}
	return false
}
