package s3

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
)

// Access control lists, in the subset garage-web implements (model.ACL):
// READ for everyone (AllUsers), READ for every access key of the cluster
// (AuthenticatedUsers), and per-key grants of READ, WRITE (buckets) and
// READ_ACP to access keys named by their id. Bucket owners (keys with the
// owner right) have FULL_CONTROL implicitly; writers of a bucket may set
// the ACLs of its objects, as an object's writer may in S3.
//
// A bucket's READ lets the grantee list it; an object's READ lets the
// grantee read it (as in S3: a public-read bucket does not make its
// objects public). Everything else is refused with an error that says so,
// never ignored: public-read-write and any other grant of WRITE to
// everyone (AccessDenied: anyone could overwrite or delete objects),
// grants by email address, groups other than AllUsers and
// AuthenticatedUsers, WRITE_ACP and FULL_CONTROL for keys that are not
// owners (NotImplemented: give owner rights with `garage-web bucket allow
// --owner`).

// The group URIs garage-web implements.
const (
	groupAllUsers      = "http://acs.amazonaws.com/groups/global/AllUsers"
	groupAuthenticated = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	xsiNS              = "http://www.w3.org/2001/XMLSchema-instance"
)

// grantHeaders are the x-amz-grant-* headers and the permission of each.
var grantHeaders = []struct{ header, perm string }{
	{"X-Amz-Grant-Read", model.PermRead},
	{"X-Amz-Grant-Write", model.PermWrite},
	{"X-Amz-Grant-Read-Acp", model.PermReadACP},
	{"X-Amz-Grant-Write-Acp", model.PermWriteACP},
	{"X-Amz-Grant-Full-Control", model.PermFull},
}

// cannedACL returns the ACL of a canned ACL name (x-amz-acl).
func cannedACL(name string) (model.ACL, error) {
	switch name {
	case "private", "bucket-owner-read", "bucket-owner-full-control":
		// Bucket owners can always read and change every object.
		return model.ACL{Canned: name}, nil
	case "public-read":
		return model.ACL{Canned: name, PublicRead: true}, nil
	case "authenticated-read":
		return model.ACL{Canned: name, AuthenticatedRead: true}, nil
	case "public-read-write":
		return model.ACL{}, s3err.WithMessage(s3err.ErrAccessDenied, "The canned ACL public-read-write is refused: it would let anyone write and delete objects without signing. Use public-read, and give writers an access key (garage-web bucket allow --write).")
	case "aws-exec-read", "log-delivery-write":
		return model.ACL{}, s3err.WithMessage(s3err.ErrNotImplemented, "The canned ACL %s is not supported by garage-web (private, public-read, authenticated-read, bucket-owner-read and bucket-owner-full-control are).", name)
	}
	return model.ACL{}, s3err.WithMessage(s3err.ErrInvalidArgument, "Unknown canned ACL %q (x-amz-acl).", name)
}

// hasGrantHeaders reports whether h carries any x-amz-grant-* header.
func hasGrantHeaders(h http.Header) bool {
	for _, g := range grantHeaders {
		if h.Get(g.header) != "" {
			return true
		}
	}
	return false
}

// setObjectACLHeader stores the ACL a new object is written with (its
// x-amz-acl; private by default) in its headers. Per-key grants need the
// keys to be checked: they are refused here and set with PutObjectAcl.
func setObjectACLHeader(headers map[string]string, h http.Header) error {
	delete(headers, model.ACLHeader)
	if hasGrantHeaders(h) {
		return s3err.WithMessage(s3err.ErrNotImplemented, "x-amz-grant-* headers are not supported when writing an object: write it, then set its grants with PutObjectAcl.")
	}
	name := strings.TrimSpace(h.Get("X-Amz-Acl"))
	if name == "" {
		return nil
	}
	a, err := cannedACL(name)
	if err != nil {
		return err
	}
	if !a.IsPrivate() {
		headers[model.ACLHeader] = model.EncodeACL(a)
	}
	return nil
}

