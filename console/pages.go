package console

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/wardenhq/warden/auditlog/verify"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/pipeline"
	"github.com/wardenhq/warden/policy"
)

func (c *Console) session(r *http.Request) *Session {
	s, _ := c.sessions.Lookup(r)
	return s
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	sess := c.session(r)
	data := map[string]any{"Roles": roleNames(rolesFor(c.b.Config(), x.Identity.Groups))}
	if size, origin, err := c.b.LogSize(r.Context()); err == nil {
		data["LogSize"], data["Origin"] = size, origin
	}
	can := func(cp policy.Capability) bool { return x.Env.Policy.Permit(x.Identity, x.ClientIP, cp).Allow }
	data["CanAudit"], data["CanApprove"] = can(policy.CapAuditRead), can(policy.CapApprove)
	if data["CanApprove"] == true {
		var list struct {
			Data []map[string]any `json:"data"`
		}
		if err := call(c.b.Approvals, r, x, http.MethodGet, nil, nil, nil, &list); err == nil {
			data["Pending"] = len(list.Data)
		}
	}
	c.render(w, r, http.StatusOK, "overview", sess, data)
	return nil
}

// searchFields are the audit search's form fields, passed to the admin
// API's search as they are.
var searchFields = []string{"principal", "model", "decision", "since", "until", "request_id", "kind"}

func (c *Console) auditSearch(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	in := r.URL.Query()
	q := url.Values{}
	form := map[string]string{}
	for _, f := range searchFields {
		if v := in.Get(f); v != "" {
			q.Set(f, v)
			form[f] = v
		}
	}
	if a := in.Get("after"); a != "" {
		q.Set("after", a)
	}
	q.Set("limit", "50")
	var page struct {
		Data []json.RawMessage `json:"data"`
		Next string            `json:"next"`
	}
	if err := call(c.b.Search, r, x, http.MethodGet, q, nil, nil, &page); err != nil {
		return err
	}
	rows := make([]map[string]any, 0, len(page.Data))
	for _, raw := range page.Data {
		rows = append(rows, summary(raw))
	}
	next := ""
	if page.Next != "" {
		nq := url.Values{}
		for k, v := range form {
			nq.Set(k, v)
		}
		nq.Set("after", page.Next)
		next = "/console/audit?" + nq.Encode()
	}
	c.render(w, r, http.StatusOK, "audit", c.session(r), map[string]any{"Form": form, "Rows": rows, "Next": next,
		"Decisions": pipeline.DecisionNames})
	return nil
}

// summary picks a record's list columns.
func summary(raw json.RawMessage) map[string]any {
	var rec struct {
		Index     uint64 `json:"index"`
		ID        string `json:"id"`
		Time      string `json:"time"`
		Kind      string `json:"kind"`
		Endpoint  string `json:"endpoint"`
		Decision  string `json:"decision"`
		Status    int    `json:"status"`
		RequestID string `json:"request_id"`
		Principal *struct {
			ID string `json:"id"`
		} `json:"principal"`
		Model *struct {
			Name string `json:"name"`
		} `json:"model"`
		Admin *struct {
			Action string `json:"action"`
		} `json:"admin"`
	}
	json.Unmarshal(raw, &rec)
	out := map[string]any{"Index": rec.Index, "ID": rec.ID, "Time": fmtTime(rec.Time), "Kind": rec.Kind,
		"Endpoint": rec.Endpoint, "Decision": rec.Decision, "Status": rec.Status}
	if rec.Principal != nil {
		out["Principal"] = rec.Principal.ID
	}
	if rec.Model != nil {
		out["Model"] = rec.Model.Name
	}
	if rec.Admin != nil {
		out["Action"] = rec.Admin.Action
	}
	return out
}

