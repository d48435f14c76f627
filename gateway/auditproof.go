package gateway

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/auditlog/verify"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/pipeline"
)

// proofResponse is the answer of GET /admin/v1/audit/proof/{index}: the
// record, the checkpoint it is proved against, and the RFC 6962 inclusion
// proof (base64 hashes, as tlog.RecordProof orders them).
type proofResponse struct {
	Record     auditlog.Indexed `json:"record"`
	Checkpoint string           `json:"checkpoint"`
	Key        string           `json:"key"`
	Proof      []string         `json:"proof"`
}

// auditProof answers GET /admin/v1/audit/proof/{index}: a record of this
// gateway's log with its inclusion proof against the latest checkpoint.
func (s *Server) auditProof(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	idx, err := strconv.ParseUint(r.PathValue("index"), 10, 63)
	if err != nil {
		return httperr.New(http.StatusBadRequest, "invalid_request", "index: want a leaf index")
	}
	x.AuditAdmin("audit.proof", r.PathValue("index"), "")
	src := verify.Dir(s.audit.Log().Dir())
	cp, err := verify.ReadCheckpoint(r.Context(), src, s.auditKey.Verifier)
	if err != nil {
		return httperr.Wrap(http.StatusServiceUnavailable, "audit_unavailable", "cannot read the checkpoint", err)
	}
	if idx >= cp.Size {
		e := httperr.New(http.StatusNotFound, "not_yet_covered", "no checkpoint covers this index yet; records are covered within one checkpoint interval")
		e.RetryAfter = 1
		return e
	}
	proof, entry, err := verify.ProveInclusion(r.Context(), src, cp, idx)
	if err != nil {
		var ve *verify.Error
		if errors.As(err, &ve) && ve.Kind != verify.ReadFailed {
			s.log.Error("audit log: a proof failed to verify", "index", idx, "err", err)
			return httperr.Wrap(http.StatusInternalServerError, "audit_log_invalid", "the log does not prove this record; run warden audit verify", err)
		}
		return httperr.Wrap(http.StatusServiceUnavailable, "audit_unavailable", "cannot read the log", err)
	}
	out := proofResponse{
		Record:     auditlog.Indexed{Index: idx, Origin: cp.Origin, Entry: entry},
		Checkpoint: string(cp.Note),
		Key:        s.auditKey.Verifier,
		Proof:      make([]string, len(proof)),
	}
	for i, h := range proof {
		out.Proof[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
