package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
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

// upstreamHandler is a minimal OpenAI-compatible model server: it answers
// every chat completion with chatResponse at once.
func upstreamHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		writeJSON(w, chatResponse)
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
	return serve(*listen, upstreamHandler())
}

// serve serves h on addr, announces the bound address on stdout (the parent
// process reads it) and returns after SIGINT or SIGTERM.
func serve(addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
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
