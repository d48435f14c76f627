package main

import (
	"sort"
	"strings"
)

// Held-out templates: other wording, other layouts, never trained on.
var testTemplates = parseTemplates(`
## en/clinical
{AGE} y/o woman, {PER}, brought in by her sister after a fall at home on {ADDR}.
Consulted {TPER} (cardiology, {HOSP}); recommends increasing {DRUG}.
Ms. {LAST} states she has been feeling dizzy since {WEEKDAY}.
Patient was visiting family in {CITYREG} when symptoms began.
PCP is {TPER} at {HOSP}. Pharmacy: {CO}, {ADDR}.
HPI: {PER} is a pleasant gentleman with {DISEASE} who lives alone in {CITY}.
Contact husband {PER} at {PHONE} with results.
## en/support
hey it's {FIRST}, my order never showed up. address is {FULLADDR}
Thanks for contacting {CO}! My name is {FIRST} and I'll be helping you today.
Could you update the billing address to {ADDR}, {CITY}?
I spoke with {FIRST} yesterday and she said {CO} would refund me.
## en/hr
Congratulations {FIRST}! Your transfer to the {CITY} office of {CO} was approved by {PER}.
Performance review: {PER} (reviewer: {PER}) — meets expectations.
Emergency contact for {PER}: {PER}, {PHONE}.
## en/legal
Tenant {PER} shall vacate the premises located at {FULLADDR} no later than {DATE}.
Counsel for the defendant, {PER} of {CO}, filed a motion in {CITY}.
## en/email
Hi {FIRST} and {FIRST},\nquick update from {CITY}: {ORG} signed!\n— {FIRST}
Please send the samples to {PER}, {ADDR}, {CITYREG}.
Kind regards, {PER} | {CO} | {PHONE}
## en/news
Residents of {CITY} gathered outside {ORG} on {WEEKDAY} to protest.
{PER}, {AGE}, of {CITYREG}, was named the new director of {UNI}.
According to {PER} at {ORG}, the {PRODUCT} recall affects {COUNTRY} only.
## en/forms
Patient name: {PER}    Sex: F    Address: {ADDR}    City/State: {CITYREG}
Contact | Organization | City\n{PER} | {ORG} | {CITY}
Mailing address:\n{ADDR}\n{CITY}, {REGION}
## en/negative
{CAPWORD}: the {PRODUCT} integration fails on {WEEKDAY} builds.
{HEADING}: no acute distress. {DISEASE} stable on {DRUG}.
We expect {COUNTRY} and {COUNTRY} to adopt the {NAT} standard in {MONTH}.
## de/mixed
Guten Tag {TPER}, Ihr Termin im {HOSP} ist am {DATE}.
Lieferadresse: {PER}, {FULLADDR}
{PER} aus {CITY} arbeitet seit {MONTH} für die {CO}.
## fr/mixed
Bonjour, je m'appelle {PER} et j'habite au {FULLADDR}.
Le {TPER} exerce à l'{HOSP} depuis {MONTH}.
Contact : {PER} ({CO}, {CITY}).
## es/mixed
Buenos días, soy {PER} y vivo en {FULLADDR}.
La {TPER} trabaja en el {HOSP} desde {MONTH}.
Contacto: {PER} ({CO}, {CITY}).
`)

// templateSet holds templates by "lang/domain".
type templateSet struct {
	by   map[string][]string
	keys []string
}

func parseTemplates(s string) *templateSet {
	ts := &templateSet{by: map[string][]string{}}
	key := ""
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "## "):
			key = line[3:]
		default:
			ts.by[key] = append(ts.by[key], strings.ReplaceAll(line, `\n`, "\n"))
		}
	}
	for k := range ts.by {
		ts.keys = append(ts.keys, k)
	}
	sort.Strings(ts.keys)
	return ts
}
