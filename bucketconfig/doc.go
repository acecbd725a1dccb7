// Package bucketconfig parses, validates and evaluates the per-bucket
// configuration documents of the S3 API that both the S3 front end and the
// web endpoint use: the website configuration (index and error documents,
// redirects, routing rules) and the CORS configuration.
package bucketconfig
