#!/bin/sh
# Builds bench/go/bin/lb-bench-go with Debian's Go in GOPATH mode from Debian's Go packages
# (no module downloads). Exits 3 with one line naming what is missing when Go or a package is
# not installed. `build.sh test` runs the driver's tests (go test) before building.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
gocode=/usr/share/gocode
apt="apt-get install golang-go golang-github-nats-io-go-nats-dev golang-google-grpc-dev golang-google-protobuf-dev"

missing() {
  echo "Go or a Go package is missing: $1; $apt"
  exit 3
}

command -v go >/dev/null 2>&1 || missing "go"
for pkg in github.com/nats-io/nats.go google.golang.org/grpc google.golang.org/protobuf/encoding/protowire github.com/nats-io/nuid; do
  [ -d "$gocode/src/$pkg" ] || missing "$gocode/src/$pkg"
done

# GOPATH mode builds packages inside a GOPATH: a temporary one holds a link to this directory.
gopath=$(mktemp -d)
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src"
ln -s "$here" "$gopath/src/lb-bench-go"
mkdir -p "$here/bin"
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
  export GOCACHE="$gopath/cache"
fi
cd "$gopath/src/lb-bench-go"
if ! out=$(GO111MODULE=off GOPATH="$gopath:$gocode" GOFLAGS= go build -o "$here/bin/lb-bench-go" lb-bench-go 2>&1); then
  # A dependency of the packages above that is not installed.
  pkg=$(printf '%s\n' "$out" | sed -n 's/.*cannot find package "\([^"]*\)".*/\1/p' | head -n 1)
  [ -n "$pkg" ] && missing "$pkg"
  printf '%s\n' "$out" >&2
  exit 1
fi
if [ "${1:-}" = test ]; then
  GO111MODULE=off GOPATH="$gopath:$gocode" GOFLAGS= go test lb-bench-go
fi
echo "built $here/bin/lb-bench-go"
