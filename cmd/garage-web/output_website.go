package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/garage-web/garage-web/admin"
)

// websiteSummary is every website setting but the routing rules, in one
// line: "index document index.html, error document 404.html, ...".
func websiteSummary(c *admin.WebsiteConfig) string {
	if c == nil {
		return "no settings"
	}
	var parts []string
	if r := c.RedirectAllRequestsTo; r != nil {
		target := r.HostName
		if r.Protocol != "" {
			target = r.Protocol + "://" + r.HostName
		}
		parts = append(parts, "every request redirected to "+target)
	} else {
		parts = append(parts, "index document "+c.IndexDocument)
	}
	if c.ErrorDocument != "" {
		parts = append(parts, "error document "+c.ErrorDocument)
	}
	if c.Uploads {
		parts = append(parts, "HTTP PUT uploads accepted")
	}
	if n := len(c.RoutingRules); n > 0 {
		parts = append(parts, plural(n, "routing rule", "routing rules"))
	}
	return strings.Join(parts, ", ")
}

// writeRoutingRules lists a website's routing rules, if any.
func writeRoutingRules(w io.Writer, rules []admin.WebsiteRoutingRule) {
	if len(rules) == 0 {
		return
	}
	fmt.Fprintln(w, "\nWebsite routing rules (set over S3, first match wins):")
	for i, r := range rules {
		fmt.Fprintf(w, "  %d. %s\n", i+1, routingRuleText(r))
	}
}

// routingRuleText is one rule: "keys starting with docs/, on error 404 →
// redirect 302 to https://example.com, prefix replaced by documents/".
func routingRuleText(r admin.WebsiteRoutingRule) string {
	var cond []string
	if r.KeyPrefixEquals != "" {
		cond = append(cond, "keys starting with "+r.KeyPrefixEquals)
	}
	if r.HTTPErrorCodeReturnedEquals != "" {
		cond = append(cond, "on error "+r.HTTPErrorCodeReturnedEquals)
	}
	if len(cond) == 0 {
		cond = append(cond, "every key")
	}
	code := r.HTTPRedirectCode
	if code == "" {
		code = "301"
	}
	target := "redirect " + code
	switch {
	case r.HostName != "" && r.Protocol != "":
		target += " to " + r.Protocol + "://" + r.HostName
	case r.HostName != "":
		target += " to host " + r.HostName
	case r.Protocol != "":
		target += " to " + r.Protocol
	}
	switch {
	case r.ReplaceKeyWith != "":
		target += ", key replaced by " + r.ReplaceKeyWith
	case r.ReplaceKeyPrefixWith != "":
		target += ", prefix replaced by " + r.ReplaceKeyPrefixWith
	}
	return strings.Join(cond, ", ") + " → " + target
}
