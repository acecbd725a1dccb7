package admin

import "context"

// ClusterStatus calls GetClusterStatus.
func (c *Client) ClusterStatus(ctx context.Context) (ClusterStatus, error) {
	var out ClusterStatus
	return out, c.do(ctx, "GetClusterStatus", nil, nil, &out)
}

// ClusterHealth calls GetClusterHealth.
func (c *Client) ClusterHealth(ctx context.Context) (ClusterHealth, error) {
	var out ClusterHealth
	return out, c.do(ctx, "GetClusterHealth", nil, nil, &out)
}

// ConnectNodes calls ConnectClusterNodes with peers ("ID@host:port").
// A peer that could not be reached is a result with Success false, not an
// error.
func (c *Client) ConnectNodes(ctx context.Context, peers []string) ([]ConnectResult, error) {
	if peers == nil {
		peers = []string{}
	}
	var out []ConnectResult
	return out, c.do(ctx, "ConnectClusterNodes", nil, peers, &out)
}

// GetLayout calls GetClusterLayout.
func (c *Client) GetLayout(ctx context.Context) (ClusterLayout, error) {
	var out ClusterLayout
	return out, c.do(ctx, "GetClusterLayout", nil, nil, &out)
}

// UpdateLayout calls UpdateClusterLayout.
func (c *Client) UpdateLayout(ctx context.Context, req UpdateLayoutRequest) (ClusterLayout, error) {
	var out ClusterLayout
	return out, c.do(ctx, "UpdateClusterLayout", nil, req, &out)
}

// PreviewLayout calls PreviewClusterLayoutChanges.
func (c *Client) PreviewLayout(ctx context.Context) (LayoutPreview, error) {
	var out LayoutPreview
	return out, c.do(ctx, "PreviewClusterLayoutChanges", nil, struct{}{}, &out)
}

// ApplyLayout calls ApplyClusterLayout with the version to apply (the
// current version + 1).
func (c *Client) ApplyLayout(ctx context.Context, version uint64) (ApplyLayoutResult, error) {
	var out ApplyLayoutResult
	return out, c.do(ctx, "ApplyClusterLayout", nil, ApplyLayoutRequest{Version: &version}, &out)
}

// RevertLayout calls RevertClusterLayout.
func (c *Client) RevertLayout(ctx context.Context) (ClusterLayout, error) {
	var out ClusterLayout
	return out, c.do(ctx, "RevertClusterLayout", nil, struct{}{}, &out)
}

// LayoutHistory calls GetClusterLayoutHistory.
func (c *Client) LayoutHistory(ctx context.Context) (LayoutHistory, error) {
	var out LayoutHistory
	return out, c.do(ctx, "GetClusterLayoutHistory", nil, nil, &out)
}
