package node

import (
	"context"
	"fmt"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/bucketconfig"
	"github.com/garage-web/garage-web/model"
)

// Website settings through the admin API. A bucket's website may have been
// set over S3 (PutBucketWebsite), with routing rules the admin API cannot
// express: changing the documents or uploads through it keeps them.

// SetBucketWebsite enables website access with cfg's documents and uploads,
// keeping the routing rules of a document set over S3, or disables it
// (cfg nil).
func (b *backend) SetBucketWebsite(ctx context.Context, id string, cfg *admin.WebsiteConfig) error {
	if cfg == nil {
		return adminError(b.n.model.SetWebsite(ctx, id, nil))
	}
	mc := &model.WebsiteConfig{IndexDocument: cfg.IndexDocument, ErrorDocument: cfg.ErrorDocument, Uploads: cfg.Uploads}
	if mc.IndexDocument == "" {
		mc.IndexDocument = "index.html"
	}
	bk, err := b.n.model.GetBucket(ctx, id)
	if err != nil {
		return adminError(err)
	}
	if cur := bk.Website.Value; cur != nil && cur.XML != "" {
		doc, err := mergedWebsiteXML(cur.XML, mc)
		if err != nil {
			return err
		}
		mc.XML = doc
	}
	return adminError(b.n.model.SetWebsite(ctx, id, mc))
}

// mergedWebsiteXML is the stored S3 document with mc's index and error
// documents, its routing rules kept. A redirection of all requests cannot
// go with an index document: it is replaced. The uploads setting is not
// part of the rewritten document: model.WebsiteConfig.Uploads holds it.
func mergedWebsiteXML(stored string, mc *model.WebsiteConfig) (string, error) {
	doc, err := bucketconfig.ParseWebsite([]byte(stored))
	if err != nil {
		return "", fmt.Errorf("stored website document of the bucket: %w", err)
	}
	doc.RedirectAllRequestsTo = nil
	doc.IndexDocument = &bucketconfig.IndexDocument{Suffix: mc.IndexDocument}
	doc.ErrorDocument = nil
	if mc.ErrorDocument != "" {
		doc.ErrorDocument = &bucketconfig.ErrorDocument{Key: mc.ErrorDocument}
	}
	if err := doc.Validate(); err != nil {
		return "", fmt.Errorf("%w: %w", admin.ErrBadRequest, err)
	}
	out, err := doc.Marshal()
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// websiteInfo is every website setting of a bucket, for GetBucketInfo.
func websiteInfo(w *model.WebsiteConfig) *admin.WebsiteConfig {
	info := &admin.WebsiteConfig{IndexDocument: w.IndexDocument, ErrorDocument: w.ErrorDocument, Uploads: w.Uploads}
	if w.XML == "" {
		return info
	}
	doc, err := bucketconfig.ParseWebsite([]byte(w.XML))
	if err != nil {
		return info // stored by PutBucketWebsite, which validated it
	}
	if r := doc.RedirectAllRequestsTo; r != nil {
		info.RedirectAllRequestsTo = &admin.WebsiteRedirect{HostName: r.HostName, Protocol: r.Protocol}
	}
	for _, r := range doc.RoutingRules {
		rule := admin.WebsiteRoutingRule{
			HostName:             r.Redirect.HostName,
			Protocol:             r.Redirect.Protocol,
			HTTPRedirectCode:     r.Redirect.HTTPRedirectCode,
			ReplaceKeyPrefixWith: r.Redirect.ReplaceKeyPrefixWith,
			ReplaceKeyWith:       r.Redirect.ReplaceKeyWith,
		}
		if c := r.Condition; c != nil {
			rule.KeyPrefixEquals, rule.HTTPErrorCodeReturnedEquals = c.KeyPrefixEquals, c.HTTPErrorCodeReturnedEquals
		}
		info.RoutingRules = append(info.RoutingRules, rule)
	}
	return info
}
