package bucketconfig

import (
	"encoding/xml"
	"strings"
)

// UploadsElement is the garage-web extension element of a
// WebsiteConfiguration document that lets the web endpoint accept HTTP PUT
// uploads (for example `nix copy --to http://…`) on that bucket:
//
//	<WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
//	  <IndexDocument><Suffix>index.html</Suffix></IndexDocument>
//	  <GarageWebUploads>Enabled</GarageWebUploads>
//	</WebsiteConfiguration>
//
// S3 parsers ignore unknown elements, so the document stays a valid
// PutBucketWebsite body. Without the element (and for websites enabled
// through the admin API, which keep no document) the site is read-only.
const UploadsElement = "GarageWebUploads"

// UploadsEnabled reports whether a PutBucketWebsite document enables HTTP
// PUT uploads on the web endpoint: its UploadsElement says "Enabled" (case
// insensitive). A malformed document enables nothing.
func UploadsEnabled(doc []byte) bool {
	if len(doc) == 0 {
		return false
	}
	var d struct {
		XMLName xml.Name `xml:"WebsiteConfiguration"`
		Uploads []string `xml:"GarageWebUploads"`
	}
	if err := xml.Unmarshal(doc, &d); err != nil || len(d.Uploads) != 1 {
		return false
	}
	return strings.EqualFold(strings.TrimSpace(d.Uploads[0]), "Enabled")
}
