// Package autotls serves the web endpoint over HTTPS with certificates
// obtained automatically from an ACME CA (Let's Encrypt, or any RFC 8555
// server), through caddyserver/certmagic.
//
// The directory is tls/ but the package is named autotls: code that serves
// TLS also imports crypto/tls, and two packages named tls in one file would
// force an import alias at every use. Import it as
//
//	import "github.com/garage-web/garage-web/tls" // package autotls
//
// # Basics
//
// A [Server] listens on an HTTPS address and, optionally, a plain HTTP
// address. Certificates are obtained on demand, during the first TLS
// handshake for a name, and only for names the node hosts ([Policy]): a
// bucket with website access enabled that the name reaches (its global
// name, or <name><root_domain>), or a name the operator listed. Every
// other name, IP addresses and malformed names get no certificate: the
// handshake fails and the CA never hears of them.
//
// The HTTP listener answers ACME HTTP-01 challenges and redirects every
// other request to HTTPS (308, same host and path). Without it only the
// TLS-ALPN-01 challenge, answered on the HTTPS listener, is used.
//
// Certificates, private keys, ACME account keys and pending challenge
// tokens live in the cluster's metadata ([Storage], over the model's
// certfiles table), not on local disk: a certificate is obtained once per
// cluster, any node can serve any site, and any node can answer a
// challenge started by another one. A restarted node finds its
// certificates there and orders nothing.
//
// # Locks
//
// certmagic takes a named lock around each issuance and renewal, so that
// two nodes do not order the same certificate. [Storage.Lock] is a lease
// on the model's certlocks table: a node writes a claim that expires after
// [DefaultLease], reads the claims back from a quorum, and holds the lock
// only if no other node's live claim is there; otherwise it withdraws and
// retries after a random back-off. The holder renews its claim every
// third of the lease. If the holder dies, its claim stays until the lease
// runs out (60 s by default); then the next node polling the lock (every
// second) takes it over. See lock.go for why two nodes cannot both win.
//
// # Caveats
//
//   - A lease is not a fencing token: a holder that stalls longer than the
//     lease (a long GC pause, a partition) may still be working when
//     another node takes over. The worst outcome is one extra certificate
//     order; certmagic checks storage again after taking the lock.
//   - Lease expiry compares wall clocks of different nodes: keep them
//     synchronised (NTP) to well within the lease.
//   - Each unknown name in a handshake costs a metadata lookup (is it a
//     website?). Refused names are not cached.
package autotls
