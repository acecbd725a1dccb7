package s3

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/garage-web/garage-web/httpobject"
	"github.com/garage-web/garage-web/s3/s3err"
)

// GetObjectAttributes: the attributes named by x-amz-object-attributes
// (ETag, Checksum, ObjectParts, StorageClass, ObjectSize), without the
// object's data.

type objectAttributes struct {
	XMLName      xml.Name            `xml:"GetObjectAttributesResponse"`
	Xmlns        string              `xml:"xmlns,attr"`
	ETag         string              `xml:"ETag,omitempty"`
	Checksum     *attributesChecksum `xml:"Checksum,omitempty"`
	ObjectParts  *attributesParts    `xml:"ObjectParts,omitempty"`
	StorageClass string              `xml:"StorageClass,omitempty"`
	ObjectSize   *int64              `xml:"ObjectSize,omitempty"`
}

type attributesChecksum struct {
	checksumFields
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

type attributesParts struct {
	PartsCount           int              `xml:"PartsCount"`
	PartNumberMarker     int              `xml:"PartNumberMarker"`
	NextPartNumberMarker int              `xml:"NextPartNumberMarker"`
	MaxParts             int              `xml:"MaxParts"`
	IsTruncated          bool             `xml:"IsTruncated"`
	Parts                []attributesPart `xml:"Part"`
}

type attributesPart struct {
	PartNumber int   `xml:"PartNumber"`
	Size       int64 `xml:"Size"`
	checksumFields
}

// objectAttributeNames are the attributes S3 defines.
var objectAttributeNames = map[string]bool{"ETag": true, "Checksum": true, "ObjectParts": true, "StorageClass": true, "ObjectSize": true}

func (s *Server) getObjectAttributes(w http.ResponseWriter, r *http.Request, req *request) error {
	want := map[string]bool{}
	for _, v := range r.Header.Values("X-Amz-Object-Attributes") {
		for _, a := range strings.Split(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				if !objectAttributeNames[a] {
					return errInvalidArgumentf("Invalid attribute name specified: %q.", a)
				}
				want[a] = true
			}
		}
	}
	if len(want) == 0 {
		return errInvalidArgumentf("The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty.")
	}
	maxParts, marker := 1000, 0
	if v := r.Header.Get("X-Amz-Max-Parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errInvalidArgumentf("x-amz-max-parts must be a non-negative integer.")
		}
		maxParts = min(n, 1000)
	}
	if v := r.Header.Get("X-Amz-Part-Number-Marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errInvalidArgumentf("x-amz-part-number-marker must be a non-negative integer.")
		}
		marker = n
	}
	v, err := s.model.HeadObject(r.Context(), req.bucket.ID, req.key)
	if err != nil {
		return err
	}
	res := objectAttributes{Xmlns: s3NS}
	if want["ETag"] {
		res.ETag = v.Meta.ETag
	}
	if want["StorageClass"] {
		res.StorageClass = storageClassOf(v)
	}
	if want["ObjectSize"] {
		size := v.Meta.Size
		res.ObjectSize = &size
	}
	if want["Checksum"] && len(v.Meta.Checksums) > 0 {
		c := &attributesChecksum{ChecksumType: v.Meta.ChecksumType}
		sums := map[string]string{}
		for alg, sum := range v.Meta.Checksums {
			// A composite checksum is given without its "-N", as S3 does.
			if i := strings.LastIndexByte(sum, '-'); i >= 0 {
				sum = sum[:i]
			}
			sums[alg] = sum
		}
		c.set(sums)
		res.Checksum = c
	}
	if want["ObjectParts"] && v.Multipart && v.Data != nil {
		op := &attributesParts{PartsCount: len(v.Data.Parts), PartNumberMarker: marker, MaxParts: maxParts}
		for _, p := range v.Data.Parts {
			if p.Number <= marker {
				continue
			}
			if len(op.Parts) == maxParts {
				op.IsTruncated = true
				break
			}
			it := attributesPart{PartNumber: p.Number, Size: p.Size}
			it.set(p.Checksums)
			op.Parts = append(op.Parts, it)
			op.NextPartNumberMarker = p.Number
		}
		res.ObjectParts = op
	}
	w.Header().Set("Last-Modified", msTime(v.TS).UTC().Format(http.TimeFormat))
	httpobject.SetValidators(w.Header(), v.Meta.ETag, msTime(v.TS))
	return writeXML(w, http.StatusOK, res)
}

func errInvalidArgumentf(format string, args ...any) error {
	return s3err.WithMessage(s3err.ErrInvalidArgument, format, args...)
}
