package admin

import (
	"slices"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/pipeline"
	"github.com/wardenhq/warden/store"
)

// HoldScope says why the caller of x may not act on legal hold h (""
// if it may), bounded as key administration is (manage): a hold covers
// the records of a namespace (or of every namespace, when it names none),
// so it must lie within the namespaces of the role that granted the caller
// the admin capability — a hold naming no namespace is for a caller with
// every namespace. Releasing a hold, or seeing it listed (manage), also
// needs the caller to have placed it or to be a full key administrator
// (reach.full): holds placed with the CLI, or by someone else, are a full
// administrator's alone. So a namespace-scoped administrator can neither
// release another namespace's hold (letting the next purge take what it
// kept) nor place holds over records it does not reach.
func HoldScope(cfg *config.Config, x *pipeline.Exchange, h store.Hold, manage bool) string {
	role := cfg.Role(x.Decision.Role)
	if role == nil || x.Identity == nil {
		return "your role is not defined"
	}
	mine := makerReach(role, x.Identity)
	switch {
	case mine.namespaces != nil && h.Namespace == "":
		return "the hold covers every namespace, and your role does not reach every namespace"
	case mine.namespaces != nil && !slices.Contains(mine.namespaces, h.Namespace):
		return "the hold covers namespace " + h.Namespace + ", which your role does not reach"
	}
	if manage && !mine.full() && (h.CreatedBy == "" || h.CreatedBy != x.Identity.ID) {
		return "you did not place it, and only its creator or a full key administrator (every capability, model and namespace) releases it"
	}
	return ""
}
