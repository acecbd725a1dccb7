"""boto3 checks against a garage-web node, run by boto3_test.go.

Usage: /usr/bin/python3 boto3_check.py BUCKET WORKDIR
Environment: GW_ENDPOINT (http://127.0.0.1:PORT) and the AWS_* variables
for credentials and region. Prints one "ok: ..." line per check and
"BOTO3 OK" at the end; any failed check raises and exits non-zero.
"""

import hashlib
import os
import sys
import urllib.error
import urllib.request

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

MiB = 1024 * 1024


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MiB), b""):
            h.update(chunk)
    return h.hexdigest()


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
    print("ok:", msg, flush=True)


def main():
    bucket, work = sys.argv[1], sys.argv[2]
    s3 = boto3.client(
        "s3",
        endpoint_url=os.environ["GW_ENDPOINT"],
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=10,
            read_timeout=120,
        ),
    )
    s3.create_bucket(Bucket=bucket)
    print("ok: create_bucket", flush=True)

    # 40 MiB of deterministic pseudo-random bytes (no two MiB alike).
    src = os.path.join(work, "big.bin")
    with open(src, "wb") as f:
        seed = hashlib.sha256(b"garage-web boto3").digest()
        for i in range(40):
            block = hashlib.shake_256(seed + i.to_bytes(4, "big")).digest(MiB)
            f.write(block)
    want = sha256_file(src)

    tc = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=4)
    s3.upload_file(
        src, bucket, "dir/big.bin", Config=tc,
        ExtraArgs={"ContentType": "application/x-test", "Metadata": {"color": "blue", "run": "e2e"}},
    )
    head = s3.head_object(Bucket=bucket, Key="dir/big.bin")
    check(head["ContentLength"] == 40 * MiB, "multipart ContentLength is 40 MiB (got %r)" % head["ContentLength"])
    check(head["ETag"].endswith('-5"'), "multipart ETag has 5 parts (got %r)" % head["ETag"])
    check(head["ContentType"] == "application/x-test", "multipart ContentType kept (got %r)" % head["ContentType"])
    check(head["Metadata"] == {"color": "blue", "run": "e2e"}, "multipart user metadata kept (got %r)" % head["Metadata"])

    dst = os.path.join(work, "big.down")
    s3.download_file(bucket, "dir/big.bin", dst, Config=tc)
    check(sha256_file(dst) == want, "download_file sha256 matches upload")

    body = b"small object body\n"
    s3.put_object(Bucket=bucket, Key="small.txt", Body=body, ContentType="text/plain; charset=utf-8",
                  Metadata={"Owner-Name": "Zoe"})
    head = s3.head_object(Bucket=bucket, Key="small.txt")
    check(head["ContentType"] == "text/plain; charset=utf-8", "put_object ContentType kept (got %r)" % head["ContentType"])
    check(head["Metadata"] == {"owner-name": "Zoe"}, "put_object metadata kept, lower-cased name (got %r)" % head["Metadata"])
    check(head["ContentLength"] == len(body), "put_object ContentLength")
    check(head["ETag"] == '"%s"' % hashlib.md5(body).hexdigest(), "single-part ETag is the MD5 (got %r)" % head["ETag"])

    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "small.txt"}, ExpiresIn=300)
    check("X-Amz-Signature=" in url, "presigned URL is SigV4")
    with urllib.request.urlopen(url, timeout=30) as resp:
        check(resp.status == 200, "presigned GET status 200")
        check(resp.read() == body, "presigned GET returns the exact bytes")

    bad = url.replace("small.txt", "dir/big.bin")
    try:
        urllib.request.urlopen(bad, timeout=30)
        raise AssertionError("presigned URL reused for another key was accepted")
    except urllib.error.HTTPError as e:
        check(e.code == 403, "presigned URL for another key rejected with 403 (got %d)" % e.code)

    try:
        s3.get_object(Bucket=bucket, Key="no/such/key")
        raise AssertionError("get_object of a missing key succeeded")
    except ClientError as e:
        code = e.response["Error"]["Code"]
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        check(code == "NoSuchKey", "missing key gives NoSuchKey (got %r)" % code)
        check(status == 404, "missing key gives HTTP 404 (got %r)" % status)

    try:
        s3.head_object(Bucket="no-such-bucket-e2e", Key="x")
        raise AssertionError("head_object in a missing bucket succeeded")
    except ClientError as e:
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        check(status == 404, "head_object in a missing bucket gives 404 (got %r)" % status)

    print("BOTO3 OK", flush=True)


if __name__ == "__main__":
    main()
