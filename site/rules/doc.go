// Package rules parses and applies a site's Netlify-style rules files:
// `_redirects` (redirects, rewrites, custom 404s, with splats and
// placeholders) and `_headers` (response headers by path pattern).
//
// # Basics
//
// [ParseRedirects] and [ParseHeaders] never fail as a whole: a malformed
// line is returned as a [LineError] with its line number and skipped, so
// a mistake in one rule never breaks the site. The parsed values are
// immutable and safe for concurrent use.
//
// # Caveats
//
// Matching ignores the query string, as Netlify does; rules with query
// or country conditions, and proxying (status 200 to another host), are
// reported as unsupported lines.
package rules
