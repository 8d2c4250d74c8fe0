#!/usr/bin/env bash
# Publishes the .NET runtime (Release, framework-dependent) into runtimes/dotnet/publish, with the bootstrap:
# that folder is what Lamina mounts read-only at /var/runtime for dotnet* functions.
# Does nothing when the output is newer than every source it depends on; --force rebuilds anyway.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$DIR/../.." && pwd)"
OUT="$DIR/publish"
STAMP="$OUT/.build-stamp"
SOURCES=("$DIR/Lamina.Runtime.Dotnet" "$DIR/Shared" "$DIR/bootstrap" "$DIR/build.sh"
         "$ROOT/Directory.Build.props" "$ROOT/Directory.Packages.props" "$ROOT/global.json" "$ROOT/.editorconfig")

up_to_date() {
  [ -f "$STAMP" ] && [ -z "$(find "${SOURCES[@]}" -newer "$STAMP" -print -quit 2>/dev/null)" ]
}

if [ "${1:-}" != "--force" ] && up_to_date; then
  exit 0
fi

# One build at a time (./lamina and the test suite may both ask); the second finds the work done.
mkdir -p "$ROOT/artifacts"
exec 9>"$ROOT/artifacts/.dotnet-runtime-build.lock"
flock 9
if [ "${1:-}" != "--force" ] && up_to_date; then
  exit 0
fi

staging="$OUT.staging"
rm -rf "$staging"
if ! out="$(dotnet publish "$DIR/Lamina.Runtime.Dotnet/Lamina.Runtime.Dotnet.csproj" -c Release -o "$staging" -nologo -v quiet -tl:off 2>&1)"; then
  echo "$out" >&2
  echo "runtimes/dotnet/build.sh: publish failed" >&2
  exit 1
fi
install -m 0755 "$DIR/bootstrap" "$staging/bootstrap"
chmod -R a+rX "$staging"
touch "$staging/.build-stamp"
# Sandboxes already running keep the directory they mounted; new ones get the new build.
rm -rf "$OUT"
mv "$staging" "$OUT"
