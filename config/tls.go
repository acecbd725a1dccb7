package config

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// WebTLS is the [s3_web.tls] section: automatic HTTPS for the web
// endpoint, with certificates obtained from an ACME CA on demand (package
// tls/). It is off while tls_bind_addr is empty, which is the default.
type WebTLS struct {
	// tls_bind_addr: host:port of the HTTPS listener ("[::]:443"). Empty:
	// automatic HTTPS is off.
	TLSBindAddr string `toml:"tls_bind_addr"`
	// http_bind_addr: host:port of the plain HTTP listener ("[::]:80"): it
	// answers ACME HTTP-01 challenges and redirects everything else to
	// HTTPS. Empty: no HTTP listener; only the TLS-ALPN-01 challenge (on
	// tls_bind_addr) is used.
	HTTPBindAddr string `toml:"http_bind_addr"`
	// acme_ca: the ACME directory URL (https). Empty: Let's Encrypt's
	// production directory.
	ACMECA string `toml:"acme_ca"`
	// acme_email: contact address given to the CA. Empty: none.
	ACMEEmail string `toml:"acme_email"`
	// acme_ca_root: PEM file of the root(s) that sign the ACME server's own
	// HTTPS certificate, for a private CA (pebble, step-ca). Empty: the
	// system roots.
	ACMECARoot string `toml:"acme_ca_root"`
	// tls_domains: names allowed a certificate besides website buckets
	// ("www.example.com"). Empty.
	TLSDomains []string `toml:"tls_domains"`
}

// Enabled reports whether automatic HTTPS is configured.
func (w WebTLS) Enabled() bool { return w.TLSBindAddr != "" }

// validate checks the [s3_web.tls] section; Validate calls it.
func (w WebTLS) validate() error {
	const sec = "s3_web.tls."
	if !w.Enabled() {
		if w.HTTPBindAddr != "" || w.ACMECA != "" || w.ACMEEmail != "" || w.ACMECARoot != "" || len(w.TLSDomains) > 0 {
			return errorf(sec+"tls_bind_addr", "must be set to enable automatic HTTPS (other s3_web.tls settings are set)")
		}
		return nil
	}
	if msg := addrProblem(w.TLSBindAddr); msg != "" {
		return errorf(sec+"tls_bind_addr", "%s", msg)
	}
	if w.HTTPBindAddr != "" {
		if msg := addrProblem(w.HTTPBindAddr); msg != "" {
			return errorf(sec+"http_bind_addr", "%s", msg)
		}
		if w.HTTPBindAddr == w.TLSBindAddr {
			return errorf(sec+"http_bind_addr", "must differ from tls_bind_addr")
		}
	}
	if w.ACMECA != "" {
		u, err := url.Parse(w.ACMECA)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return errorf(sec+"acme_ca", "%q is not an https:// ACME directory URL", w.ACMECA)
		}
	}
	if w.ACMEEmail != "" {
		local, domain, ok := strings.Cut(w.ACMEEmail, "@")
		if !ok || local == "" || domain == "" || strings.ContainsAny(w.ACMEEmail, " \t<>,") {
			return errorf(sec+"acme_email", "%q is not an email address", w.ACMEEmail)
		}
	}
	for i, d := range w.TLSDomains {
		if !isDNSName(d) {
			return errorf(sec+"tls_domains["+strconv.Itoa(i)+"]", "%q is not a DNS name such as \"www.example.com\"", d)
		}
	}
	return nil
}

// isDNSName reports whether s is a name a public certificate can be issued
// for: at least two labels of letters, digits and inner hyphens, at most
// 253 characters, no IP address, no wildcard, no port. A trailing dot is
// allowed.
func isDNSName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 || net.ParseIP(s) != nil || !strings.Contains(s, ".") {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	// A name of digits and dots only ("1.2.3") is not a host name.
	return strings.Trim(s, "0123456789.") != ""
}
