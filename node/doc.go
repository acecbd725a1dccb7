// Package node assembles one garage-web node from its configuration: it
// opens local storage, builds the replicated tables and the data model,
// and serves the S3 API, the web endpoint and the admin API until it is
// stopped. cmd/garage-web only parses flags and calls it.
package node
