package verify_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/wardenhq/warden/auditlog/verify"
)

func TestOpenCheckpointTessera(t *testing.T) {
	dir := fixture(t, 257)
	cp := readCheckpoint(t, dir)
	if cp.Origin != testOrigin || cp.Size != 257 {
		t.Fatalf("got %q size %d", cp.Origin, cp.Size)
	}
	if want := newRefTree(t, entries(0, 257)).root(t, 257); cp.Root != want {
		t.Fatalf("root %v, reference tree says %v", cp.Root, want)
	}
	if !bytes.HasPrefix(cp.Note, []byte(testOrigin+"\n257\n")) {
		t.Fatalf("Note = %q", cp.Note)
	}
	// The key file has a trailing newline.
	if _, err := verify.OpenCheckpoint(cp.Note, testKey+"\n"); err != nil {
		t.Fatal(err)
	}
	// Size 0, as Tessera publishes it when a log is created.
	cp0 := readCheckpoint(t, fixture(t, 0))
	if cp0.Size != 0 || cp0.Root != tlog.Hash(sha256.Sum256(nil)) {
		t.Fatalf("empty log checkpoint: %+v", cp0)
	}
}

func TestOpenCheckpointRefusals(t *testing.T) {
	root := tlog.Hash(sha256.Sum256([]byte("root")))
	good := signCheckpoint(t, testSigner, testOrigin, 5, root)

	t.Run("good", func(t *testing.T) {
		cp, err := verify.OpenCheckpoint(good, testKey)
		if err != nil || cp.Size != 5 || cp.Root != root {
			t.Fatalf("%+v %v", cp, err)
		}
		ext := signCheckpoint(t, testSigner, testOrigin, 5, root, "ext one", "ext two")
		if _, err := verify.OpenCheckpoint(ext, testKey); err != nil {
			t.Fatalf("extension lines: %v", err)
		}
	})
	t.Run("edited", func(t *testing.T) {
		bad := bytes.Replace(good, []byte("\n5\n"), []byte("\n6\n"), 1)
		_, err := verify.OpenCheckpoint(bad, testKey)
		wantError(t, err, verify.BadSignature, -1, "invalid", "altered")
	})
	t.Run("other key", func(t *testing.T) {
		other := signCheckpoint(t, otherSigner, "other.example/audit", 5, root)
		_, err := verify.OpenCheckpoint(other, testKey)
		wantError(t, err, verify.BadSignature, -1, "not signed by key "+testOrigin)
	})
	t.Run("other key same name", func(t *testing.T) {
		s, _ := mustKey(testOrigin)
		_, err := verify.OpenCheckpoint(signCheckpoint(t, s, testOrigin, 5, root), testKey)
		wantError(t, err, verify.BadSignature, -1, "another log or key")
	})
	t.Run("wrong origin", func(t *testing.T) {
		msg := signCheckpoint(t, testSigner, "elsewhere.example/log", 5, root)
		_, err := verify.OpenCheckpoint(msg, testKey)
		wantError(t, err, verify.WrongOrigin, -1, `"elsewhere.example/log"`, testOrigin)
	})
	t.Run("bad key", func(t *testing.T) {
		_, err := verify.OpenCheckpoint(good, "nonsense")
		wantError(t, err, verify.BadKey, -1)
	})
	t.Run("not a note", func(t *testing.T) {
		_, err := verify.OpenCheckpoint([]byte("hello\n"), testKey)
		wantError(t, err, verify.Malformed, -1)
	})

	r64 := root.String()
	for name, body := range map[string]string{
		"leading zero":      testOrigin + "\n05\n" + r64 + "\n",
		"plus sign":         testOrigin + "\n+5\n" + r64 + "\n",
		"negative":          testOrigin + "\n-5\n" + r64 + "\n",
		"hex":               testOrigin + "\n0x5\n" + r64 + "\n",
		"empty size":        testOrigin + "\n\n" + r64 + "\n",
		"huge":              testOrigin + "\n18446744073709551615\n" + r64 + "\n",
		"overflow":          testOrigin + "\n18446744073709551616\n" + r64 + "\n",
		"no root":           testOrigin + "\n5\n",
		"short root":        testOrigin + "\n5\n" + r64[:40] + "\n",
		"unpadded root":     testOrigin + "\n5\n" + strings.TrimRight(r64, "=") + "\n",
		"root of 33 bytes":  testOrigin + "\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"empty extension":   testOrigin + "\n5\n" + r64 + "\n\nx\n",
		"empty origin":      "\n5\n" + r64 + "\n",
		"size 0 other root": testOrigin + "\n0\n" + r64 + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			msg, err := note.Sign(&note.Note{Text: body}, testSigner)
			if err != nil {
				t.Skipf("note.Sign refuses it already: %v", err)
			}
			_, err = verify.OpenCheckpoint(msg, testKey)
			wantError(t, err, verify.Malformed, -1, "malformed checkpoint")
		})
	}
}

func FuzzOpenCheckpoint(f *testing.F) {
	root := tlog.Hash(sha256.Sum256([]byte("root")))
	f.Add(signCheckpoint(f, testSigner, testOrigin, 5, root))
	f.Add(signCheckpoint(f, testSigner, testOrigin, 0, tlog.Hash(sha256.Sum256(nil)), "ext"))
	f.Add(signCheckpoint(f, otherSigner, "other.example/audit", 1, root))
	f.Add([]byte("x\n\n— y z\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		cp, err := verify.OpenCheckpoint(msg, testKey)
		if err != nil {
			if _, ok := err.(*verify.Error); !ok {
				t.Fatalf("error %T is not *verify.Error", err)
			}
			return
		}
		if cp.Origin != testOrigin || cp.Size > 1<<63-1 || !bytes.Equal(cp.Note, msg) {
			t.Fatalf("accepted %+v", cp)
		}
		// The body was parsed exactly: it starts with these three lines.
		if head := fmt.Sprintf("%s\n%d\n%s\n", cp.Origin, cp.Size, cp.Root); !bytes.HasPrefix(msg, []byte(head)) {
			t.Fatalf("accepted %+v from %q", cp, msg)
		}
	})
}
