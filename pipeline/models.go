package pipeline

import (
	"encoding/json"
	"net/http"

	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/upstream"
)

type modelList struct {
	Object string      `json:"object"`
	Data   []modelInfo `json:"data"`
}

type modelInfo struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func listModels(w http.ResponseWriter, r *http.Request, x *Exchange) error {
	list := modelList{Object: "list", Data: []modelInfo{}}
	for _, rt := range x.Env.Routes.Routes() {
		if info, ok := visibleModel(x, rt); ok {
			list.Data = append(list.Data, info)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(&list)
}

// getModel answers GET /v1/models/{id}: the model, if the caller may use
// it; otherwise 404 as for a model that does not exist, so that callers
// learn nothing of models outside their roles.
func getModel(w http.ResponseWriter, r *http.Request, x *Exchange) error {
	if rt := x.Env.Routes.Lookup(r.PathValue("id")); rt != nil {
		if info, ok := visibleModel(x, rt); ok {
			w.Header().Set("Content-Type", "application/json")
			return json.NewEncoder(w).Encode(&info)
		}
	}
	return httperr.New(http.StatusNotFound, "model_not_found", "the model does not exist")
}

// visibleModel describes rt if the caller may use it.
func visibleModel(x *Exchange, rt *upstream.Route) (modelInfo, bool) {
	if !x.Env.Policy.Visible(x.Identity, policy.Model{Name: rt.Name, Namespace: rt.Namespace}, x.ClientIP) {
		return modelInfo{}, false
	}
	owner := "warden"
	if rt.Builtin {
		owner = "warden-demo"
	}
	return modelInfo{ID: rt.Name, Object: "model", OwnedBy: owner}, true
}
