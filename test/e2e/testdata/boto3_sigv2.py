"""boto3 with Signature Version 2 (signature_version='s3') against a
garage-web node, run by compat_sigv2_test.go.

Usage: /usr/bin/python3 boto3_sigv2.py BUCKET
Environment: GW_ENDPOINT and the AWS_* variables. Prints "ok: ..." per
check, then one line "POST <json>" with a V2 presigned POST form for the
Go test to send, and "SIGV2 OK" at the end.
"""

import json
import sys
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
    print("ok:", msg, flush=True)


def main():
    bucket = sys.argv[1]
    cfg = Config(signature_version="s3", s3={"addressing_style": "path"}, retries={"max_attempts": 1})
    s3 = boto3.client("s3", endpoint_url=__import__("os").environ["GW_ENDPOINT"], config=cfg)

    s3.create_bucket(Bucket=bucket)
    check(bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]], "create_bucket and list_buckets (V2)")

    body = b"signed with version 2 " * 100
    s3.put_object(Bucket=bucket, Key="dir/a key+plus.txt", Body=body, ContentType="text/plain",
                  Metadata={"color": "blue"})
    got = s3.get_object(Bucket=bucket, Key="dir/a key+plus.txt")
    check(got["Body"].read() == body and got["Metadata"].get("color") == "blue"
          and got["ContentType"] == "text/plain", "put_object / get_object with metadata")

    got = s3.get_object(Bucket=bucket, Key="dir/a key+plus.txt", ResponseContentType="application/x-test")
    check(got["ContentType"] == "application/x-test", "response-content-type override is signed")

    keys = [o["Key"] for o in s3.list_objects(Bucket=bucket, Prefix="dir/")["Contents"]]
    check(keys == ["dir/a key+plus.txt"], "list_objects with a prefix")

    s3.put_object_tagging(Bucket=bucket, Key="dir/a key+plus.txt",
                          Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    tags = s3.get_object_tagging(Bucket=bucket, Key="dir/a key+plus.txt")["TagSet"]
    check(tags == [{"Key": "k", "Value": "v"}], "put_object_tagging / get_object_tagging (sub-resource signed)")

    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    part = b"p" * (5 * 1024 * 1024)
    e1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=part)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=2, Body=b"end")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    check(s3.head_object(Bucket=bucket, Key="mp")["ContentLength"] == len(part) + 3, "multipart upload (uploadId, partNumber signed)")

    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/a key+plus.txt"}, ExpiresIn=600)
    check("AWSAccessKeyId=" in url and "Signature=" in url and "Expires=" in url, "presigned URL is V2: " + url.split("?")[1][:40])
    with urllib.request.urlopen(url) as r:
        check(r.read() == body, "presigned V2 GET fetched by urllib")

    post = s3.generate_presigned_post(bucket, "posted/${filename}", Conditions=[["content-length-range", 1, 1000]], ExpiresIn=600)
    check("AWSAccessKeyId" in post["fields"] and "signature" in post["fields"], "presigned POST is V2")
    print("POST " + json.dumps(post), flush=True)

    try:
        s3.get_object(Bucket=bucket, Key="missing")
        raise AssertionError("get of a missing key succeeded")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "NoSuchKey", "NoSuchKey over V2")

    bad = boto3.client("s3", endpoint_url=__import__("os").environ["GW_ENDPOINT"], config=cfg,
                       aws_access_key_id=__import__("os").environ["AWS_ACCESS_KEY_ID"], aws_secret_access_key="wrong-secret")
    try:
        bad.list_objects(Bucket=bucket)
        raise AssertionError("a wrong secret was accepted")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "SignatureDoesNotMatch", "wrong secret: SignatureDoesNotMatch")
    print("SIGV2 OK", flush=True)


if __name__ == "__main__":
    main()
