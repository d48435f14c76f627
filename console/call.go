package console

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"

	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/pipeline"
)

// call runs an admin API handler for the console's exchange x, as if the
// API had been asked method with query, path values and a JSON body, and
// decodes its JSON answer into out. The handler's refusals come back as
// its errors; its audit detail lands on x's record.
func call(h pipeline.Handler, r *http.Request, x *pipeline.Exchange, method string, query url.Values, path map[string]string, body, out any) error {
	r2 := r.Clone(r.Context())
	r2.Method = method
	r2.URL.RawQuery = query.Encode()
	for k, v := range path {
		r2.SetPathValue(k, v)
	}
	r2.Body = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		r2.Body = io.NopCloser(bytes.NewReader(b))
		r2.ContentLength = int64(len(b))
		r2.Header = r.Header.Clone()
		r2.Header.Set("Content-Type", "application/json")
	}
	cw := &capture{h: http.Header{}}
	if err := h(cw, r2, x); err != nil {
		return err
	}
	if cw.status >= 400 {
		return httperr.New(cw.status, "internal_error", "the request failed")
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(cw.buf.Bytes(), out); err != nil {
		return httperr.Wrap(http.StatusInternalServerError, "internal_error", "internal error", err)
	}
	return nil
}

// capture is the ResponseWriter an admin handler writes to for the console.
type capture struct {
	h      http.Header
	status int
	buf    bytes.Buffer
}

func (c *capture) Header() http.Header { return c.h }
func (c *capture) WriteHeader(s int) {
	if c.status == 0 {
		c.status = s
	}
}
func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.buf.Write(b)
}
