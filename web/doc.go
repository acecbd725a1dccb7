// Package web is the website endpoint: it serves buckets with website
// access enabled as static sites, Nix binary caches and media stores.
//
// # Requests
//
// The Host header picks the bucket (see SiteName): "<bucket><root domain>"
// or a bucket whose global name is the whole host (custom domains). Hosts
// that name no bucket with website access get the same 404 as a missing
// page, so the endpoint does not tell which buckets exist.
//
// The request path is decoded exactly once into an object key (see
// KeyFromPath). Index documents, the redirect from "dir" to "dir/", the
// error document, RedirectAllRequestsTo, routing rules and the per-object
// x-amz-website-redirect-location follow the S3 website model (site.go).
// Objects are streamed by package httpobject, the read path shared with
// the S3 API: conditional requests, single ranges, bounded memory, reads
// stopped when the client goes away.
//
// GET and HEAD are served; OPTIONS answers CORS preflights from the
// bucket's CORS rules. PUT stores an object only on buckets whose website
// document enables uploads (bucketconfig.UploadsElement) and only with
// HTTP Basic credentials of an access key allowed to write to the bucket
// (put.go). Every other method is 405.
//
// # Precompressed files
//
// For compressible types (text, JavaScript, JSON, XML, SVG, WebAssembly…)
// a sibling "file.br", "file.zst" or "file.gz" uploaded next to "file" is
// served instead of "file" when the client accepts that encoding, with
// Content-Encoding set, the original Content-Type, and "Vary:
// Accept-Encoding".
//
// Without a sibling, such an object of MinCompressSize to MaxCompressSize
// bytes is compressed on the fly (compress.go) with its own ETag
// ("<etag>-br"), except for Range requests; compressed bodies are cached
// in a byte-bounded LRU (compress_cache.go).
//
// # Observability
//
// Each request is logged (slog, message "web request") and counted in
// Prometheus metrics labelled by site: the bucket name for buckets with
// website access, "-" otherwise, so label cardinality is bounded by the
// number of website buckets.
package web
