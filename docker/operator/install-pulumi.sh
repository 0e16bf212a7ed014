#!/bin/sh
# Install the Pulumi CLI for one Linux architecture, verified against Pulumi's published SHA-256 checksums.
# Usage: install-pulumi.sh VERSION TARGETARCH DEST   (TARGETARCH as Docker names it: amd64 or arm64)
# File names as Pulumi publishes them (get.pulumi.com, also listed in pulumi/docs data/versions.json):
#   pulumi-v<version>-linux-<x64|arm64>.tar.gz and pulumi-<version>-checksums.txt ("<sha256>  <file>" lines).
# The checksums file comes from the same host, so this catches a corrupted or substituted archive (a mirror,
# a proxy, a truncated download), not a compromised release host.
set -eu
version="$1"
arch="$2"
dest="$3"
base="${PULUMI_DOWNLOAD_BASE:-https://get.pulumi.com/releases/sdk}"
case "$arch" in
  amd64) pulumi_arch=x64 ;;
  arm64) pulumi_arch=arm64 ;;
  *) echo "install-pulumi.sh: Pulumi publishes no Linux CLI for TARGETARCH=$arch (use amd64 or arm64)" >&2; exit 2 ;;
esac
archive="pulumi-v${version}-linux-${pulumi_arch}.tar.gz"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
curl -fsSL --retry 3 -o "$work/$archive" "$base/$archive"
curl -fsSL --retry 3 -o "$work/checksums.txt" "$base/pulumi-${version}-checksums.txt"
expected="$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$work/checksums.txt")"
if [ -z "$expected" ]; then
  echo "install-pulumi.sh: $archive is not listed in pulumi-${version}-checksums.txt" >&2
  exit 1
fi
actual="$(sha256sum "$work/$archive" | cut -d ' ' -f 1)"
if [ "$actual" != "$expected" ]; then
  echo "install-pulumi.sh: SHA-256 mismatch for $archive: expected $expected, got $actual" >&2
  exit 1
fi
mkdir -p "$dest"
tar -xzf "$work/$archive" -C "$dest"
