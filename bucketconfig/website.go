package bucketconfig

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors of the parsers. ErrMalformed: the document is not the XML
// expected (S3: MalformedXML). ErrInvalid: well-formed but not a valid
// configuration (S3: InvalidArgument). The message says what is wrong.
var (
	ErrMalformed = errors.New("malformed configuration")
	ErrInvalid   = errors.New("invalid configuration")
)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Website is a WebsiteConfiguration document.
type Website struct {
	XMLName               xml.Name       `xml:"WebsiteConfiguration"`
	Xmlns                 string         `xml:"xmlns,attr,omitempty"`
	IndexDocument         *IndexDocument `xml:"IndexDocument,omitempty"`
	ErrorDocument         *ErrorDocument `xml:"ErrorDocument,omitempty"`
	RedirectAllRequestsTo *RedirectAll   `xml:"RedirectAllRequestsTo,omitempty"`
	RoutingRules          []RoutingRule  `xml:"RoutingRules>RoutingRule"`
}

// IndexDocument names the object served for a directory.
type IndexDocument struct {
	Suffix string `xml:"Suffix"`
}

// ErrorDocument names the object served on 404.
type ErrorDocument struct {
	Key string `xml:"Key"`
}

// RedirectAll sends every request to another host.
type RedirectAll struct {
	HostName string `xml:"HostName"`
	Protocol string `xml:"Protocol,omitempty"`
}

// RoutingRule redirects requests that match its condition.
type RoutingRule struct {
	Condition *Condition `xml:"Condition,omitempty"`
	Redirect  Redirect   `xml:"Redirect"`
}

// Condition selects requests by key prefix and/or the error they produce.
type Condition struct {
	KeyPrefixEquals             string `xml:"KeyPrefixEquals,omitempty"`
	HTTPErrorCodeReturnedEquals string `xml:"HttpErrorCodeReturnedEquals,omitempty"`
}

// Redirect says where a matching request goes.
type Redirect struct {
	HostName             string `xml:"HostName,omitempty"`
	HTTPRedirectCode     string `xml:"HttpRedirectCode,omitempty"`
	Protocol             string `xml:"Protocol,omitempty"`
	ReplaceKeyPrefixWith string `xml:"ReplaceKeyPrefixWith,omitempty"`
	ReplaceKeyWith       string `xml:"ReplaceKeyWith,omitempty"`
}