// grantee is the subject of one grant as a request names it.
type grantee struct {
	typ   string // CanonicalUser, Group, AmazonCustomerByEmail
	id    string
	uri   string
	email string
}

// aclBuilder collects grants into a model.ACL.
type aclBuilder struct {
	s        *Server
	ctx      context.Context
	req      *request
	isBucket bool
	acl      model.ACL
}

// add adds one grant, refusing what garage-web does not implement.
func (b *aclBuilder) add(g grantee, perm string) error {
	switch perm {
	case model.PermRead, model.PermWrite, model.PermReadACP, model.PermWriteACP, model.PermFull:
	default:
		return s3err.WithMessage(s3err.ErrMalformedACL, "Unknown permission %q: use READ, WRITE, READ_ACP, WRITE_ACP or FULL_CONTROL.", perm)
	}
	switch g.typ {
	case "AmazonCustomerByEmail":
		return s3err.WithMessage(s3err.ErrNotImplemented, "Grants by email address (%s) are not supported by garage-web: grant to an access key by its id.", g.email)
	case "Group":
		return b.addGroup(g.uri, perm)
	case "CanonicalUser":
		return b.addKey(g.id, perm)
	}
	return s3err.WithMessage(s3err.ErrMalformedACL, "Unknown grantee type %q: use CanonicalUser (an access key id) or Group.", g.typ)
}

func (b *aclBuilder) addGroup(uri, perm string) error {
	var set *bool
	switch uri {
	case groupAllUsers:
		set = &b.acl.PublicRead
		if perm == model.PermWrite || perm == model.PermFull {
			return s3err.WithMessage(s3err.ErrAccessDenied, "Granting %s to AllUsers is refused: it would let anyone write and delete objects without signing.", perm)
		}
	case groupAuthenticated:
		set = &b.acl.AuthenticatedRead
	default:
		return s3err.WithMessage(s3err.ErrNotImplemented, "The grantee group %s is not supported by garage-web (only AllUsers and AuthenticatedUsers, with READ).", uri)
	}
	if perm != model.PermRead {
		return s3err.WithMessage(s3err.ErrNotImplemented, "Granting %s to the group %s is not supported by garage-web (only READ).", perm, uri)
	}
	*set = true
	return nil
}

func (b *aclBuilder) addKey(id, perm string) error {
	if id == "" {
		return s3err.WithMessage(s3err.ErrInvalidGrantee, "A CanonicalUser grantee needs an ID (an access key id).")
	}
	k, err := b.s.model.GetKey(b.ctx, id)
	if errors.Is(err, model.ErrNoSuchAccessKey) {
		return s3err.WithMessage(s3err.ErrInvalidGrantee, "Invalid id: %s is no access key of this cluster.", id)
	}
	if err != nil {
		return err
	}
	owner := k.Permissions(b.req.bucket.ID).Owner
	switch perm {
	case model.PermFull, model.PermWriteACP:
		if owner || (!b.isBucket && k.ID == b.req.accessKey.ID) {
			return nil // what owners (and an object's writer) have anyway
		}
		return s3err.WithMessage(s3err.ErrNotImplemented, "Granting %s to key %s is not supported by garage-web: give it owner rights with `garage-web bucket allow --owner`.", perm, id)
	case model.PermWrite:
		if !b.isBucket {
			return s3err.WithMessage(s3err.ErrInvalidArgument, "WRITE cannot be granted on an object (grant it on the bucket).")
		}
	}
	if owner {
		return nil
	}
	b.acl.Grants = append(b.acl.Grants, model.Grant{KeyID: k.ID, Permission: perm})
	return nil
}

