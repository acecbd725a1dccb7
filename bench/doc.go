// Package bench is garage-web's load generator and benchmark suite: the
// same S3 scenarios run against garage-web, MinIO and an in-memory
// ceiling server on the same machine, next to physical references (disk,
// loopback TCP), and the results are printed as Markdown and JSON with the
// ratios between them.
//
// # Basics
//
// A Target is something that speaks S3: a name, one or more endpoints,
// credentials and the process ids whose memory is sampled. A Launcher
// starts one (garage-web, MinIO, the in-memory ceiling) and stops it.
// A Scenario is one workload (PUT/GET of N-byte objects at C clients, a
// multipart upload, a LIST of a large prefix...) that runs against an Env
// (a target, its clients and a scratch bucket) and returns Results.
// A Suite runs a list of scenarios against a list of targets, one target
// after the other, and a Report compares them.
//
// Cluster scenarios fit the same shapes: a Target may carry several
// endpoints (clients are spread over them round-robin) and several pids
// (their RSS is summed); added latency is a proxy in front of endpoints.
//
// # Caveats
//
//   - Client and server share the machine: on a small machine the client's
//     own CPU is part of every figure. The in-memory ceiling shows how much.
//   - Every run is bounded: each scenario stops at its object count or its
//     duration, whichever comes first, and everything runs under the
//     suite's context deadline.
//   - No timing is asserted anywhere: tests check that the tool works,
//     never how fast the server is.
package bench