// auditRecord shows a record with its inclusion proof, fetched from the
// admin API's proof endpoint and verified here again against the signed
// checkpoint and the log's key.
func (c *Console) auditRecord(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	idx, err := strconv.ParseUint(r.PathValue("index"), 10, 63)
	if err != nil {
		return httperr.New(http.StatusBadRequest, "invalid_request", "index: want a leaf index")
	}
	var p struct {
		Record     json.RawMessage `json:"record"`
		Checkpoint string          `json:"checkpoint"`
		Key        string          `json:"key"`
		Proof      []string        `json:"proof"`
	}
	if err := call(c.b.Proof, r, x, http.MethodGet, nil, map[string]string{"index": r.PathValue("index")}, nil, &p); err != nil {
		return err
	}
	verified, why, size := checkProof(p.Checkpoint, p.Key, idx, p.Record, p.Proof)
	var pretty map[string]any
	json.Unmarshal(p.Record, &pretty)
	body, _ := json.MarshalIndent(pretty, "", "  ")
	c.render(w, r, http.StatusOK, "record", c.session(r), map[string]any{"Index": idx, "JSON": string(body),
		"Verified": verified, "Why": why, "TreeSize": size, "Checkpoint": p.Checkpoint, "ProofLen": len(p.Proof)})
	return nil
}

// checkProof verifies the record's entry bytes (the record as logged,
// without the index the API adds beside it) against the checkpoint.
func checkProof(note, key string, idx uint64, record json.RawMessage, proof []string) (bool, string, uint64) {
	cp, err := verify.OpenCheckpoint([]byte(note), key)
	if err != nil {
		return false, "the checkpoint's signature does not verify", 0
	}
	entry, err := entryBytes(record)
	if err != nil {
		return false, "the record cannot be read", cp.Size
	}
	rp := make(tlog.RecordProof, len(proof))
	for i, s := range proof {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			return false, "the proof is malformed", cp.Size
		}
		copy(rp[i][:], b)
	}
	if err := verify.CheckInclusion(cp, idx, entry, rp); err != nil {
		return false, "the proof does not verify", cp.Size
	}
	return true, "", cp.Size
}

func (c *Console) approvals(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	var list struct {
		Data []map[string]any `json:"data"`
	}
	if err := call(c.b.Approvals, r, x, http.MethodGet, nil, nil, nil, &list); err != nil {
		return err
	}
	for _, a := range list.Data {
		for _, k := range []string{"created_at", "expires_at"} {
			if s, ok := a[k].(string); ok {
				a[k] = fmtTime(s)
			}
		}
	}
	c.render(w, r, http.StatusOK, "approvals", c.session(r), map[string]any{"List": list.Data, "Done": r.URL.Query().Get("done")})
	return nil
}

func (c *Console) decide(approve bool) pipeline.Handler {
	h := c.b.Decide(approve)
	return func(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
		reason := r.PostFormValue("reason")
		if len(reason) > 1000 {
			return httperr.New(http.StatusBadRequest, "invalid_request", "reason: at most 1000 characters")
		}
		id := r.PathValue("id")
		body := map[string]string{"reason": reason}
		if err := call(h, r, x, http.MethodPost, nil, map[string]string{"id": id}, body, nil); err != nil {
			return err
		}
		done := "denied"
		if approve {
			done = "approved"
		}
		http.Redirect(w, r, "/console/approvals?done="+done, http.StatusSeeOther)
		return nil
	}
}

// entryBytes recovers a record's log entry from its indexed form
// ({"index":N,"origin":"...", then the entry's own fields}, as
// auditlog.Indexed writes it).
func entryBytes(indexed []byte) ([]byte, error) {
	var head struct {
		Index  uint64 `json:"index"`
		Origin string `json:"origin"`
	}
	if err := json.Unmarshal(indexed, &head); err != nil {
		return nil, err
	}
	o, _ := json.Marshal(head.Origin)
	prefix := `{"index":` + strconv.FormatUint(head.Index, 10) + `,"origin":` + string(o)
	rest, ok := bytes.CutPrefix(indexed, []byte(prefix))
	if !ok {
		return nil, errors.New("console: not an indexed record")
	}
	if r, ok := bytes.CutPrefix(rest, []byte(",")); ok {
		rest = r
	}
	return append([]byte("{"), rest...), nil
}
