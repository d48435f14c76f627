package auditlog

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// frame encodes one write-ahead log frame, independently of wal.write.
func frame(index uint64, entry []byte) []byte {
	b := make([]byte, walFrameHeader, walFrameHeader+len(entry))
	binary.BigEndian.PutUint32(b, uint32(len(entry)))
	binary.BigEndian.PutUint64(b[8:], index)
	b = append(b, entry...)
	binary.BigEndian.PutUint32(b[4:], crc32.Checksum(b[8:], crcTable))
	return b
}

// FuzzWALSegment reads arbitrary bytes as a write-ahead log segment (as a
// crash, a torn write or a damaged disk may leave one): readWAL must not
// panic, and what it returns (unless it refuses the segment outright, as
// it does a valid frame out of sequence) must be exactly a prefix of the
// segment, frame by frame, with consecutive indexes from the segment's
// first, so damage can only cut the log short, never change or invent a
// record.
func FuzzWALSegment(f *testing.F) {
	const first = 7
	dir := f.TempDir()
	w, err := startWAL(dir, first)
	if err != nil {
		f.Fatal(err)
	}
	if err := w.write(first, [][]byte{[]byte(`{"a":1}`), []byte(`{"b":"two"}`), bytes.Repeat([]byte("x"), 300)}); err != nil {
		f.Fatal(err)
	}
	w.close()
	seg, err := os.ReadFile(filepath.Join(dir, segmentName(first)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seg)
	f.Add(seg[:len(seg)-5])
	f.Add(append(bytes.Clone(seg), frame(first+5, []byte("skipped"))...))
	flipped := bytes.Clone(seg)
	flipped[walFrameHeader+2] ^= 1
	f.Add(flipped)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segmentName(first)), data, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := readWAL(dir)
		if err != nil {
			return // a valid frame out of sequence: refused, Open fails loudly
		}
		off := 0
		for i, e := range got {
			if e.index != first+uint64(i) {
				t.Fatalf("record %d has index %d, want %d", i, e.index, first+i)
			}
			fr := frame(e.index, e.entry)
			if !bytes.Equal(data[off:min(off+len(fr), len(data))], fr) {
				t.Fatalf("record %d is not the frame at offset %d", i, off)
			}
			off += len(fr)
		}
	})
}
