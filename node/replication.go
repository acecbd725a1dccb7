package node

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
)

// replicated are the parts of the model that follow the layout: where
// table entries and blocks go, and where decisions are serialised.
type replicated struct {
	placement table.Placement
	locker    table.Locker
	blocks    model.Blocks
}

// wireTables returns the placement, locker and block store the model
// uses. (Single node until the cluster placement lands.)
func (c *clusterNode) wireTables(local *table.Local, blocks *storage.BlockStore, reg prometheus.Registerer) (replicated, error) {
	return replicated{placement: table.Single{Local: local}, locker: new(table.LocalLocker), blocks: blocks}, nil
}
