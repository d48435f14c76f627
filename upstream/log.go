package upstream

import (
	"io"
	"log"
)

// discardLog silences ReverseProxy's own logging: failures are reported
// through Outcome and logged once, by the gateway, without request content.
var discardLog = log.New(io.Discard, "", 0)
