package main

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestAuditSearch: filters, paging past one store page, and each format.
func TestAuditSearch(t *testing.T) {
	e := newAuditEnv(t)
	recs := records(0, 1200) // more than one store page (1000)
	recs[7].Model.Name = "other-model"
	e.write(t, recs...)

	type row struct {
		Index     uint64 `json:"index"`
		Origin    string `json:"origin"`
		ID        string `json:"id"`
		Principal struct {
			ID string `json:"id"`
		} `json:"principal"`
		Decision  string `json:"decision"`
		RequestID string `json:"request_id"`
		Tokens    struct {
			Prompt int `json:"prompt"`
		} `json:"tokens"`
	}
	search := func(args ...string) []row {
		t.Helper()
		code, out, stderr := cli(t, append([]string{"audit", "search", "--config", e.cfg, "--format", "json"}, args...)...)
		if code != 0 {
			t.Fatalf("search %v: %d %s", args, code, stderr)
		}
		var rows []row
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatalf("search %v: %v\n%s", args, err, out)
		}
		return rows
	}
	if rows := search(); len(rows) != 100 || rows[0].Index != 1199 || rows[99].Index != 1100 || rows[0].Origin != "test.example/audit" || rows[0].Tokens.Prompt != 12 {
		t.Fatalf("default: %d rows, first %+v", len(rows), rows[0])
	}
	if rows := search("--limit", "0"); len(rows) != 1200 || rows[1199].Index != 0 {
		t.Fatalf("--limit 0: %d rows", len(rows))
	}
	if rows := search("--limit", "1050", "--principal", "alice"); len(rows) != 600 || rows[0].Principal.ID != "alice" {
		t.Fatalf("alice: %d rows", len(rows))
	}
	if rows := search("--decision", "deny", "--since", "2026-05-01T12:00:00Z", "--until", "2026-05-01T13:00:00Z"); len(rows) != 6 || rows[0].Index != 59 || rows[0].Decision != "deny" {
		t.Fatalf("deny in the first hour: %+v", rows)
	}
	if rows := search("--model", "other-model"); len(rows) != 1 || rows[0].Index != 7 {
		t.Fatalf("--model: %+v", rows)
	}
	if rows := search("--request-id", "req_000042", "--kind", "request"); len(rows) != 1 || rows[0].Index != 42 {
		t.Fatalf("--request-id: %+v", rows)
	}
	if rows := search("--prompt-hash", string(recs[5].PromptHash)); len(rows) != 1 || rows[0].Index != 5 {
		t.Fatalf("--prompt-hash: %+v", rows)
	}
	if rows := search("--kind", "admin"); len(rows) != 0 {
		t.Fatalf("--kind admin: %+v", rows)
	}
	// Relative times: nothing was recorded in the last hour (records are
	// of 2026-05-01), everything before.
	if time.Now().After(t0.Add(48 * time.Hour)) {
		if rows := search("--since", "1h"); len(rows) != 0 {
			t.Fatalf("--since 1h: %d", len(rows))
		}
	}

	code, out, _ := cli(t, "audit", "search", "--config", e.cfg, "--limit", "3")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || len(lines) != 4 || strings.Join(strings.Fields(lines[0]), " ") != "INDEX TIME PRINCIPAL MODEL ENDPOINT DECISION STATUS REQUEST_ID" ||
		strings.Join(strings.Fields(lines[1]), " ") != "1199 2026-05-02T07:59:00.000Z bob contract-analyzer chat.completions deny 403 req_001199" {
		t.Fatalf("table: %d\n%s", code, out)
	}
	if strings.Index(lines[0], "TIME") != strings.Index(lines[1], "2026") {
		t.Fatalf("columns not aligned:\n%s", out)
	}

	code, out, _ = cli(t, "audit", "search", "--config", e.cfg, "--format", "csv", "--limit", "2", "--principal", "bob")
	recsCSV, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recsCSV) != 3 ||
		strings.Join(recsCSV[0], ",") != "index,time,principal,model,endpoint,decision,status,request_id,origin,prompt_hash,response_hash" ||
		strings.Join(recsCSV[1][:9], ",") != "1199,2026-05-02T07:59:00.000Z,bob,contract-analyzer,chat.completions,deny,403,req_001199,test.example/audit" ||
		!strings.HasPrefix(recsCSV[1][9], "hmac-sha256:") || !strings.HasPrefix(recsCSV[1][10], "hmac-sha256:") {
		t.Fatalf("csv: %d %v\n%s", code, err, out)
	}
	if code, out, _ := cli(t, "audit", "search", "--config", e.cfg, "--format", "json", "--principal", "nobody"); code != 0 || out != "[]\n" {
		t.Fatalf("empty json: %d %q", code, out)
	}

	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--since", "last tuesday"}, "--since"},
		{[]string{"--until", "2026-13-01"}, "--until"},
		{[]string{"--format", "xml"}, "--format"},
		{[]string{"--limit", "-1"}, "--limit"},
		{[]string{"--limit", "many"}, "--limit"},
		{[]string{"extra"}, "argument"},
	} {
		code, _, stderr := cli(t, append([]string{"audit", "search", "--config", e.cfg}, tt.args...)...)
		oneLineErr(t, strings.Join(tt.args, " "), code, stderr, 2, tt.msg)
	}
}
