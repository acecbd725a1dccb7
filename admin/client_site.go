package admin

import (
	"context"
	"net/url"

	"github.com/garage-web/garage-web/model"
)

// GetSite describes a site.
func (c *Client) GetSite(ctx context.Context, name string) (SiteInfo, error) {
	var out SiteInfo
	err := c.do(ctx, "GetSite", url.Values{"name": {name}}, nil, &out)
	return out, err
}

// SiteOp runs a site operation (PublishDeploy, RollbackSite,
// AddSiteDomain, …) and returns the site after it.
func (c *Client) SiteOp(ctx context.Context, op string, req SiteRequest) (SiteInfo, error) {
	var out SiteInfo
	err := c.do(ctx, op, nil, req, &out)
	return out, err
}

// AddBucketAlias gives a bucket another global name.
func (c *Client) AddBucketAlias(ctx context.Context, bucketID, alias string) (BucketInfo, error) {
	var out BucketInfo
	err := c.do(ctx, "AddBucketAlias", nil, BucketAliasRequest{BucketID: bucketID, GlobalAlias: alias}, &out)
	return out, err
}

// RemoveBucketAlias removes a global name of a bucket.
func (c *Client) RemoveBucketAlias(ctx context.Context, bucketID, alias string) (BucketInfo, error) {
	var out BucketInfo
	err := c.do(ctx, "RemoveBucketAlias", nil, BucketAliasRequest{BucketID: bucketID, GlobalAlias: alias}, &out)
	return out, err
}

// SetNixCacheKey stores (or with "" removes) a cache bucket's signing key.
func (c *Client) SetNixCacheKey(ctx context.Context, bucketID, secret string) (NixCacheInfo, error) {
	var out NixCacheInfo
	err := c.do(ctx, "SetNixCacheKey", nil, NixCacheKeyRequest{BucketID: bucketID, SecretKey: secret}, &out)
	return out, err
}

// GetNixCacheInfo describes a cache bucket's signing.
func (c *Client) GetNixCacheInfo(ctx context.Context, bucketID string) (NixCacheInfo, error) {
	var out NixCacheInfo
	err := c.do(ctx, "GetNixCacheInfo", url.Values{"bucketId": {bucketID}}, nil, &out)
	return out, err
}

// NixCachePin pins or unpins a store path of a cache.
func (c *Client) NixCachePin(ctx context.Context, req NixCachePinRequest) (NixCacheInfo, error) {
	var out NixCacheInfo
	err := c.do(ctx, "NixCachePin", nil, req, &out)
	return out, err
}

// NixCacheGC collects a cache's narinfos and NARs (see model.NixCacheGC).
func (c *Client) NixCacheGC(ctx context.Context, req NixCacheGCRequest) (model.NixGCResult, error) {
	var out model.NixGCResult
	err := c.do(ctx, "NixCacheGC", nil, req, &out)
	return out, err
}
