package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/gateway"
	"github.com/wardenhq/warden/store"
)

// auditFilters are the search filters search and export share (those of
// GET /admin/v1/audit/records).
type auditFilters struct {
	origin, principal, keyID, model, namespace, decision, kind string
	requestID, promptHash, responseHash, since, until          string
}

func (f *auditFilters) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.principal, "principal", "", "principal id (apikey:KEY_ID, an OIDC subject, cli:USER, ...)")
	fl.StringVar(&f.keyID, "key-id", "", "API key id")
	fl.StringVar(&f.model, "model", "", "model name")
	fl.StringVar(&f.namespace, "namespace", "", "namespace")
	enumVar(cmd, &f.decision, "decision", "", auditDecisions, "only records of this decision")
	enumVar(cmd, &f.kind, "kind", "", auditKinds, "only requests or only administrative acts")
	fl.StringVar(&f.requestID, "request-id", "", "request id (X-Request-Id)")
	fl.StringVar(&f.promptHash, "prompt-hash", "", "prompt hash (see warden audit hash)")
	fl.StringVar(&f.responseHash, "response-hash", "", "response hash (see warden audit hash --role assistant)")
	fl.StringVar(&f.since, "since", "", "from this time on (RFC 3339, a date, or a duration back from now such as 24h)")
	fl.StringVar(&f.until, "until", "", "before this time (RFC 3339, a date, or a duration back from now)")
}

// query builds the store query; a bad time is a usage error.
func (f *auditFilters) query(op string, now time.Time) (store.AuditQuery, error) {
	q := store.AuditQuery{
		Origin: f.origin, Principal: f.principal, KeyID: f.keyID, Model: f.model, Namespace: f.namespace,
		Decision: f.decision, Kind: f.kind, RequestID: f.requestID, PromptHash: f.promptHash, ResponseHash: f.responseHash,
	}
	var err error
	if q.Since, err = gateway.ParseTime(f.since, now); err != nil {
		return q, usageErr("%s: --since %q: %v", op, f.since, err)
	}
	if q.Until, err = gateway.ParseTime(f.until, now); err != nil {
		return q, usageErr("%s: --until %q: %v", op, f.until, err)
	}
	return q, nil
}

// searchAll pages through the index, newest first, until limit rows (0: all).
func searchAll(ctx context.Context, db *store.DB, q store.AuditQuery, limit int, each func(store.AuditRow) error) error {
	n := 0
	for {
		q.Limit = 1000
		if limit > 0 {
			q.Limit = min(limit-n, 1000)
		}
		page, err := db.SearchAudit(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range page.Rows {
			if err := each(r); err != nil {
				return err
			}
			n++
		}
		if page.Next == "" || (limit > 0 && n >= limit) {
			return nil
		}
		q.After = page.Next
	}
}

func newAuditSearch() *cobra.Command {
	var f auditFilters
	var limit int
	var format string
	cmd := &cobra.Command{
		Use:   "search [--principal P] [--model M] [--decision D] [--since T] [--until T] [--format table|json|csv]",
		Short: "search audit records (newest first) in the store's index",
		Long: `Searches the audit records the store has indexed, newest first. Every filter given must
match exactly. --since and --until take RFC 3339 times, dates (UTC midnight) or durations back
from now (24h, 7d). table prints one line per record; json prints a JSON array of the full
records, each with its "index" and "origin"; csv prints a header and one row per record.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 0 {
				return usageErr("audit search: --limit must not be negative (0: no limit)")
			}
			var w rowWriter
			out := cmd.OutOrStdout()
			switch format {
			case "json":
				w = &jsonRows{w: out}
			case "csv":
				w = newCSVRows(out)
			default: // table (enumVar admits no other value)
				w = newTableWriter(out)
			}
			q, err := f.query("audit search", time.Now())
			if err != nil {
				return err
			}
			return withBackends(cmd, func(ctx context.Context, _ *config.Config, b *backends) error {
				if err := searchAll(ctx, b.store, q, limit, w.row); err != nil {
					return refused("audit search: %v", err)
				}
				return w.flush()
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&f.origin, "origin", "", "only records of this log (a replica's audit.origin)")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many records (0: all)")
	enumVar(cmd, &format, "format", "table", searchFormats, "output format")
	return cmd
}

type rowWriter interface {
	row(store.AuditRow) error
	flush() error
}

// endpointOf is the row's endpoint, or for an admin act without one
// (offline CLI acts), "admin:<action>".
func endpointOf(r store.AuditRow) string {
	if r.Endpoint != "" || r.Kind != auditlog.KindAdmin {
		return r.Endpoint
	}
	var rec struct {
		Admin *auditlog.Admin `json:"admin"`
	}
	if json.Unmarshal(r.Entry, &rec) == nil && rec.Admin != nil && rec.Admin.Action != "" {
		return "admin:" + rec.Admin.Action
	}
	return ""
}

type tableRows struct{ tw *tabwriter.Writer }

func newTableWriter(w io.Writer) *tableRows {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INDEX\tTIME\tPRINCIPAL\tMODEL\tENDPOINT\tDECISION\tSTATUS\tREQUEST_ID")
	return &tableRows{tw}
}

func (t *tableRows) row(r store.AuditRow) error {
	status := "-"
	if r.Status != 0 {
		status = strconv.Itoa(r.Status)
	}
	_, err := fmt.Fprintf(t.tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Index, r.Time.UTC().Format(auditlog.TimeFormat),
		orDash(r.PrincipalID), orDash(r.Model), orDash(endpointOf(r)), orDash(r.Decision), status, orDash(r.RequestID))
	return err
}

func (t *tableRows) flush() error { return t.tw.Flush() }

// jsonRows writes a JSON array of Indexed records, one per line.
type jsonRows struct {
	w io.Writer
	n int
}

func (j *jsonRows) row(r store.AuditRow) error {
	b, err := auditlog.Indexed{Index: r.Index, Origin: r.Origin, Entry: r.Entry}.MarshalJSON()
	if err != nil {
		return fmt.Errorf("record %d of %s: %w", r.Index, r.Origin, err)
	}
	sep := ",\n"
	if j.n == 0 {
		sep = "[\n"
	}
	j.n++
	_, err = fmt.Fprintf(j.w, "%s%s", sep, b)
	return err
}

func (j *jsonRows) flush() error {
	end := "\n]\n"
	if j.n == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(j.w, end)
	return err
}

type csvRows struct{ w *csv.Writer }

func newCSVRows(w io.Writer) *csvRows {
	c := csv.NewWriter(w)
	c.Write([]string{"index", "time", "principal", "model", "endpoint", "decision", "status", "request_id", "origin", "prompt_hash", "response_hash"})
	return &csvRows{c}
}

func (c *csvRows) row(r store.AuditRow) error {
	return c.w.Write([]string{strconv.FormatUint(r.Index, 10), r.Time.UTC().Format(auditlog.TimeFormat), r.PrincipalID, r.Model,
		endpointOf(r), r.Decision, strconv.Itoa(r.Status), r.RequestID, r.Origin, r.PromptHash, r.ResponseHash})
}

func (c *csvRows) flush() error {
	c.w.Flush()
	return c.w.Error()
}
