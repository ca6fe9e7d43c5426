#!/usr/bin/env bash
# Kustomize for the manifest tests (`make test` renders deploy/k8s/overlays/*):
# the `kustomize` on the PATH when there is one, else a build of the pinned
# release from the Go module proxy, cached in ~/.cache/regua/bin (a minute or
# two, once). Prints the binary's path.
set -euo pipefail
version=v5.7.1
cache="${XDG_CACHE_HOME:-$HOME/.cache}/regua/bin"
if command -v kustomize >/dev/null 2>&1; then command -v kustomize; exit 0; fi
if [ -x "$cache/kustomize-$version" ]; then echo "$cache/kustomize-$version"; exit 0; fi
if ! command -v go >/dev/null 2>&1; then
  echo "Régua's manifest tests need kustomize: install Go (https://go.dev/dl) or kustomize $version" >&2
  exit 1
fi
mkdir -p "$cache"
echo "building kustomize $version from the Go module proxy (once)" >&2
tmp=$(mktemp -d)
GOBIN="$tmp" GOFLAGS=-mod=mod go install "sigs.k8s.io/kustomize/kustomize/v5@$version" >&2
mv "$tmp/kustomize" "$cache/kustomize-$version"
rmdir "$tmp"
echo "$cache/kustomize-$version"
