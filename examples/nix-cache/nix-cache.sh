#!/usr/bin/env bash
# nix-cache.sh: run a Nix binary cache on garage-web.
#
#   nix-cache.sh setup           bucket, upload key, website access with uploads
#   nix-cache.sh keygen NAME     make the cache's signing key pair
#   nix-cache.sh push PATH...    sign and upload with `nix copy --to http://…` (HTTP PUT)
#   nix-cache.sh push-s3 PATH... sign, `nix copy --to file://…`, then `aws s3 sync`
#   nix-cache.sh client-config   print the nix.conf / NixOS settings for clients
#
# Settings (environment):
#   GARAGE_WEB          garage-web binary     (garage-web on PATH, else this checkout's bin/garage-web)
#   GARAGE_CONFIG       node configuration, for the CLI (its search path: ./garage-web.toml,
#                       /etc/garage-web.toml; else a `make run` node of this checkout)
#   BUCKET              bucket name                         (nix-cache)
#   S3_ENDPOINT         S3 API URL                          (http://127.0.0.1:3900)
#   S3_REGION           S3 region                           (garage)
#   CACHE_URL           the cache's web URL                 (http://$BUCKET.web.localhost:3902)
#   STATE_DIR           where keys and credentials go       (~/.local/state/garage-web-nix-cache/$BUCKET)
#   PUBLISH_STORE       store to publish from (nix --store) (the default store)
#
# Files in STATE_DIR (mode 0700, never the working directory): uploader.env
# (S3 credentials), netrc (the same credentials for nix), signing.sec and
# signing.pub.
set -euo pipefail

# This checkout, for a node started there with `make run`.
CHECKOUT=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${GARAGE_WEB:-}" ]; then
  if command -v garage-web >/dev/null 2>&1; then GARAGE_WEB=garage-web
  elif [ -x "$CHECKOUT/bin/garage-web" ]; then GARAGE_WEB=$CHECKOUT/bin/garage-web
  else GARAGE_WEB=garage-web; fi
fi
BUCKET=${BUCKET:-nix-cache}
S3_ENDPOINT=${S3_ENDPOINT:-http://127.0.0.1:3900}
S3_REGION=${S3_REGION:-garage}
CACHE_URL=${CACHE_URL:-http://$BUCKET.web.localhost:3902}
STATE_DIR=${STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/garage-web-nix-cache/$BUCKET}
export NIX_CONFIG="${NIX_CONFIG:-}
experimental-features = nix-command"

die() { echo "nix-cache.sh: $*" >&2; exit 1; }

# gw runs the garage-web CLI. It finds the node as the CLI does (-c,
# $GARAGE_CONFIG, ./garage-web.toml, /etc/garage-web.toml); failing those,
# a node started with `make run` in this checkout (built-in configuration,
# token in data/meta) is reached from the checkout's directory.
gw() {
  if [ -z "${GARAGE_CONFIG:-}${GARAGE_CONFIG_FILE:-}" ] && [ ! -f garage-web.toml ] &&
     [ ! -f /etc/garage-web.toml ] && [ -f "$CHECKOUT/data/meta/admin_token" ]; then
    (cd "$CHECKOUT" && "$GARAGE_WEB" "$@")
  else
    "$GARAGE_WEB" "$@"
  fi
}

# private_dir makes STATE_DIR, readable by its owner only.
private_dir() { (umask 077; mkdir -p "$STATE_DIR"); chmod 0700 "$STATE_DIR"; }

nix_() {
  if [ -n "${PUBLISH_STORE:-}" ]; then nix --store "$PUBLISH_STORE" "$@"; else nix "$@"; fi
}

json_field() { # json_field NAME < json: the string value of "NAME"
  tr -d '\n' | sed -n "s/.*\"$1\": *\"\\([^\"]*\\)\".*/\\1/p"
}

load_credentials() {
  [ -f "$STATE_DIR/uploader.env" ] || die "no $STATE_DIR/uploader.env: run '$0 setup' first"
  # shellcheck disable=SC1091
  . "$STATE_DIR/uploader.env"
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  export AWS_DEFAULT_REGION="$S3_REGION" AWS_EC2_METADATA_DISABLED=true
}

sign() {
  [ -f "$STATE_DIR/signing.sec" ] || die "no $STATE_DIR/signing.sec: run '$0 keygen NAME' first"
  nix_ store sign --recursive --key-file "$STATE_DIR/signing.sec" "$@"
}

cmd_setup() {
  private_dir
  gw bucket create "$BUCKET"
  local key id secret
  key=$(gw key create "$BUCKET-uploader" --json)
  id=$(json_field accessKeyId <<<"$key")
  secret=$(json_field secretAccessKey <<<"$key")
  [ -n "$id" ] && [ -n "$secret" ] || die "could not read the new key from: $key"
  gw bucket allow --read --write --owner "$BUCKET" --key "$id"
  (umask 077
    printf 'AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n' "$id" "$secret" >"$STATE_DIR/uploader.env"
    host=${CACHE_URL#*://}; host=${host%%/*}; host=${host%%:*}
    printf 'machine %s login %s password %s\n' "$host" "$id" "$secret" >"$STATE_DIR/netrc")

  # Website access with HTTP PUT uploads (for `nix copy --to http://…`).
  # A read-only cache leaves out --uploads.
  gw bucket website --allow "$BUCKET" --uploads
  echo "Cache bucket '$BUCKET' is ready; uploads go to $CACHE_URL with $STATE_DIR/netrc."
}

cmd_keygen() {
  [ $# -eq 1 ] || die "usage: $0 keygen NAME (for example nix-cache.example.org-1)"
  private_dir
  (umask 077; nix key generate-secret --key-name "$1" >"$STATE_DIR/signing.sec")
  nix key convert-secret-to-public <"$STATE_DIR/signing.sec" >"$STATE_DIR/signing.pub"
  cat "$STATE_DIR/signing.pub"; echo
}

cmd_push() {
  [ $# -ge 1 ] || die "usage: $0 push STORE-PATH..."
  [ -f "$STATE_DIR/netrc" ] || die "no $STATE_DIR/netrc: run '$0 setup' first"
  sign "$@"
  nix_ copy --to "$CACHE_URL" --netrc-file "$STATE_DIR/netrc" "$@"
}

cmd_push_s3() {
  [ $# -ge 1 ] || die "usage: $0 push-s3 STORE-PATH..."
  load_credentials
  sign "$@"
  local dir
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' RETURN
  nix_ copy --to "file://$dir" "$@"
  aws --endpoint-url "$S3_ENDPOINT" s3 sync "$dir" "s3://$BUCKET" --no-progress
}

cmd_client_config() {
  local pub
  pub=$(cat "$STATE_DIR/signing.pub" 2>/dev/null || echo "NAME:PUBLIC-KEY")
  cat <<CONF
# nix.conf
extra-substituters = $CACHE_URL
extra-trusted-public-keys = $pub

# NixOS
nix.settings.substituters = [ "$CACHE_URL" ];
nix.settings.trusted-public-keys = [ "$pub" ];
CONF
}

case "${1:-}" in
  setup) shift; cmd_setup "$@" ;;
  keygen) shift; cmd_keygen "$@" ;;
  push) shift; cmd_push "$@" ;;
  push-s3) shift; cmd_push_s3 "$@" ;;
  client-config) shift; cmd_client_config "$@" ;;
  *) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
