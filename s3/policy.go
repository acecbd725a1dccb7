package s3

import (
	"errors"
	"net/http"
	"strings"

	"github.com/garage-web/garage-web/s3/policy"
	"github.com/garage-web/garage-web/s3/s3err"
)

// Bucket policies, in the subset package policy implements: everyone may
// read objects of the bucket (or under a prefix) and list it. A document
// that asks for anything else is refused (MalformedPolicy, naming what),
// never stored half understood. Put, Get and Delete are for owners only.

func (s *Server) putBucketPolicy(w http.ResponseWriter, r *http.Request, req *request) error {
	verified, _, err := verifiedBody(req.auth.Body, r.Header, req.auth.Trailer)
	if err != nil {
		return err
	}
	doc, err := readBody(verified, policy.MaxSize)
	if err != nil {
		return s3err.WithMessage(s3err.ErrPolicyTooLarge, "Policy exceeds the maximum allowed document size (%d bytes).", policy.MaxSize)
	}
	if _, err := policy.Parse(req.bucketName, doc); err != nil {
		if errors.Is(err, policy.ErrTooLarge) {
			return s3err.WithMessage(s3err.ErrPolicyTooLarge, "Policy exceeds the maximum allowed document size (%d bytes).", policy.MaxSize)
		}
		return s3err.WithMessage(s3err.ErrMalformedPolicy, "%s", strings.TrimPrefix(err.Error(), policy.ErrMalformed.Error()+": "))
	}
	if err := s.model.SetBucketPolicy(r.Context(), req.bucket.ID, string(doc)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getBucketPolicy(w http.ResponseWriter, req *request) error {
	doc := req.bucket.Policy.Value
	if doc == "" {
		return s3err.ErrNoSuchBucketPolicy
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write([]byte(doc))
	return err
}

func (s *Server) deleteBucketPolicy(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := s.model.SetBucketPolicy(r.Context(), req.bucket.ID, ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// policyStatus is the GetBucketPolicyStatus answer.
type policyStatus struct {
	XMLName  struct{} `xml:"PolicyStatus"`
	Xmlns    string   `xml:"xmlns,attr"`
	IsPublic bool     `xml:"IsPublic"`
}

// getBucketPolicyStatus says whether the bucket's policy makes anything
// public (as in S3, ACLs do not count here). A bucket without a policy
// answers NoSuchBucketPolicy, as S3 does.
func (s *Server) getBucketPolicyStatus(w http.ResponseWriter, req *request) error {
	if req.bucket.Policy.Value == "" {
		return s3err.ErrNoSuchBucketPolicy
	}
	p := bucketPolicy(req.bucket, req.bucketName)
	return writeXML(w, http.StatusOK, policyStatus{Xmlns: s3NS, IsPublic: p.IsPublic()})
}
