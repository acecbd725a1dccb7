package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestWebTLSLoad(t *testing.T) {
	c, err := Load(mustWrite(t, "c.toml", `
[s3_web.tls]
tls_bind_addr = "[::]:443"
http_bind_addr = "[::]:80"
acme_ca = "https://127.0.0.1:14000/dir"
acme_email = "ops@example.com"
acme_ca_root = "/etc/pebble/root.pem"
tls_domains = ["www.example.com", "example.org."]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := WebTLS{TLSBindAddr: "[::]:443", HTTPBindAddr: "[::]:80", ACMECA: "https://127.0.0.1:14000/dir",
		ACMEEmail: "ops@example.com", ACMECARoot: "/etc/pebble/root.pem", TLSDomains: []string{"www.example.com", "example.org."}}
	if !reflect.DeepEqual(c.S3Web.TLS, want) || !c.S3Web.TLS.Enabled() {
		t.Errorf("s3_web.tls = %+v, want %+v", c.S3Web.TLS, want)
	}
	if d, _ := Load("", nil); d.S3Web.TLS.Enabled() {
		t.Error("TLS is on by default")
	}
	env := envMap(map[string]string{"GARAGE_S3_WEB_TLS_TLS_BIND_ADDR": "127.0.0.1:8443", "GARAGE_S3_WEB_TLS_TLS_DOMAINS": "a.example.com, b.example.com"})
	e, err := Load("", env)
	if err != nil {
		t.Fatal(err)
	}
	if e.S3Web.TLS.TLSBindAddr != "127.0.0.1:8443" || len(e.S3Web.TLS.TLSDomains) != 2 {
		t.Errorf("from the environment: %+v", e.S3Web.TLS)
	}
}

func TestWebTLSErrors(t *testing.T) {
	tests := []struct{ name, toml, want string }{
		{"settings without tls_bind_addr", `acme_email = "a@example.com"`, "s3_web.tls.tls_bind_addr: must be set"},
		{"bad tls addr", `tls_bind_addr = "443"`, `s3_web.tls.tls_bind_addr: "443" is not host:port`},
		{"bad http addr", "tls_bind_addr = \":443\"\nhttp_bind_addr = \"x\"", `s3_web.tls.http_bind_addr: "x" is not host:port`},
		{"same addr", "tls_bind_addr = \":443\"\nhttp_bind_addr = \":443\"", "http_bind_addr: must differ"},
		{"http ca", "tls_bind_addr = \":443\"\nacme_ca = \"http://ca.example.com/dir\"", "acme_ca: \"http://ca.example.com/dir\" is not an https://"},
		{"bad email", "tls_bind_addr = \":443\"\nacme_email = \"nobody\"", `acme_email: "nobody" is not an email`},
		{"ip domain", "tls_bind_addr = \":443\"\ntls_domains = [\"10.0.0.1\"]", `tls_domains[0]: "10.0.0.1" is not a DNS name`},
		{"wildcard domain", "tls_bind_addr = \":443\"\ntls_domains = [\"ok.example.com\", \"*.example.com\"]", `tls_domains[1]: "*.example.com"`},
		{"single label", "tls_bind_addr = \":443\"\ntls_domains = [\"intranet\"]", `tls_domains[0]: "intranet"`},
		{"port in domain", "tls_bind_addr = \":443\"\ntls_domains = [\"a.example.com:443\"]", `tls_domains[0]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(mustWrite(t, "c.toml", "[s3_web.tls]\n"+tt.toml), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
