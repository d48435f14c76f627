package gateway

import (
	"cmp"
	"context"
	"net"
	"strconv"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/pipeline"
	"github.com/wardenhq/warden/telemetry"
)

// openTelemetry starts the trace exporter telemetry.otlp names (none if
// it names none).
func (s *Server) openTelemetry(c *config.Config) error {
	o := c.Telemetry.OTLP
	if o == nil {
		return nil
	}
	headers, err := o.ResolveHeaders()
	if err != nil {
		return err
	}
	s.tracer, err = telemetry.New(telemetry.Options{Endpoint: o.Endpoint, Headers: headers, Timeout: o.Timeout.D(0),
		Service: cmp.Or(o.ServiceName, "warden"), Version: s.opts.Version, Logger: s.log})
	if err != nil {
		return err
	}
	s.closers = append(s.closers, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.tracer.Close(ctx)
	})
	return nil
}

// genAIOperation names an endpoint's operation as the GenAI semantic
// conventions do (gen_ai.operation.name); "" for endpoints that are not
// inference.
func genAIOperation(ep pipeline.Endpoint) string {
	switch ep.Name {
	case pipeline.ChatCompletions.Name:
		return "chat"
	case pipeline.Completions.Name:
		return "text_completion"
	case pipeline.Embeddings.Name:
		return "embeddings"
	}
	return ""
}

// trace exports the exchange's spans: one of kind server for the exchange
// and, if it was forwarded, one of kind client for the upstream call.
// Attributes are names from the configuration, fixed vocabularies,
// counts and ids; never what a client or model wrote.
func (s *Server) trace(x *pipeline.Exchange, end time.Time) {
	if s.tracer == nil || !x.Trace.Valid() {
		return
	}
	op := genAIOperation(x.Endpoint)
	name := x.Endpoint.Name
	attrs := make([]telemetry.Attr, 0, 16)
	attrs = append(attrs, telemetry.String("warden.endpoint", x.Endpoint.Name), telemetry.String("warden.request_id", x.ID),
		telemetry.String("warden.decision", string(x.Outcome())), telemetry.Int("http.response.status_code", int64(x.Status)))
	if op != "" {
		attrs = append(attrs, telemetry.String("gen_ai.operation.name", op))
	}
	if x.Route != nil {
		attrs = append(attrs, telemetry.String("gen_ai.request.model", x.Route.Name))
		if op != "" {
			name = op + " " + x.Route.Name
		}
	}
	if x.Identity != nil {
		attrs = append(attrs, telemetry.String("warden.principal", x.Identity.ID))
		if role := cmp.Or(x.Decision.Role, x.Identity.Role); role != "" {
			attrs = append(attrs, telemetry.String("warden.role", role))
		}
	}
	if idx, ok := x.AuditIndex(); ok {
		attrs = append(attrs, telemetry.Int("warden.audit.index", int64(idx)))
	}
	o := x.Upstream
	if o != nil && o.Usage != nil {
		attrs = append(attrs, telemetry.Int("gen_ai.usage.input_tokens", o.Usage.Prompt), telemetry.Int("gen_ai.usage.output_tokens", o.Usage.Completion))
	}
	errType := ""
	if x.Err != nil {
		errType = x.Err.Code
	} else if x.Aborted {
		errType = "aborted"
	}
	if errType != "" {
		attrs = append(attrs, telemetry.String("error.type", errType))
	}
	spans := []telemetry.Span{{Name: name, Kind: telemetry.KindServer, Context: x.Trace, Parent: x.TraceParent,
		Start: x.Start, End: end, Attrs: attrs, Error: errType}}
	if o != nil && !o.Start.IsZero() && x.UpstreamSpan.Valid() && x.Route != nil {
		up := make([]telemetry.Attr, 0, 10)
		up = append(up, telemetry.String("gen_ai.provider.name", "openai"), telemetry.String("gen_ai.request.model", x.Route.Model))
		if op != "" {
			up = append(up, telemetry.String("gen_ai.operation.name", op))
		}
		if host, port, err := net.SplitHostPort(x.Route.Address); err == nil {
			up = append(up, telemetry.String("server.address", host))
			if p, err := strconv.Atoi(port); err == nil {
				up = append(up, telemetry.Int("server.port", int64(p)))
			}
		} else if x.Route.Address != "" {
			up = append(up, telemetry.String("server.address", x.Route.Address))
		}
		if o.Status != 0 {
			up = append(up, telemetry.Int("http.response.status_code", int64(o.Status)))
		}
		if o.Usage != nil {
			up = append(up, telemetry.Int("gen_ai.usage.input_tokens", o.Usage.Prompt), telemetry.Int("gen_ai.usage.output_tokens", o.Usage.Completion))
		}
		upErr := ""
		switch {
		case o.Err != nil:
			upErr = "upstream_unavailable"
		case o.Status >= 500:
			upErr = strconv.Itoa(o.Status)
		}
		if upErr != "" {
			up = append(up, telemetry.String("error.type", upErr))
		}
		spanName := x.Route.Model
		if op != "" {
			spanName = op + " " + x.Route.Model
		}
		spans = append(spans, telemetry.Span{Name: spanName, Kind: telemetry.KindClient, Context: x.UpstreamSpan, Parent: x.Trace.SpanID,
			Start: o.Start, End: end, Attrs: up, Error: upErr})
	}
	if x.Trace.Sampled {
		s.tracer.Export(spans...)
	}
}

// FlushTraces exports the spans queued so far (for tests and shutdown).
func (s *Server) FlushTraces(ctx context.Context) error {
	if s.tracer == nil {
		return nil
	}
	return s.tracer.Flush(ctx)
}
