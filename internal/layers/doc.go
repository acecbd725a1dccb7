// Package layers holds no code: its test checks that the module's imports
// point downwards only, along the stack of shared/DESIGN.md ("Layers"):
//
//	storage <- cluster (rpc, membership) <- table, blockrepl <- model
//	  <- httpobject, site <- s3, web, admin, tls <- node <- cmd, bench, test
//
// with leaves (checksum, bucketconfig, nixsign, config, site/rules,
// internal/...) importable from anywhere above them. A package may import
// packages of a lower layer and its own subpackages or parent, never a
// package of its own layer (web never imports s3) or above. The model
// parses no HTTP: it may not import net/http.
//
// A new package must be given its layer in the test's table; the test
// fails on a package it does not know, so that nobody adds one without
// deciding where it sits.
package layers
