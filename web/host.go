package web

import (
	"net"
	"strings"

	"github.com/garage-web/garage-web/model"
)

// SiteName returns the global bucket name that a Host header names.
//
// With rootDomain ".web.example.org", "blog.web.example.org" names bucket
// "blog"; any other host is taken whole as a bucket name, which is how
// custom domains work (a bucket named "www.example.org"). The port is
// ignored, names are case-insensitive, and a trailing dot (fully qualified
// name) is dropped. ok is false when the host cannot be a bucket name
// (empty, an IP address, invalid characters).
func SiteName(host, rootDomain string) (name string, ok bool) {
	h := host
	if hp, _, err := net.SplitHostPort(h); err == nil {
		h = hp
	}
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	root := strings.TrimSuffix(strings.ToLower(rootDomain), ".")
	if root != "" && !strings.HasPrefix(root, ".") {
		root = "." + root
	}
	name = h
	if root != "" && strings.HasSuffix(h, root) {
		name = h[:len(h)-len(root)]
	}
	if !model.ValidBucketName(name) {
		return "", false
	}
	return name, true
}
