package s3

import (
	"encoding/xml"
	"net/http"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
)

// Buckets are never versioned in garage-web: every object has exactly
// one version, whose id is "null", as S3 names the version of an object
// in an unversioned bucket. ListObjectVersions and GetBucketVersioning
// answer that, so that SDK helpers and cleanup scripts that empty a
// bucket version by version work.

// nullVersion is the version id of every object.
const nullVersion = "null"

type listVersionsResult struct {
	XMLName             xml.Name       `xml:"ListVersionsResult"`
	Xmlns               string         `xml:"xmlns,attr"`
	Name                string         `xml:"Name"`
	Prefix              string         `xml:"Prefix"`
	KeyMarker           string         `xml:"KeyMarker"`
	VersionIDMarker     string         `xml:"VersionIdMarker"`
	NextKeyMarker       string         `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string         `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int            `xml:"MaxKeys"`
	Delimiter           string         `xml:"Delimiter,omitempty"`
	EncodingType        string         `xml:"EncodingType,omitempty"`
	IsTruncated         bool           `xml:"IsTruncated"`
	Versions            []versionItem  `xml:"Version"`
	CommonPrefixes      []commonPrefix `xml:"CommonPrefixes"`
}

type versionItem struct {
	Key               string `xml:"Key"`
	VersionID         string `xml:"VersionId"`
	IsLatest          bool   `xml:"IsLatest"`
	LastModified      string `xml:"LastModified"`
	ETag              string `xml:"ETag"`
	Size              int64  `xml:"Size"`
	StorageClass      string `xml:"StorageClass"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
	Owner             *owner `xml:"Owner,omitempty"`
}

func (s *Server) listObjectVersions(w http.ResponseWriter, r *http.Request, req *request) error {
	q := r.URL.Query()
	enc, err := parseEncoding(q)
	if err != nil {
		return err
	}
	maxKeys, err := parseMax(q, "max-keys", maxListKeys)
	if err != nil {
		return err
	}
	keyMarker, vidMarker := q.Get("key-marker"), q.Get("version-id-marker")
	if vidMarker != "" && keyMarker == "" {
		return s3err.WithMessage(s3err.ErrInvalidArgument, "A version-id marker cannot be specified without a key marker.")
	}
	if vidMarker != "" && vidMarker != nullVersion {
		return s3err.WithMessage(s3err.ErrInvalidArgument, "Invalid version id specified")
	}
	in := model.ListInput{BucketID: req.bucket.ID, Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), StartAfter: keyMarker, MaxKeys: maxKeys}
	out, err := s.model.ListObjects(r.Context(), in)
	if err != nil {
		return err
	}
	res := listVersionsResult{Xmlns: s3NS, Name: req.bucketName, Prefix: enc.enc(in.Prefix), KeyMarker: enc.enc(keyMarker), VersionIDMarker: vidMarker,
		MaxKeys: maxKeys, Delimiter: enc.enc(in.Delimiter), IsTruncated: out.IsTruncated}
	if enc {
		res.EncodingType = "url"
	}
	for _, o := range out.Objects {
		it := s.objectItem(o.Key, o.Version, enc, true, req)
		res.Versions = append(res.Versions, versionItem{Key: it.Key, VersionID: nullVersion, IsLatest: true, LastModified: it.LastModified,
			ETag: it.ETag, Size: it.Size, StorageClass: it.StorageClass, ChecksumAlgorithm: it.ChecksumAlgorithm, ChecksumType: it.ChecksumType, Owner: it.Owner})
	}
	for _, p := range out.Prefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc.enc(p)})
	}
	if out.IsTruncated {
		res.NextKeyMarker = enc.enc(out.NextMarker)
		res.NextVersionIDMarker = nullVersion
	}
	return writeXML(w, http.StatusOK, res)
}

// checkVersionID accepts the versionId of an object request only when it
// names the one version every object has ("null"); S3 answers other ids
// in an unversioned bucket with InvalidArgument.
func checkVersionID(r *http.Request) error {
	q := r.URL.Query()
	if _, ok := q["versionId"]; !ok {
		return nil
	}
	if v := q.Get("versionId"); v != nullVersion {
		return s3err.WithMessage(s3err.ErrInvalidArgument, "Invalid version id specified: buckets are not versioned, the only version id is \"null\".")
	}
	return nil
}
