// Package admin is the admin HTTP API of a garage-web node, and its client.
//
// # Basics
//
// The API follows the shape of Garage's admin API v2: one URL per
// operation, /v2/<Operation>, GET for reads and POST with a JSON body for
// changes, query parameters naming the object (?id=, ?search=). Every
// /v2 operation needs "Authorization: Bearer <admin_token>". Two
// endpoints are outside /v2: GET /health (no token) and GET /metrics
// (Prometheus; Bearer metrics_token when one is configured).
//
// [NewServer] builds the http.Handler over a [Backend], the interface the
// node implements over its data model. [Client] is the Go client the CLI
// uses. Both sides share the types in api.go, so what the server encodes is
// what the client decodes.
//
// # Errors
//
// Every error response is {"code": "...", "message": "...", "path": "..."}
// with a 4xx/5xx status, written in one place (writeError) from one
// table (errorTable). A Backend reports conditions by wrapping this
// package's sentinel errors: fmt.Errorf("bucket %q: %w", id, ErrNoSuchBucket).
// The client turns error responses back into *[APIError] values that
// errors.Is matches against the same sentinels.
//
// # Caveats
//
//   - Operations that change several things (UpdateKey with a name and a
//     permission) apply them one after the other, not atomically.
//   - ?search= resolves keys and buckets by listing them; it is meant for
//     people and scripts, not for hot paths.
package admin
