package pipeline

import (
	"encoding/json"
	"net/http"

	"github.com/wardenhq/warden/policy"
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
		if x.Env.Policy.Visible(x.Identity, policy.Model{Name: rt.Name, Namespace: rt.Namespace}, x.ClientIP) {
			owner := "warden"
			if rt.Builtin {
				owner = "warden-demo"
			}
			list.Data = append(list.Data, modelInfo{ID: rt.Name, Object: "model", OwnedBy: owner})
		}
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(&list)
}
