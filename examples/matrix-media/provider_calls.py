"""Make the S3 calls of synapse-s3-storage-provider against garage-web.

synapse-s3-storage-provider (module s3_storage_provider) and its cleanup
script s3_media_upload talk to S3 with exactly these boto3 calls:

  store_file   client.upload_file(Filename, Bucket, Key, ExtraArgs=...)
  fetch        client.get_object(Bucket, Key), then Body.read() in chunks
               (a 404 / NoSuchKey error means "not in S3")
  s3_media_upload
               client.head_object(Bucket, Key) per file (int(Code) == 404
               means "upload it"), client.upload_file(...), and listing
               with the list_objects_v2 paginator

This script makes those calls on a Synapse-like media store so you can
check a garage-web node before pointing Synapse at it.

Usage:
  python3 provider_calls.py [--keep] BUCKET WORKDIR

It cleans up after itself: the objects it uploaded and the media store it
wrote under WORKDIR are deleted at the end, pass or fail (and leftovers of
an interrupted run at the start), so it passes when run again. --keep
leaves both, e.g. to look at the media through the web endpoint.

Environment: GW_ENDPOINT (S3 API URL, default http://127.0.0.1:3900),
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION (garage).
The bucket must exist and the key must be allowed to read and write it.
Prints "MEDIA <key> <sha256> <content-type>" per uploaded file, then
"MATRIX MEDIA OK"; a failed check raises and exits non-zero.
"""

import hashlib
import io
import os
import shutil
import sys

import boto3
import botocore.exceptions

MiB = 1024 * 1024
READ_CHUNK_SIZE = 16 * 1024  # what the provider's _stream_to_producer reads


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
    print("ok:", msg, flush=True)


def media_files():
    """A small media store in Synapse's layout: (relative path, bytes, type)."""
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5e0c2"
        "0c0000000049454e44ae426082")
    video = bytes((i * 7 + (i >> 13)) & 0xFF for i in range(12 * MiB + 12345))
    return [
        ("local_content/Ab/Cd/EfGhIjKlMnOpQrSt", png, "image/png"),
        ("local_thumbnails/Ab/Cd/EfGhIjKlMnOpQrSt/32-32-image-png-crop", png, "image/png"),
        ("local_content/Zz/Yy/clip-of-the-garden", video, "video/mp4"),
        ("remote_content/matrix.org/Qw/Er/TyUiOpAsDfGh", b"hello from another server\n", "text/plain"),
        ("url_cache/2024-05-01/QwErTy", b"<html>preview</html>", "text/html"),
    ]


def client():
    # As the provider builds it: a fresh session, endpoint and keys from
    # its config (here: the environment).
    session = boto3.session.Session()
    return session.client(
        "s3",
        region_name=os.environ.get("AWS_DEFAULT_REGION", "garage"),
        endpoint_url=os.environ.get("GW_ENDPOINT", "http://127.0.0.1:3900"),
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    )


def fetch(s3, bucket, key):
    """The provider's fetch: get_object, None when missing, else the bytes."""
    try:
        resp = s3.get_object(Bucket=bucket, Key=key)
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] in ("404", "NoSuchKey"):
            return None
        raise
    body, out = resp["Body"], io.BytesIO()
    while True:
        chunk = body.read(READ_CHUNK_SIZE)
        if not chunk:
            break
        out.write(chunk)
    return out.getvalue()


def check_file_in_s3(s3, bucket, key):
    """s3_media_upload's check: head_object, False on 404."""
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except botocore.exceptions.ClientError as e:
        if int(e.response["Error"]["Code"]) == 404:
            return False
        raise
    return True


def delete_media(s3, bucket, files):
    """Delete the objects this script uploads (missing ones are fine)."""
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": rel} for rel, _, _ in files], "Quiet": True})


def main():
    args = sys.argv[1:]
    keep = "--keep" in args
    args = [a for a in args if a != "--keep"]
    if len(args) != 2:
        sys.exit("usage: provider_calls.py [--keep] BUCKET WORKDIR")
    bucket, work = args
    store = os.path.join(work, "media_store")
    files = media_files()
    s3 = client()
    delete_media(s3, bucket, files)  # leftovers of an interrupted run
    try:
        run_checks(s3, bucket, store, files)
    finally:
        if not keep:
            delete_media(s3, bucket, files)
            shutil.rmtree(store, ignore_errors=True)
            print("cleaned up: deleted the uploaded media and %s" % store, flush=True)
    print("MATRIX MEDIA OK", flush=True)


def run_checks(s3, bucket, store, files):
    for rel, data, _ in files:
        path = os.path.join(store, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)

    # s3_media_upload: upload what S3 does not have yet.
    for rel, data, ctype in files:
        check(not check_file_in_s3(s3, bucket, rel), "head_object says %s is not uploaded yet" % rel)
        # store_file: upload_file with the provider's ExtraArgs (multipart
        # above 8 MiB, as boto3's transfer manager does).
        s3.upload_file(
            Filename=os.path.join(store, rel), Bucket=bucket, Key=rel,
            ExtraArgs={"StorageClass": "STANDARD", "ContentType": ctype},
        )
        check(check_file_in_s3(s3, bucket, rel), "head_object finds %s after upload_file" % rel)

    for rel, data, ctype in files:
        got = fetch(s3, bucket, rel)
        check(got == data, "get_object streams %s back intact (%d bytes)" % (rel, len(data)))
        head = s3.head_object(Bucket=bucket, Key=rel)
        check(head["ContentLength"] == len(data) and head["ContentType"] == ctype,
              "head_object of %s: length %d, type %s" % (rel, head["ContentLength"], head["ContentType"]))
        buf = io.BytesIO()
        s3.download_fileobj(bucket, rel, buf)
        check(buf.getvalue() == data, "download_fileobj of %s" % rel)
        print("MEDIA %s %s %s" % (rel, hashlib.sha256(data).hexdigest(), ctype), flush=True)

    check(fetch(s3, bucket, "local_content/No/Ne/missing") is None, "get_object of a missing file means 'not in S3'")

    # Listing, page by page, as the clean-up tooling walks the bucket.
    pages, keys = 0, []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}):
        pages += 1
        keys += [o["Key"] for o in page.get("Contents", [])]
    check(sorted(keys) == sorted(rel for rel, _, _ in files), "list_objects_v2 lists every file")
    check(pages == 3, "list_objects_v2 paged %d files in %d pages of 2" % (len(keys), pages))
    local = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="local_content/"):
        local += [o["Key"] for o in page.get("Contents", [])]
    check(sorted(local) == sorted(rel for rel, _, _ in files if rel.startswith("local_content/")), "list_objects_v2 with a prefix")


if __name__ == "__main__":
    main()
