package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/cognitojwt/cognitojwt"
)

// banner is written before any decoded output, so nobody mistakes a
// decoded token for a verified one.
const banner = "UNVERIFIED: decoded only. The signature, issuer, audience and expiry were NOT checked."

// cmdDecode prints a token's header and claims without verifying them.
func cmdDecode(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("decode", "decode [--json] [token|-]", `Print a token's header and claims WITHOUT verifying anything (the argument,
or one line on stdin; a "Bearer " prefix is removed). A banner on stderr says
so, followed by iat, auth_time, nbf and exp as dates. Exit 0 decoded, 1 not a
token, 2 bad flags.`, stderr)
	asJSON := fs.Bool("json", false, `print one line of JSON on stdout, {"UNVERIFIED":true,"header":{…},"claims":{…}}, and nothing on stderr`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	token, err := tokenArg(fs, stdin)
	if err != nil {
		return err
	}
	header, claims, err := cognitojwt.DecodeUnverified(token)
	if err != nil {
		return fmt.Errorf("cannot decode: %w", err)
	}
	var doc struct {
		Unverified bool            `json:"UNVERIFIED"`
		Header     json.RawMessage `json:"header"`
		Claims     json.RawMessage `json:"claims"`
	}
	doc.Unverified, doc.Header, doc.Claims = true, header, claims
	if *asJSON {
		// The UNVERIFIED member stays: a script that stores the output
		// keeps the warning with the data.
		return writeJSON(stdout, doc)
	}
	fmt.Fprintln(stderr, banner)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", out)

	// Times, for a reader: the most common question about a token.
	var times map[string]any
	if json.Unmarshal(claims, &times) == nil {
		for _, name := range []string{"iat", "auth_time", "nbf", "exp"} {
			if f, ok := times[name].(float64); ok {
				t := time.Unix(int64(f), 0).UTC()
				fmt.Fprintf(stderr, "%-9s %s (%s)\n", name, t.Format(time.RFC3339), ago(t))
			}
		}
	}
	return nil
}

func ago(t time.Time) string {
	d := time.Until(t).Round(time.Second)
	if d < 0 {
		return (-d).String() + " ago"
	}
	return "in " + d.String()
}
