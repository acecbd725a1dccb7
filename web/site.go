package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/garage-web/garage-web/bucketconfig"
	"github.com/garage-web/garage-web/model"
)

// redirectHeader is the stored header of a per-object website redirect.
const redirectHeader = "X-Amz-Website-Redirect-Location"

// site is a bucket with website access, as one request sees it.
type site struct {
	name    string // the global bucket name the Host gave: the metrics label
	bucket  model.Bucket
	doc     *bucketconfig.Website
	uploads bool // HTTP PUT enabled (bucketconfig.UploadsElement)
	deploy  bool // a site's deploy: the site defaults apply (rules.go)
	rules   siteRules
	path    string // the request path ("/" + key), for _headers
}

// route is what a GET or HEAD of a key on a site answers.
type route struct {
	// status is 0 to serve object v stored under key, a 3xx code to
	// redirect to location, or 404.
	status   int
	location string
	key      string
	v        model.ObjectVersion
	// code is the status object v is served with (0: 200, or 404 for a
	// _redirects rule with status 404).
	code int
}

// resolve applies the S3 website rules to key, in S3's order:
//
//  1. RedirectAllRequestsTo sends everything elsewhere;
//  2. routing rules without an error condition, on the requested key;
//  3. forced _redirects rules ("200!", "301!"...);
//  4. the key itself, or key + index document for "" and "dir/"; a found
//     object with x-amz-website-redirect-location redirects (301); the
//     rules files themselves are never found;
//  5. "dir" without an object but with "dir/<index>" redirects to "dir/"
//     (302, the query string kept);
//  6. on a site's deploy, a fingerprinted asset missing from it is
//     served from an earlier deploy still kept (a page loaded before a
//     publish keeps finding its assets); then the other _redirects rules
//     (the first that matches);
//  7. routing rules with HttpErrorCodeReturnedEquals 404;
//  8. otherwise 404 (the caller serves the error document).
func resolve(ctx context.Context, st Store, s *site, r *http.Request, key string) (route, error) {
	doc := s.doc
	if ra := doc.RedirectAllRequestsTo; ra != nil {
		return route{status: http.StatusMovedPermanently, location: redirectURL(r, ra.Protocol, ra.HostName, key, "")}, nil
	}
	if t, ok := doc.MatchRule(key, 0); ok {
		return route{status: t.Status, location: redirectURL(r, t.Protocol, t.HostName, t.Key, "")}, nil
	}
	index := "index.html"
	if doc.IndexDocument != nil && doc.IndexDocument.Suffix != "" {
		index = doc.IndexDocument.Suffix
	}
	if m, ok := s.rules.redirects.Match("/"+key, true); ok {
		if rt, ok, err := applyRedirect(ctx, st, s, r, m, index); err != nil || ok {
			return rt, err
		}
	}
	lookup := key
	if key == "" || strings.HasSuffix(key, "/") {
		lookup = key + index
	}
	var v *model.ObjectVersion
	if !isRulesFile(lookup) {
		var err error
		if v, err = head(ctx, st, s.bucket.ID, lookup); err != nil {
			return route{}, err
		}
	}
	if v != nil {
		if loc := v.Meta.Headers[redirectHeader]; loc != "" {
			return route{status: http.StatusMovedPermanently, location: loc}, nil
		}
		return route{key: lookup, v: *v}, nil
	}
	if lookup == key && len(key)+1+len(index) <= MaxKeyLength {
		dir, err := head(ctx, st, s.bucket.ID, key+"/"+index)
		if err != nil {
			return route{}, err
		}
		if dir != nil {
			return route{status: http.StatusFound, location: redirectURL(r, "", "", key+"/", r.URL.RawQuery)}, nil
		}
	}
	if rt, ok, err := earlierAsset(ctx, st, s, key); err != nil || ok {
		return rt, err
	}
	if m, ok := s.rules.redirects.Match("/"+key, false); ok {
		if rt, ok, err := applyRedirect(ctx, st, s, r, m, index); err != nil || ok {
			return rt, err
		}
	}
	if t, ok := doc.MatchRule(key, http.StatusNotFound); ok {
		return route{status: t.Status, location: redirectURL(r, t.Protocol, t.HostName, t.Key, "")}, nil
	}
	return route{status: http.StatusNotFound}, nil
}

// head returns the visible version of key, nil when there is none.
func head(ctx context.Context, st Store, bucketID, key string) (*model.ObjectVersion, error) {
	v, err := st.HeadObject(ctx, bucketID, key)
	if errors.Is(err, model.ErrNoSuchObject) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// redirectURL is the Location of a redirect to key. Without a protocol and
// a host name it is a path on the same site (so it also works behind a
// proxy); otherwise an absolute URL, missing parts taken from r.
func redirectURL(r *http.Request, protocol, hostName, key, rawQuery string) string {
	u := url.URL{Path: "/" + key, RawQuery: rawQuery}
	if protocol == "" && hostName == "" {
		loc := u.String()
		if strings.HasPrefix(loc, "//") {
			// "//host/…" would be another site: escape the key's leading
			// slash ("%2F" decodes to the same key).
			loc = "/%2F" + loc[2:]
		}
		return loc
	}
	u.Scheme, u.Host = protocol, hostName
	if u.Scheme == "" {
		u.Scheme = "http"
		if r.TLS != nil {
			u.Scheme = "https"
		}
	}
	if u.Host == "" {
		u.Host = r.Host
	}
	return u.String()
}
