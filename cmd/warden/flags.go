package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/pipeline"
)

// The values of the enumerated flags.
var (
	// auditDecisions are the decisions a record carries (pipeline.Decision).
	auditDecisions = pipeline.DecisionNames
	auditKinds     = auditlog.Kinds
	searchFormats  = []string{"table", "json", "csv"}
)

// enumFlag is a string flag that takes one of a fixed set of values. Any
// other value is refused while the flags are parsed, as a usage error (exit
// 2) on one line that lists the valid values, before anything is opened.
type enumFlag struct {
	p      *string
	values []string
}

// enumVar defines an enumerated flag of cmd storing into p, with default
// def (which need not be one of values: "" for "not given").
func enumVar(cmd *cobra.Command, p *string, name, def string, values []string, usage string) {
	*p = def
	cmd.Flags().Var(&enumFlag{p: p, values: values}, name, fmt.Sprintf("%s (%s)", usage, strings.Join(values, "|")))
}

func (e *enumFlag) String() string {
	if e.p == nil {
		return ""
	}
	return *e.p
}

func (e *enumFlag) Set(s string) error {
	if !slices.Contains(e.values, s) {
		return fmt.Errorf("want %s", orList(e.values))
	}
	*e.p = s
	return nil
}

func (e *enumFlag) Type() string { return "string" }

// oneOf checks a flag's value against a set known only at run time (the
// roles or models of the config): a usage error listing the valid values.
func oneOf(op, flag, value string, valid []string) error {
	if slices.Contains(valid, value) {
		return nil
	}
	if len(valid) == 0 {
		return usageErr("%s: --%s %q: the config defines none", op, flag, value)
	}
	return usageErr("%s: --%s %q: not defined in the config; want %s", op, flag, value, orList(valid))
}

// orList writes values as "a, b or c".
func orList(values []string) string {
	switch len(values) {
	case 0:
		return "nothing"
	case 1:
		return values[0]
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}

// roleNames are the roles the config defines, in its order.
func roleNames(c *config.Config) []string {
	names := make([]string, len(c.Roles))
	for i, r := range c.Roles {
		names[i] = r.Name
	}
	return names
}

// modelNames are the models the config defines, in its order.
func modelNames(c *config.Config) []string {
	names := make([]string, len(c.Models))
	for i, m := range c.Models {
		names[i] = m.Name
	}
	return names
}
