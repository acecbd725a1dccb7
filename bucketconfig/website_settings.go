package bucketconfig

// WebsiteFromSettings returns a bucket's website configuration as a
// document, whether it was set over S3 (the PutBucketWebsite body kept in
// xmlDoc, which wins) or through the admin API (only an index and an error
// document; the index defaults to index.html).
func WebsiteFromSettings(xmlDoc, indexDocument, errorDocument string) (*Website, error) {
	if xmlDoc != "" {
		return ParseWebsite([]byte(xmlDoc))
	}
	site := &Website{IndexDocument: &IndexDocument{Suffix: indexDocument}}
	if site.IndexDocument.Suffix == "" {
		site.IndexDocument.Suffix = "index.html"
	}
	if errorDocument != "" {
		site.ErrorDocument = &ErrorDocument{Key: errorDocument}
	}
	return site, nil
}
