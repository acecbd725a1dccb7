package s3

import (
	"maps"
	"net/http"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
)

// Storage classes. garage-web has one class of storage: every object is
// stored the same way (replicated as the cluster is configured, served at
// once, never archived), whatever class it is given. The standard class
// names are accepted so that clients configured for one (rclone, backup
// tools that ask for STANDARD_IA or GLACIER_IR) work; the name is stored
// and returned (x-amz-storage-class on GET and HEAD, StorageClass in
// listings), as a label only.

// storageClassHeader is the stored header that keeps an object's class;
// absent means STANDARD (S3 sends no header for STANDARD either).
const storageClassHeader = "X-Amz-Storage-Class"

// standardClass is the default storage class.
const standardClass = "STANDARD"

// storageClasses are the names S3 defines.
var storageClasses = map[string]bool{
	"STANDARD": true, "REDUCED_REDUNDANCY": true, "STANDARD_IA": true, "ONEZONE_IA": true,
	"INTELLIGENT_TIERING": true, "GLACIER": true, "DEEP_ARCHIVE": true, "GLACIER_IR": true,
	"OUTPOSTS": true, "SNOW": true, "EXPRESS_ONEZONE": true,
}

// setStorageClass records the request's x-amz-storage-class in headers
// (kept with the object): InvalidStorageClass for a name S3 does not
// define; nothing stored for STANDARD.
func setStorageClass(headers map[string]string, h http.Header) error {
	delete(headers, storageClassHeader)
	sc := h.Get(storageClassHeader)
	switch {
	case sc == "" || sc == standardClass:
		return nil
	case !storageClasses[sc]:
		return s3err.WithMessage(s3err.ErrInvalidStorageClass, "The storage class %q is not valid: use one of S3's storage class names (garage-web stores every class the same way).", sc)
	}
	headers[storageClassHeader] = sc
	return nil
}

// copiedHeaders are a copy's headers with metadata directive COPY: the
// source's, but the storage class is the request's (STANDARD when it
// names none), as in S3.
func copiedHeaders(src map[string]string, h http.Header) (map[string]string, error) {
	out := maps.Clone(src)
	if out == nil {
		out = map[string]string{}
	}
	return out, setStorageClass(out, h)
}

// storageClassOf is the storage class of a version.
func storageClassOf(v model.ObjectVersion) string {
	if v.Meta != nil {
		if sc := v.Meta.Headers[storageClassHeader]; sc != "" {
			return sc
		}
	}
	return standardClass
}
