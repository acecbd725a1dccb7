// Package site is the client side of sites and deploys (docs/hosting.md):
// it deploys a directory to a site over the S3 API with an access key,
// uploading only the files whose content the live deploy does not
// already have and copying the others server-side, then switches the
// site to the new deploy in one step; and it lists, publishes and rolls
// back deploys and manages custom domains through the node's signed site
// extension (POST /SITE?x-garage-web-site=OP).
//
// Nothing here runs on the server; it imports model only for the shapes
// of deploy records.
package site
