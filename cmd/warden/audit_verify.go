package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/auditlog/verify"
	"github.com/wardenhq/warden/store"
)

func newAuditVerify() *cobra.Command {
	var cpFile, keyFile, bundle, logURL, caFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify [--checkpoint FILE] [--key FILE] | --bundle FILE [--key FILE] | --url URL [--key FILE]",
		Short: "verify the whole audit log against its signed checkpoint (or an evidence bundle)",
		Long: `Verifies this gateway's audit log (data_dir/audit/log): the checkpoint's signature and
origin, every entry bundle, the Merkle root rebuilt from every entry, and that every entry
is an audit record. With --checkpoint FILE (an older checkpoint you saved, e.g. from
/audit/checkpoint) it also proves the log consistent with it, so a rollback or a rewrite
of history is detected; the newest checkpoint the store holds is checked the same way.

The trust anchor is the configured signing key's verifier key, or --key FILE (a verifier
key such as keys/audit.pub, e.g. an auditor's copy).

--bundle FILE verifies an evidence bundle (warden audit export) offline, against the
configured key or --key FILE, never the bundle's own key; with --key no config is needed.
--url URL verifies a gateway's log over HTTP (URL/audit/..., with $WARDEN_API_KEY).

Exit 0 when everything verifies; 1 with what is wrong and the first bad index.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case bundle != "" && logURL != "":
				return usageErr("audit verify: --bundle and --url do not go together")
			case bundle != "" && cpFile != "":
				return usageErr("audit verify: --checkpoint does not apply to --bundle (the bundle carries its checkpoint)")
			case caFile != "" && logURL == "":
				return usageErr("audit verify: --cacert applies to --url only")
			}
			ctx := cmd.Context()
			if bundle != "" {
				return verifyBundle(cmd, bundle, keyFile, asJSON)
			}
			if logURL != "" {
				key, err := trustedKey(cmd, keyFile)
				if err != nil {
					return err
				}
				src, err := httpLog(logURL, caFile)
				if err != nil {
					return err
				}
				olders, err := readOlder(cpFile, key)
				if err != nil {
					return err
				}
				return verifyLog(ctx, cmd, src.String(), src, key, olders, asJSON)
			}
			l, err := openLocalLog(cmd)
			if err != nil {
				return err
			}
			key := l.key.Verifier
			if keyFile != "" {
				if key, err = readVerifierKey(keyFile); err != nil {
					return err
				}
			}
			if !l.exists() {
				return refused("audit verify: no audit log at %s: it has no checkpoint (nothing recorded yet, or the log was removed)", l.dir)
			}
			olders, err := readOlder(cpFile, key)
			if err != nil {
				return err
			}
			if stored, err := storedCheckpoint(ctx, cmd, l, key); err != nil {
				return err
			} else if stored != nil {
				olders = append(olders, *stored)
			}
			return verifyLog(ctx, cmd, l.dir, l.src, key, olders, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cpFile, "checkpoint", "", "an older checkpoint of this log the log must be consistent with")
	f.StringVar(&keyFile, "key", "", "verifier key file to trust (default: the configured signing key's)")
	f.StringVar(&bundle, "bundle", "", "verify this evidence bundle instead of the log")
	f.StringVar(&logURL, "url", "", "verify the log a gateway serves at this URL (https://host:8443)")
	f.StringVar(&caFile, "cacert", "", "with --url: PEM file of the CA to trust for the gateway's certificate")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// older is a checkpoint the log must be consistent with, and where it came
// from.
type older struct {
	cp   verify.Checkpoint
	from string
}

// readOlder reads --checkpoint FILE, checked against key.
func readOlder(path, key string) ([]older, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErr("audit verify: --checkpoint: %v", err)
	}
	cp, err := verify.OpenCheckpoint(b, key)
	if err != nil {
		return nil, verifyFailed("audit verify: --checkpoint "+path, err)
	}
	return []older{{cp, path}}, nil
}

// storedCheckpoint is the newest checkpoint of the log the store holds
// (serve checks the log against it at start), or nil. A store that cannot
// be opened is only a warning: the log itself is still verified.
func storedCheckpoint(ctx context.Context, cmd *cobra.Command, l *localLog, key string) (*older, error) {
	b, err := openBackends(ctx, l.cfg)
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "warden: audit verify: warning: not checking against the store's newest checkpoint: %v\n", oneLine(err.Error()))
		return nil, nil
	}
	defer b.Close()
	_, note, err := b.store.AuditCheckpoint(ctx, l.key.Signer.Name())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "warden: audit verify: warning: not checking against the store's newest checkpoint: %v\n", oneLine(err.Error()))
		return nil, nil
	}
	cp, err := verify.OpenCheckpoint(note, key)
	if err != nil {
		return nil, verifyFailed("audit verify: the newest checkpoint the store holds", err)
	}
	return &older{cp, "the store's newest checkpoint"}, nil
}

// verifyResult is what --json prints.
type verifyResult struct {
	OK               bool         `json:"ok"`
	Log              string       `json:"log,omitempty"`
	Bundle           string       `json:"bundle,omitempty"`
	Origin           string       `json:"origin,omitempty"`
	Size             uint64       `json:"size"`
	Root             string       `json:"root,omitempty"`
	Records          uint64       `json:"records"`
	Indexes          []uint64     `json:"indexes,omitempty"`
	Bytes            uint64       `json:"bytes,omitempty"`
	ElapsedMS        float64      `json:"elapsed_ms,omitempty"`
	RecordsPerSecond float64      `json:"records_per_second,omitempty"`
	ConsistentWith   []consistent `json:"consistent_with,omitempty"`
	Kind             string       `json:"kind,omitempty"`
	Index            *int64       `json:"index,omitempty"`
	Error            string       `json:"error,omitempty"`
}

type consistent struct {
	From string `json:"from"`
	Size uint64 `json:"size"`
}

// failed fills in r from a failure, prints it if asked, and returns the
// error to exit with.
func (r *verifyResult) failed(cmd *cobra.Command, asJSON bool, err error) error {
	if asJSON {
		r.OK = false
		r.Error = oneLine(err.Error())
		var ve *verify.Error
		if errors.As(err, &ve) {
			r.Kind = string(ve.Kind)
			if ve.Index >= 0 {
				i := ve.Index
				r.Index = &i
			}
		}
		writeJSON(cmd.OutOrStdout(), r)
	}
	return err
}

// verifyLog verifies the whole log src against its checkpoint and the
// older checkpoints.
func verifyLog(ctx context.Context, cmd *cobra.Command, name string, src verify.Source, key string, olders []older, asJSON bool) error {
	res := &verifyResult{Log: name}
	cp, err := verify.ReadCheckpoint(ctx, src, key)
	if err != nil {
		return res.failed(cmd, asJSON, verifyFailed("audit verify: "+name, err))
	}
	res.Origin, res.Size, res.Root = cp.Origin, cp.Size, cp.Root.String()
	what := fmt.Sprintf("audit verify: log %s (checkpoint size %d)", cp.Origin, cp.Size)

	// The largest older checkpoint goes to Log, which checks sizes before
	// reading anything; the others are proven once the log is.
	given := slices.Clone(olders) // in the order given, for the summary
	slices.SortStableFunc(olders, func(a, b older) int { return -cmpUint(a.cp.Size, b.cp.Size) })
	opts := verify.Options{CheckEntry: checkRecord}
	if len(olders) > 0 {
		opts.Older = &olders[0].cp
	}
	update, finish := progressBar(cmd.ErrOrStderr(), "verifying "+cp.Origin)
	opts.Progress = update
	start := time.Now()
	rep, err := verify.Log(ctx, src, cp, opts)
	finish()
	if err != nil {
		if len(olders) > 0 && (errors.Is(err, verify.Rollback) || errors.Is(err, verify.Inconsistent) || errors.Is(err, verify.WrongOrigin)) {
			what += " against " + olders[0].from
		}
		return res.failed(cmd, asJSON, verifyFailed(what, err))
	}
	for _, o := range olders[min(1, len(olders)):] {
		if _, err := verify.ProveConsistency(ctx, src, cp, o.cp); err != nil {
			return res.failed(cmd, asJSON, verifyFailed(what+" against "+o.from, err))
		}
	}
	elapsed := time.Since(start)
	res.OK, res.Records, res.Bytes = true, rep.Entries, rep.Bytes
	res.ElapsedMS = float64(elapsed.Microseconds()) / 1000
	res.RecordsPerSecond = math.Round(float64(rep.Entries) / max(elapsed.Seconds(), 1e-9))
	var cons []string
	for _, o := range given {
		res.ConsistentWith = append(res.ConsistentWith, consistent{o.from, o.cp.Size})
		cons = append(cons, fmt.Sprintf("%s (size %d)", o.from, o.cp.Size))
	}
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), res)
	}
	also := ""
	if len(cons) > 0 {
		also = "; consistent with " + strings.Join(cons, " and ")
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "OK: audit log %s verified: %d records, root %s%s; %s, %.0f records/s\n",
		cp.Origin, rep.Entries, cp.Root, also, fmtElapsed(elapsed), res.RecordsPerSecond)
	return err
}

// fmtElapsed prints a duration to about three digits: 0.5ms, 42.1ms, 1.84s.
func fmtElapsed(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// httpLog is the log a gateway serves under URL/audit/, read with
// $WARDEN_API_KEY (a key with audit.read).
func httpLog(base, caFile string) (*httpSource, error) {
	u := strings.TrimSuffix(base, "/")
	if !strings.HasSuffix(u, "/audit") {
		u += "/audit"
	}
	u += "/"
	client := &http.Client{Timeout: time.Minute}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, usageErr("audit verify: --cacert: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageErr("audit verify: --cacert %s: no PEM certificate in it", caFile)
		}
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	src, err := verify.HTTP(u, client)
	if err != nil {
		return nil, usageErr("audit verify: --url: %v", err)
	}
	if k := os.Getenv("WARDEN_API_KEY"); k != "" {
		src.Header.Set("Authorization", "Bearer "+k)
	}
	return &httpSource{src, u}, nil
}

type httpSource struct {
	*verify.HTTPSource
	url string
}

func (h *httpSource) String() string { return h.url }

// verifyBundle checks an evidence bundle offline.
func verifyBundle(cmd *cobra.Command, path, keyFile string, asJSON bool) error {
	res := &verifyResult{Bundle: path}
	data, err := os.ReadFile(path)
	if err != nil {
		return usageErr("audit verify: --bundle: %v", err)
	}
	key, err := trustedKey(cmd, keyFile)
	if err != nil {
		return err
	}
	what := "audit verify: evidence bundle " + path
	b, err := verify.ParseBundle(data)
	if err != nil {
		return res.failed(cmd, asJSON, verifyFailed(what, err))
	}
	cp, err := b.Verify(key)
	if err != nil {
		return res.failed(cmd, asJSON, verifyFailed(what, err))
	}
	res.Origin, res.Size, res.Root = cp.Origin, cp.Size, cp.Root.String()
	for n, r := range b.Records {
		if err := checkRecord(r.Index, []byte(r.Entry)); err != nil {
			return res.failed(cmd, asJSON, verifyFailed(what, &verify.Error{Kind: verify.EntryRefused, Index: int64(r.Index),
				Reason: fmt.Sprintf("record %d of the evidence bundle (index %d) is included in the log but %v", n, r.Index, err)}))
		}
		res.Indexes = append(res.Indexes, r.Index)
	}
	res.OK, res.Records = true, uint64(len(b.Records))
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), res)
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "OK: evidence bundle %s verified: %d records%s of %s proven included in the checkpoint of size %d, root %s\n",
		path, len(b.Records), indexRange(res.Indexes), cp.Origin, cp.Size, cp.Root)
	return err
}

// indexRange describes a sorted list of indexes, " (indexes 3..250)".
func indexRange(idx []uint64) string {
	switch len(idx) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf(" (index %d)", idx[0])
	}
	return fmt.Sprintf(" (indexes %d..%d)", slices.Min(idx), slices.Max(idx))
}
