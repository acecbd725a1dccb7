package node

import (
	"context"
	"fmt"

	"github.com/garage-web/garage-web/admin"
)

// Placeholder for admin.ClusterBackend until the node is wired to the
// cluster layout: every operation answers 501 NotImplemented. Replace
// this file with the real implementation.

func notYet(op string) error {
	return fmt.Errorf("%s: %w on this node yet", op, admin.ErrNotImplemented)
}

func (b *backend) ClusterStatus(context.Context) (admin.ClusterStatus, error) {
	return admin.ClusterStatus{}, notYet("GetClusterStatus")
}

func (b *backend) ClusterHealth(context.Context) (admin.ClusterHealth, error) {
	return admin.ClusterHealth{}, notYet("GetClusterHealth")
}

func (b *backend) GetLayout(context.Context) (admin.ClusterLayout, error) {
	return admin.ClusterLayout{}, notYet("GetClusterLayout")
}

func (b *backend) UpdateLayout(context.Context, admin.UpdateLayoutRequest) (admin.ClusterLayout, error) {
	return admin.ClusterLayout{}, notYet("UpdateClusterLayout")
}

func (b *backend) PreviewLayout(context.Context) (admin.LayoutPreview, error) {
	return admin.LayoutPreview{}, notYet("PreviewClusterLayoutChanges")
}

func (b *backend) ApplyLayout(context.Context, uint64) (admin.ApplyLayoutResult, error) {
	return admin.ApplyLayoutResult{}, notYet("ApplyClusterLayout")
}

func (b *backend) RevertLayout(context.Context) (admin.ClusterLayout, error) {
	return admin.ClusterLayout{}, notYet("RevertClusterLayout")
}

func (b *backend) LayoutHistory(context.Context) (admin.LayoutHistory, error) {
	return admin.LayoutHistory{}, notYet("GetClusterLayoutHistory")
}

func (b *backend) ConnectNodes(context.Context, []string) ([]admin.ConnectResult, error) {
	return nil, notYet("ConnectClusterNodes")
}
