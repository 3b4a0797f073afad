#!/usr/bin/env bash
# A self-signed certificate for nginx in deploy/compose.yaml (testing, or until a real one
# is in place): deploy/tls/tls.crt and tls.key, never committed.
#   deploy/tls/make-self-signed.sh [HOSTNAME]
set -euo pipefail
host="${1:-liaison.example.com}"
dir="$(cd "$(dirname "$0")" && pwd)"
umask 077
openssl req -x509 -newkey rsa:3072 -sha256 -days 365 -nodes \
  -keyout "$dir/tls.key" -out "$dir/tls.crt" \
  -subj "/CN=$host" -addext "subjectAltName=DNS:$host,DNS:localhost"
chmod 644 "$dir/tls.crt"
echo "made $dir/tls.crt and $dir/tls.key for $host"
