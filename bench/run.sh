#!/usr/bin/env bash
# Builds Lamina and the benchmarks (Release) and runs one benchmark end to end.
#   bench/run.sh control-plane [options]   GetFunction/ListFunctions, Lamina beside moto_server;
#                                          updates docs/benchmarks.md (options: --help)
#   bench/run.sh durable [options]         durable functions: Lamina beside a raw SQLite commit and the SDK's
#                                          local runner; updates docs/benchmarks.md (options: --help)
# CPU pinning: the servers run on the last CPU, the client on the others (with one CPU, nothing is pinned).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BENCH="${1:-}"
case "$BENCH" in
  control-plane) shift ;;
  durable)
    shift
    command -v node >/dev/null || { echo "bench: Node.js is required" >&2; exit 1; }
    # The benchmark's SDK packages, and what the managed Node.js runtime bundles (@aws-sdk/client-lambda).
    for dir in bench/durable runtimes/nodejs; do
      if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2) && touch "$dir/node_modules"
      fi
    done
    ;;
  *) echo "usage: bench/run.sh control-plane|durable [options]" >&2; exit 2 ;;
esac

command -v dotnet >/dev/null || { echo "bench: the .NET 10 SDK is required" >&2; exit 1; }
if [ "$BENCH" = control-plane ]; then
  command -v moto_server >/dev/null || { echo "bench: moto_server is required (pip install 'moto[server]')" >&2; exit 1; }
  python3 -c 'import boto3' 2>/dev/null || { echo "bench: boto3 is required (pip install boto3)" >&2; exit 1; }
fi

echo "bench: building (Release)..." >&2
for project in src/Lamina/Lamina.csproj bench/Lamina.Benchmarks/Lamina.Benchmarks.csproj; do
  if ! out="$(dotnet build "$project" -c Release -nologo -v quiet -tl:off 2>&1)"; then
    echo "$out" >&2
    echo "bench: build of $project failed" >&2
    exit 1
  fi
done

BIN="$ROOT/artifacts/bin/Lamina.Benchmarks/release/Lamina.Benchmarks"
CPUS="$(nproc --all)"
if [ "$CPUS" -ge 2 ] && command -v taskset >/dev/null; then
  SERVER_CPU=$((CPUS - 1))
  CLIENT_CPUS="0-$((CPUS - 2))"
  exec taskset -c "$CLIENT_CPUS" "$BIN" "$BENCH" --server-cpus "$SERVER_CPU" "$@"
fi
echo "bench: $CPUS CPU(s) or no taskset; running unpinned" >&2
exec "$BIN" "$BENCH" --server-cpus "" "$@"
