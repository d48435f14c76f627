package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// chatResponse is the upstream's fixed reply to every chat completion.
const chatResponse = `{"id":"chatcmpl-bench","object":"chat.completion","created":1767225600,` +
	`"model":"upstream-model","choices":[{"index":0,"message":{"role":"assistant",` +
	`"content":"Hello from the benchmark upstream."},"finish_reason":"stop"}],` +
	`"usage":{"prompt_tokens":14,"completion_tokens":7,"total_tokens":21}}`

// modelsResponse is the upstream's reply to GET /v1/models.
const modelsResponse = `{"object":"list","data":[{"id":"upstream-model","object":"model",` +
	`"created":1767225600,"owned_by":"bench"}]}`

// streamEvents is the upstream's streamed reply: a role event, the answer
// in token-sized pieces, the finish with usage, and the end.
var streamEvents = func() []string {
	ev := func(delta, finish string) string {
		return `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1767225600,"model":"upstream-model",` +
			`"choices":[{"index":0,"delta":` + delta + `,"finish_reason":` + finish + `}]}` + "\n\n"
	}
	out := []string{ev(`{"role":"assistant","content":""}`, "null")}
	for _, tok := range strings.SplitAfter("Hello from the benchmark upstream, streamed in small pieces as a model would.", " ") {
		out = append(out, ev(`{"content":"`+tok+`"}`, "null"))
	}
	return append(out, ev(`{}`, `"stop"`),
		`data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1767225600,"model":"upstream-model","choices":[],`+
			`"usage":{"prompt_tokens":14,"completion_tokens":14,"total_tokens":28}}`+"\n\n", "data: [DONE]\n\n")
}()

// upstreamHandler is a minimal OpenAI-compatible model server: it answers
// every chat completion with chatResponse at once, or, asked to stream,
// with streamEvents, each flushed as it is written.
func upstreamHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !bytes.Contains(body, []byte(`"stream":true`)) {
			writeJSON(w, chatResponse)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		for _, e := range streamEvents {
			io.WriteString(w, e)
			rc.Flush()
		}
	})
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, modelsResponse)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, body string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	io.WriteString(w, body)
}

// runUpstream implements "loadbench upstream": it serves upstreamHandler.
func runUpstream(args []string) error {
	fs := flag.NewFlagSet("upstream", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "listen `address`")
	fs.Parse(args)
	return serve(*listen, upstreamHandler(), nil)
}

// serve serves h on addr (with TLS if tc is set), announces the bound
// address on stdout (the parent process reads it) and returns after SIGINT
// or SIGTERM.
func serve(addr string, h http.Handler, tc *tls.Config) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	fmt.Printf("%s%s\n", listeningPrefix, ln.Addr())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