// ParseWebsite parses and validates a PutBucketWebsite body.
func ParseWebsite(body []byte) (*Website, error) {
	var w Website
	if err := xml.Unmarshal(body, &w); err != nil {
		return nil, malformed("website configuration: %v", err)
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return &w, nil
}

// Validate checks the rules S3 enforces.
func (w *Website) Validate() error {
	if w.RedirectAllRequestsTo != nil {
		if w.IndexDocument != nil || w.ErrorDocument != nil || len(w.RoutingRules) > 0 {
			return invalid("RedirectAllRequestsTo cannot be combined with other website settings")
		}
		if w.RedirectAllRequestsTo.HostName == "" {
			return invalid("RedirectAllRequestsTo needs a HostName")
		}
		return validProtocol(w.RedirectAllRequestsTo.Protocol)
	}
	if w.IndexDocument == nil || w.IndexDocument.Suffix == "" {
		return invalid("A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty")
	}
	if strings.Contains(w.IndexDocument.Suffix, "/") {
		return invalid("IndexDocument Suffix %q must not contain a slash", w.IndexDocument.Suffix)
	}
	if w.ErrorDocument != nil && w.ErrorDocument.Key == "" {
		return invalid("ErrorDocument needs a Key")
	}
	if len(w.RoutingRules) > 50 {
		return invalid("at most 50 routing rules")
	}
	for i, r := range w.RoutingRules {
		if r.Redirect.ReplaceKeyPrefixWith != "" && r.Redirect.ReplaceKeyWith != "" {
			return invalid("routing rule %d: ReplaceKeyPrefixWith and ReplaceKeyWith are exclusive", i+1)
		}
		if c := r.Redirect.HTTPRedirectCode; c != "" {
			n, err := strconv.Atoi(c)
			if err != nil || n < 300 || n > 399 {
				return invalid("routing rule %d: HttpRedirectCode %q is not a 3xx code", i+1, c)
			}
		}
		if r.Condition != nil && r.Condition.HTTPErrorCodeReturnedEquals != "" {
			n, err := strconv.Atoi(r.Condition.HTTPErrorCodeReturnedEquals)
			if err != nil || n < 400 || n > 599 {
				return invalid("routing rule %d: HttpErrorCodeReturnedEquals %q is not a 4xx or 5xx code", i+1, r.Condition.HTTPErrorCodeReturnedEquals)
			}
		}
		if err := validProtocol(r.Redirect.Protocol); err != nil {
			return err
		}
	}
	return nil
}

func validProtocol(p string) error {
	if p != "" && p != "http" && p != "https" {
		return invalid("Protocol %q must be http or https", p)
	}
	return nil
}

// MarshalXML writes the document as S3 does: without an empty
// RoutingRules element when there are no rules.
func (w Website) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	type rules struct {
		Rules []RoutingRule `xml:"RoutingRule"`
	}
	out := struct {
		XMLName               xml.Name       `xml:"WebsiteConfiguration"`
		Xmlns                 string         `xml:"xmlns,attr,omitempty"`
		IndexDocument         *IndexDocument `xml:"IndexDocument,omitempty"`
		ErrorDocument         *ErrorDocument `xml:"ErrorDocument,omitempty"`
		RedirectAllRequestsTo *RedirectAll   `xml:"RedirectAllRequestsTo,omitempty"`
		RoutingRules          *rules         `xml:"RoutingRules,omitempty"`
	}{Xmlns: w.Xmlns, IndexDocument: w.IndexDocument, ErrorDocument: w.ErrorDocument, RedirectAllRequestsTo: w.RedirectAllRequestsTo}
	if len(w.RoutingRules) > 0 {
		out.RoutingRules = &rules{Rules: w.RoutingRules}
	}
	return e.Encode(out)
}

// Marshal returns the document as XML.
func (w *Website) Marshal() ([]byte, error) {
	c := *w
	c.Xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"
	return xml.Marshal(c)
}

// RedirectTarget is where a routing rule sends a request.
type RedirectTarget struct {
	Status   int    // 301 by default
	Protocol string // "" keeps the request's
	HostName string // "" keeps the request's
	Key      string // the new object key
}

// MatchRule returns the first routing rule matching key and, when
// errorCode is not 0, the error the request produced. With errorCode 0
// only rules without an error condition are tried (they apply before the
// object is looked up).
func (w *Website) MatchRule(key string, errorCode int) (RedirectTarget, bool) {
	for _, r := range w.RoutingRules {
		cond := Condition{}
		if r.Condition != nil {
			cond = *r.Condition
		}
		if (errorCode == 0) != (cond.HTTPErrorCodeReturnedEquals == "") {
			continue
		}
		if cond.HTTPErrorCodeReturnedEquals != "" && cond.HTTPErrorCodeReturnedEquals != strconv.Itoa(errorCode) {
			continue
		}
		if !strings.HasPrefix(key, cond.KeyPrefixEquals) {
			continue
		}
		t := RedirectTarget{Status: 301, Protocol: r.Redirect.Protocol, HostName: r.Redirect.HostName, Key: key}
		if c, err := strconv.Atoi(r.Redirect.HTTPRedirectCode); err == nil {
			t.Status = c
		}
		switch {
		case r.Redirect.ReplaceKeyWith != "":
			t.Key = r.Redirect.ReplaceKeyWith
		case r.Redirect.ReplaceKeyPrefixWith != "" || cond.KeyPrefixEquals != "":
			t.Key = r.Redirect.ReplaceKeyPrefixWith + strings.TrimPrefix(key, cond.KeyPrefixEquals)
		}
		return t, true
	}
	return RedirectTarget{}, false
}
