package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/auditlog/verify"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/gateway"
)

// Helpers shared by the audit commands.

// localLog is this gateway's audit log on disk, as the config names it.
type localLog struct {
	cfg *config.Config
	key auditlog.Key
	dir string
	src verify.Dir
}

// openLocalLog loads the config and the audit signing key. It does not
// require the log to exist.
func openLocalLog(cmd *cobra.Command) (*localLog, error) {
	c, _, err := loadConfig(cmd)
	if err != nil {
		return nil, err
	}
	key, err := auditlog.LoadKey(c.Audit.SigningKeyFile)
	if err != nil {
		return nil, &exitError{exitUsage, fmt.Errorf("audit.signing_key_file: %w", err)}
	}
	dir := gateway.LogDir(c.DataDir)
	return &localLog{cfg: c, key: key, dir: dir, src: verify.Dir(dir)}, nil
}

// exists reports whether the log has been written at all.
func (l *localLog) exists() bool {
	_, err := os.Stat(filepath.Join(l.dir, "checkpoint"))
	return err == nil
}

// treeSize is the number of entries in the log, signed or not yet (Tessera's
// tree state); ok is false when it cannot be read.
func (l *localLog) treeSize() (size uint64, ok bool) {
	b, err := os.ReadFile(filepath.Join(l.dir, ".state", "treeState"))
	if err != nil {
		return 0, false
	}
	var ts struct {
		Size *uint64 `json:"size"`
	}
	if json.Unmarshal(b, &ts) != nil || ts.Size == nil {
		return 0, false
	}
	return *ts.Size, true
}

// checkpointInterval is how often the gateway signs a checkpoint.
func checkpointInterval(c *config.Config) time.Duration {
	return c.Audit.CheckpointInterval.D(time.Second)
}

// readVerifierKey reads a verifier key file (what `warden init` writes as
// keys/audit.pub and /audit/key serves). A signing key file is accepted too:
// its verifier key is derived from it.
func readVerifierKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", usageErr("--key: %v", err)
	}
	text := strings.TrimSpace(string(b))
	if strings.HasPrefix(text, "PRIVATE+KEY+") {
		k, err := auditlog.LoadKey(path)
		if err != nil {
			return "", usageErr("--key %s: %v", path, err)
		}
		return k.Verifier, nil
	}
	if _, err := note.NewVerifier(text); err != nil {
		return "", usageErr("--key %s: not a note verifier key (want <origin>+<hash>+<key>, as keys/audit.pub holds): %v", path, err)
	}
	return text, nil
}

// trustedKey is the verifier key checkpoints are checked against: --key
// FILE if given, else the configured signing key's.
func trustedKey(cmd *cobra.Command, keyFile string) (string, error) {
	if keyFile != "" {
		return readVerifierKey(keyFile)
	}
	l, err := openLocalLog(cmd)
	if err != nil {
		return "", err
	}
	return l.key.Verifier, nil
}

// verifyFailed turns a verification failure into exit 1, naming its kind
// and the first bad index when the verifier knows it.
func verifyFailed(what string, err error) error {
	var ve *verify.Error
	if !errors.As(err, &ve) {
		return refused("%s: %v", what, err)
	}
	msg := fmt.Sprintf("%s: FAILED (%s): %s", what, ve.Kind, ve.Error())
	if ve.Index >= 0 {
		msg += fmt.Sprintf(" [first bad index: %d]", ve.Index)
	}
	return &exitError{exitRefused, &verifyError{msg: msg, err: ve}}
}

// verifyError keeps the verifier's error under the message shown.
type verifyError struct {
	msg string
	err *verify.Error
}

func (e *verifyError) Error() string { return e.msg }
func (e *verifyError) Unwrap() error { return e.err }

// checkRecord is the entry check: every entry must be an audit record.
func checkRecord(_ uint64, entry []byte) error { return auditlog.CheckEntry(entry) }

// writeJSON writes v indented, without HTML escaping.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws verification progress on w, at most ten times a
// second; finish clears it. Both are no-ops unless w is a terminal.
func progressBar(w io.Writer, label string) (update func(done, total uint64), finish func()) {
	if !isTerminal(w) {
		return nil, func() {}
	}
	var last time.Time
	drawn := false
	update = func(done, total uint64) {
		now := time.Now()
		if done < total && now.Sub(last) < 100*time.Millisecond {
			return
		}
		last = now
		const width = 30
		frac := 1.0
		if total > 0 {
			frac = float64(done) / float64(total)
		}
		n := int(frac * width)
		fmt.Fprintf(w, "\r%s [%s%s] %3.0f%% %d/%d", label, strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100, done, total)
		drawn = true
	}
	finish = func() {
		if drawn {
			fmt.Fprint(w, "\r\033[K")
		}
	}
	return update, finish
}
