package config_test

import (
	"fmt"

	"github.com/garage-web/garage-web/config"
)

func ExampleLoad() {
	env := map[string]string{
		"GARAGE_REPLICATION_FACTOR":   "3",
		"GARAGE_S3_API_API_BIND_ADDR": "0.0.0.0:9000",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	cfg, err := config.Load("", lookup) // "": the built-in default.toml
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.ReplicationFactor, cfg.S3API.APIBindAddr, cfg.RPCPublicAddr, cfg.BlockSize)

	env["GARAGE_RPC_SECRET"] = "not-hex"
	_, err = config.Load("", lookup)
	fmt.Println(err)
	// Output:
	// 3 0.0.0.0:9000 127.0.0.1:3901 1048576
	// config: rpc_secret: must be 64 hex characters
}
