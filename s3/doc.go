// Package s3 is the S3 API front end: it authenticates requests (SigV4),
// works out the S3 operation, checks the key's rights on the bucket, calls
// the data model and writes the S3 XML answers.
//
// One function (route) maps a request to an Operation, one switch
// (dispatch) calls its handler, and one function (writeError) turns any
// error into the S3 XML error document. Handler files are grouped by area:
// bucket.go, list.go, object_get.go, object_put.go, multipart.go, post.go,
// cors.go.
package s3
