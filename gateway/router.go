package gateway

import (
	"net/http"
	"path"
	"reflect"
	"strings"

	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/pipeline"
)

// router dispatches a request to the route of the ServeMux that its method
// and path name, and nothing else: every request no route takes — an
// unknown path, a method the path does not have, a path that is not in
// canonical form (which ServeMux would redirect, 307, to its cleaned or
// slash-ended form), the request target "*" — goes to unrouted, which
// answers it through pipeline.Serve, so it is audited like any other
// request. ServeMux never answers on its own.
type router struct {
	mux      *http.ServeMux
	unrouted http.Handler
	// unroutedAnthropic answers requests under /v1/messages that no route
	// takes, in Anthropic's error shape, which its SDKs read.
	unroutedAnthropic http.Handler
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := rt.match(r); pattern != "" && r.RequestURI != "*" {
		rt.mux.ServeHTTP(w, r)
		return
	}
	if rt.unroutedAnthropic != nil && (r.URL.Path == "/v1/messages" || strings.HasPrefix(r.URL.Path, "/v1/messages/")) {
		rt.unroutedAnthropic.ServeHTTP(w, r)
		return
	}
	rt.unrouted.ServeHTTP(w, r)
}

// redirectType is the type of the handlers ServeMux makes up to redirect.
var redirectType = reflect.TypeOf(http.RedirectHandler("/", http.StatusTemporaryRedirect))

// match returns the route pattern r matches as it is, and its handler; ""
// if none does, or only through a redirect ServeMux would send.
func (rt *router) match(r *http.Request) (http.Handler, string) {
	h, pattern := rt.mux.Handler(r)
	if pattern == "" || reflect.TypeOf(h) == redirectType {
		return nil, ""
	}
	return h, pattern
}

// probedMethods are the methods tried for 405's Allow and a record's route.
var probedMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// unroutedHandler answers a request no route takes, as pipeline.Unknown:
// 405 with Allow when its path is a route's with another method, else 404.
// Its record's route says what it asked for, bounded and never echoing the
// path: the method, and the path of the route pattern its (cleaned) path
// matches, or the class of that path.
func (rt *router) unroutedHandler(env func() *pipeline.Env, ep pipeline.Endpoint, observe pipeline.Observer) http.Handler {
	answer := func(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
		if r.URL.EscapedPath() != cleanPath(r.URL.EscapedPath()) || r.RequestURI == "*" {
			return httperr.New(http.StatusNotFound, "unknown_url", "unknown endpoint: paths must be in canonical form (no empty, \".\" or \"..\" segments)")
		}
		if allow := rt.allowed(r); len(allow) > 0 {
			methods := strings.Join(allow, ", ")
			w.Header().Set("Allow", methods)
			return httperr.New(http.StatusMethodNotAllowed, "method_not_allowed", "use "+methods+" for this endpoint")
		}
		return httperr.New(http.StatusNotFound, "unknown_url", "unknown endpoint")
	}
	inner := pipeline.Unrouted(answer)
	return pipeline.Serve(env, ep, func(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
		x.AskedRoute = rt.describe(r)
		return inner(w, r, x)
	}, observe)
}

// allowed returns the methods that have a route at r's path.
func (rt *router) allowed(r *http.Request) []string {
	var allow []string
	for _, m := range probedMethods {
		if m == r.Method {
			continue
		}
		if _, pattern := rt.match(probe(r, m, "")); pattern != "" {
			allow = append(allow, m)
		}
	}
	return allow
}

// describe is a record's route for r: "METHOD PATH", the method one of the
// standard ones (else OTHER), the path that of the route pattern r's
// cleaned path matches with any method ("/admin/v1/keys/{id}/revoke"),
// else the class of the cleaned path ("/v1/*", "/admin/*", ...; "/*").
func (rt *router) describe(r *http.Request) string {
	method := "OTHER"
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		method = r.Method
	}
	p := cleanPath(r.URL.Path)
	for _, m := range probedMethods {
		if _, pattern := rt.match(probe(r, m, p)); pattern != "" {
			_, routePath, _ := strings.Cut(pattern, " ")
			return method + " " + routePath
		}
	}
	return method + " " + pathClass(p)
}

// pathClasses are the first path segments a record names as such.
var pathClasses = map[string]bool{"v1": true, "admin": true, "audit": true, "console": true}

// pathClass is the class of a clean path: its first segment, if it is one
// of Warden's, then "/*".
func pathClass(p string) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if pathClasses[first] {
		return "/" + first + "/*"
	}
	return "/*"
}

// probe is r with another method and, unless p is "", path: for matching
// only.
func probe(r *http.Request, method, p string) *http.Request {
	q := r.Clone(r.Context())
	q.Method = method
	if p != "" {
		q.URL.Path, q.URL.RawPath = p, ""
	}
	return q
}

// cleanPath is the canonical form of a path, as ServeMux computes it: one
// leading slash, no empty, "." or ".." segments, a trailing slash kept.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}