// parseGrantHeader parses one x-amz-grant-* value: a comma-separated list
// of id="…", uri="…" or emailAddress="…".
func parseGrantHeader(v string) ([]grantee, error) {
	var out []grantee
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, val, ok := strings.Cut(item, "=")
		if !ok {
			return nil, s3err.WithMessage(s3err.ErrInvalidArgument, "Invalid grant %q: use id=\"KEY-ID\" or uri=\"GROUP\".", item)
		}
		val = strings.Trim(strings.TrimSpace(val), `"`)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "id":
			out = append(out, grantee{typ: "CanonicalUser", id: val})
		case "uri":
			out = append(out, grantee{typ: "Group", uri: val})
		case "emailaddress":
			out = append(out, grantee{typ: "AmazonCustomerByEmail", email: val})
		default:
			return nil, s3err.WithMessage(s3err.ErrInvalidArgument, "Invalid grantee type %q: use id or uri.", name)
		}
	}
	return out, nil
}

// accessControlPolicy is the XML of Get/Put*Acl.
type accessControlPolicy struct {
	XMLName struct{}   `xml:"AccessControlPolicy"`
	Xmlns   string     `xml:"xmlns,attr,omitempty"`
	Owner   owner      `xml:"Owner"`
	Grants  []aclGrant `xml:"AccessControlList>Grant"`
}

type aclGrant struct {
	Grantee    aclGrantee `xml:"Grantee"`
	Permission string     `xml:"Permission"`
}

type aclGrantee struct {
	XMLNSXsi    string `xml:"xmlns:xsi,attr,omitempty"`
	Type        string `xml:"xsi:type,attr,omitempty"`
	ID          string `xml:"ID,omitempty"`
	DisplayName string `xml:"DisplayName,omitempty"`
	URI         string `xml:"URI,omitempty"`
	Email       string `xml:"EmailAddress,omitempty"`
}

// aclGranteeIn is a Grantee as a client sends it: the type attribute in
// whatever namespace prefix it uses.
type aclGranteeIn struct {
	Type  string `xml:"type,attr"`
	ID    string `xml:"ID"`
	URI   string `xml:"URI"`
	Email string `xml:"EmailAddress"`
}

type accessControlPolicyIn struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Grants  []struct {
		Grantee    *aclGranteeIn `xml:"Grantee"`
		Permission string        `xml:"Permission"`
	} `xml:"AccessControlList>Grant"`
}

