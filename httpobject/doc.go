// Package httpobject serves stored object versions over HTTP: the read
// path shared by the S3 API (GetObject, HeadObject) and the web endpoint.
//
// It parses Range headers, evaluates conditional headers (If-Match,
// If-None-Match, If-Modified-Since, If-Unmodified-Since) and streams the
// object's bytes from the model with bounded memory, stopping when the
// client goes away.
package httpobject
