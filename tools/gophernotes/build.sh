#!/usr/bin/env bash
# Build a gophernotes kernel that can import this library (make gophernotes).
#
# gophernotes v0.7.5, its latest release, does not start on Go >= 1.22 with the gomacro it
# pins ("panic: *types.Alias: any"; with GODEBUG=gotypesalias=0, "Converter.Type():
# unsupported types.Type: *types.TypeParam" while importing the standard library, which
# has generic functions). Its development branch requires gomacro
# v0.0.0-20260901205243-0df6c0cd20af, which skips generic declarations; that branch is not
# on the module proxy, so v0.7.5's kernel is built here against that gomacro (go.mod,
# go.sum beside this script), with two patches:
#   gophernotes-jsoner.patch  v0.7.5's generated proxy for display.JSONer has JSON() string
#                             where the interface says map[string]interface{}; the newer
#                             gomacro checks proxies and refuses to start.
#   gomacro-gomod-env.patch   GOMACRO_GOMOD: extra lines for the go.mod of every plugin
#                             gomacro builds for an import, here the replace line of the
#                             patched gotch; without it the plugin builds stock gotch.
#
# Output (stdout): the directory holding bin/gophernotes, in $CACHE_DIR (outside the clone).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zeroshot-clip}
key=$(cat "$here"/go.mod "$here"/go.sum "$here"/*.patch "$here"/build.sh | sha256sum | cut -c1-12)
dest=$cache/gophernotes-$key
log() { echo "gophernotes: $*" >&2; }
export GOFLAGS= GONOSUMDB=${GONOSUMDB:+$GONOSUMDB,}github.com/cosmos72/gomacro GOWORK=off

if [ ! -f "$dest/.complete" ]; then
  log "building into $dest"
  tmp=$dest.tmp.$$
  rm -rf "$tmp"; mkdir -p "$tmp/build" "$tmp/bin"
  moddir() { (cd "$here" && go mod download -json "$1") | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p'; }
  gn=$(moddir github.com/gopherdata/gophernotes@v0.7.5)
  gm=$(moddir github.com/cosmos72/gomacro@v0.0.0-20260901205243-0df6c0cd20af)
  [ -d "$gn" ] && [ -d "$gm" ] || { log "error: cannot download gophernotes or gomacro"; exit 1; }
  cp -r "$gm" "$tmp/gomacro"
  chmod -R u+w "$tmp/gomacro"
  patch -s -p1 -d "$tmp/gomacro" < "$here/gomacro-gomod-env.patch"
  for f in "$gn"/*.go; do
    case $f in *_test.go) ;; *) cp "$f" "$tmp/build/" ;; esac
  done
  cp -r "$gn/kernel" "$tmp/kernel"
  chmod -R u+w "$tmp/build" "$tmp/kernel"
  patch -s -p1 -d "$tmp/build" < "$here/gophernotes-jsoner.patch"
  cp "$here/go.mod" "$here/go.sum" "$tmp/build/"
  (cd "$tmp/build" && go mod edit -module=gophernotes -replace=github.com/cosmos72/gomacro=../gomacro &&
    go build -o "$tmp/bin/gophernotes" .)
  rm -rf "$dest"; mv "$tmp" "$dest"
  touch "$dest/.complete"
fi
echo "$dest"