// requestACL reads the ACL a Put*Acl request sets: a canned ACL
// (x-amz-acl), x-amz-grant-* headers, or an AccessControlPolicy body.
func (s *Server) requestACL(r *http.Request, req *request, isBucket bool) (model.ACL, error) {
	h := r.Header
	canned, grants := strings.TrimSpace(h.Get("X-Amz-Acl")), hasGrantHeaders(h)
	body, err := s.readSmallBody(r, req)
	if err != nil {
		return model.ACL{}, err
	}
	hasBody := len(strings.TrimSpace(string(body))) > 0
	switch {
	case canned != "" && grants:
		return model.ACL{}, s3err.WithMessage(s3err.ErrInvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed")
	case (canned != "" || grants) && hasBody:
		return model.ACL{}, s3err.WithMessage(s3err.ErrInvalidRequest, "This request does not support content with both an ACL header and an AccessControlPolicy body.")
	case canned != "":
		return cannedACL(canned)
	}
	b := &aclBuilder{s: s, ctx: r.Context(), req: req, isBucket: isBucket}
	if grants {
		for _, gh := range grantHeaders {
			gs, err := parseGrantHeader(h.Get(gh.header))
			if err != nil {
				return model.ACL{}, err
			}
			for _, g := range gs {
				if err := b.add(g, gh.perm); err != nil {
					return model.ACL{}, err
				}
			}
		}
		return b.acl, nil
	}
	if !hasBody {
		return model.ACL{}, s3err.WithMessage(s3err.ErrMissingSecurityHeader, "Your request was missing a required header: x-amz-acl, an x-amz-grant-* header or an AccessControlPolicy body.")
	}
	var in accessControlPolicyIn
	if err := readXML(strings.NewReader(string(body)), maxConfigBody, &in); err != nil {
		return model.ACL{}, s3err.WithMessage(s3err.ErrMalformedACL, "%v", err)
	}
	for _, g := range in.Grants {
		if g.Grantee == nil {
			return model.ACL{}, s3err.WithMessage(s3err.ErrMalformedACL, "A Grant has no Grantee.")
		}
		gr := grantee{typ: g.Grantee.Type, id: strings.TrimSpace(g.Grantee.ID), uri: strings.TrimSpace(g.Grantee.URI), email: strings.TrimSpace(g.Grantee.Email)}
		if err := b.add(gr, strings.TrimSpace(g.Permission)); err != nil {
			return model.ACL{}, err
		}
	}
	return b.acl, nil
}

// writeACL answers Get*Acl with a: the requester as owner (with
// FULL_CONTROL), then the grants of a.
func (s *Server) writeACL(w http.ResponseWriter, req *request, a model.ACL) error {
	o := s.keyOwner(req)
	user := func(id, name string) aclGrantee {
		return aclGrantee{XMLNSXsi: xsiNS, Type: "CanonicalUser", ID: id, DisplayName: name}
	}
	group := func(uri string) aclGrantee { return aclGrantee{XMLNSXsi: xsiNS, Type: "Group", URI: uri} }
	out := accessControlPolicy{Xmlns: s3NS, Owner: o, Grants: []aclGrant{{Grantee: user(o.ID, o.DisplayName), Permission: model.PermFull}}}
	if a.PublicRead {
		out.Grants = append(out.Grants, aclGrant{Grantee: group(groupAllUsers), Permission: model.PermRead})
	}
	if a.AuthenticatedRead {
		out.Grants = append(out.Grants, aclGrant{Grantee: group(groupAuthenticated), Permission: model.PermRead})
	}
	gs := a.Normalize().Grants
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].KeyID < gs[j].KeyID })
	for _, g := range gs {
		out.Grants = append(out.Grants, aclGrant{Grantee: user(g.KeyID, ""), Permission: g.Permission})
	}
	return writeXML(w, http.StatusOK, out)
}

func (s *Server) getBucketACL(w http.ResponseWriter, req *request) error {
	return s.writeACL(w, req, req.bucket.BucketACL())
}

func (s *Server) putBucketACL(w http.ResponseWriter, r *http.Request, req *request) error {
	a, err := s.requestACL(r, req, true)
	if err != nil {
		return err
	}
	if err := s.model.SetBucketACL(r.Context(), req.bucket.ID, a); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) getObjectACL(w http.ResponseWriter, r *http.Request, req *request) error {
	v, err := s.model.HeadObject(r.Context(), req.bucket.ID, req.key)
	if req.grant != grantKey {
		if err := s.checkObjectAccess(r.Context(), req, v, err); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	return s.writeACL(w, req, v.ObjectACL())
}

func (s *Server) putObjectACL(w http.ResponseWriter, r *http.Request, req *request) error {
	a, err := s.requestACL(r, req, false)
	if err != nil {
		return err
	}
	if err := s.model.SetObjectACL(r.Context(), req.bucket.ID, req.key, a); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// checkCreateBucketACL returns the ACL a CreateBucket asks for with
// x-amz-acl (nil: none), refusing a bad one before the bucket is created.
func checkCreateBucketACL(h http.Header) (*model.ACL, error) {
	if hasGrantHeaders(h) {
		return nil, s3err.WithMessage(s3err.ErrNotImplemented, "x-amz-grant-* headers are not supported on CreateBucket: create the bucket, then set its grants with PutBucketAcl.")
	}
	name := strings.TrimSpace(h.Get("X-Amz-Acl"))
	if name == "" {
		return nil, nil
	}
	a, err := cannedACL(name)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// readSmallBody reads a verified request body of at most maxConfigBody
// bytes (empty is fine).
func (s *Server) readSmallBody(r *http.Request, req *request) ([]byte, error) {
	verified, _, err := verifiedBody(req.auth.Body, r.Header, req.auth.Trailer)
	if err != nil {
		return nil, err
	}
	return readBody(verified, maxConfigBody)
}
