package console

import (
	"bytes"
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

var funcs = template.FuncMap{
	"join": strings.Join,
}

// view is what every page's layout reads.
type view struct {
	Title string
	User  *Session // nil when not signed in
	Data  any
}

// render executes page name with data; sess (may be nil) fills the
// header and the CSRF field of forms.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, sess *Session, data any) {
	t := c.tmpl[name]
	var buf bytes.Buffer
	if err := t.Execute(&buf, view{Title: name, User: sess, Data: data}); err != nil {
		slog.Error("console: rendering a page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// htmlErrors turns the pipeline's JSON errors (OpenAI's shape, a message
// safe to show) into an HTML page for browsers; other responses pass.
func htmlErrors(c *Console, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&errorWriter{ResponseWriter: w, c: c, r: r}, r)
	})
}

type errorWriter struct {
	http.ResponseWriter
	c       *Console
	r       *http.Request
	status  int
	buf     bytes.Buffer
	capture bool
}

func (e *errorWriter) WriteHeader(status int) {
	if status >= 400 && strings.HasPrefix(e.Header().Get("Content-Type"), "application/json") {
		e.capture, e.status = true, status
		return
	}
	e.ResponseWriter.WriteHeader(status)
}

func (e *errorWriter) Write(b []byte) (int, error) {
	if !e.capture {
		return e.ResponseWriter.Write(b)
	}
	e.buf.Write(b)
	if json.Valid(e.buf.Bytes()) {
		e.flushError()
	}
	return len(b), nil
}

func (e *errorWriter) flushError() {
	var body struct {
		Error struct {
			Message string `json:"message"`
			Code    string `json:"code"`
		} `json:"error"`
	}
	json.Unmarshal(e.buf.Bytes(), &body)
	e.capture = false
	e.buf.Reset()
	sess, _ := e.c.sessions.Lookup(e.r)
	e.Header().Del("Content-Length")
	e.c.render(e.ResponseWriter, e.r, e.status, "error", sess, map[string]any{
		"Status": e.status, "Message": body.Error.Message, "Code": body.Error.Code, "SignIn": e.status == http.StatusUnauthorized})
}

// Unwrap lets http.ResponseController reach the connection.
func (e *errorWriter) Unwrap() http.ResponseWriter { return e.ResponseWriter }

func fmtTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}
