// Package httplimit bounds what one HTTP client can hold of a server, so
// that a few slow or stalled clients cannot stop it answering everyone
// else:
//
//   - [Handler] puts a deadline on every read of a request body (a client
//     that stops sending gets 400 RequestTimeout from the S3 API, or its
//     connection closed), and answers early refusals of
//     "Expect: 100-continue" requests at once, closing the connection
//     instead of waiting for a body the client sends only after an answer.
//   - [Limiter] caps the connections one client address holds open across
//     every listener it wraps; connections past the cap are closed as soon
//     as they are accepted.
package httplimit
