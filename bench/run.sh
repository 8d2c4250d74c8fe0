#!/usr/bin/env bash
# Builds Lamina and the benchmarks (Release) and runs one benchmark end to end.
#   bench/run.sh control-plane [options]   GetFunction/ListFunctions, Lamina beside moto_server;
#                                          updates docs/benchmarks.md (options: --help)
#   bench/run.sh data-plane [options]      warm invoke, cold start, environment burst and memory, neighbours;
#                                          Lamina beside floors; needs root; updates docs/benchmarks.md
#   bench/run.sh async [options]           Event invocations accepted/s against SQLite's raw commit rate on the
#                                          same disk, and enqueue-to-start latency; updates docs/benchmarks.md
#                                          (options: --help; needs root, iproute2 and /usr/bin/python3)
#   bench/run.sh durable [options]         durable functions: Lamina beside a raw SQLite commit and the SDK's
#                                          local runner; updates docs/benchmarks.md (options: --help)
# CPU pinning: the servers run on the last CPU, the client on the others (with one CPU, nothing is pinned).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BENCH="${1:-}"
case "$BENCH" in
  control-plane|async|data-plane) shift ;;
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
  *) echo "usage: bench/run.sh control-plane|async|data-plane|durable [options]" >&2; exit 2 ;;
esac

command -v dotnet >/dev/null || { echo "bench: the .NET 10 SDK is required" >&2; exit 1; }
if [ "$BENCH" = control-plane ]; then
  command -v moto_server >/dev/null || { echo "bench: moto_server is required (pip install 'moto[server]')" >&2; exit 1; }
  python3 -c 'import boto3' 2>/dev/null || { echo "bench: boto3 is required (pip install boto3)" >&2; exit 1; }
fi
if [ "$BENCH" = data-plane ]; then
  [ "$(id -u)" = 0 ] || { echo "bench: data-plane starts Lamina's sandboxes, which need root" >&2; exit 1; }
  # Lamina's managed Node.js runtime bundles @aws-sdk/client-lambda (as ./lamina installs it).
  if [ ! -d runtimes/nodejs/node_modules ] && command -v npm >/dev/null; then
    (cd runtimes/nodejs && npm ci --omit=dev --no-audit --no-fund --loglevel=error >&2)
  fi
fi
if [ "$BENCH" = async ]; then
  # Lamina runs functions only as root; the sink needs a network namespace; the function's bootstrap is /usr/bin/python3.
  [ "$(id -u)" -eq 0 ] || { echo "bench: async needs root (sandboxes and the sink's network namespace)" >&2; exit 1; }
  PATH="$PATH:/usr/sbin:/sbin" command -v ip >/dev/null || { echo "bench: async needs iproute2 (ip)" >&2; exit 1; }
  [ -x /usr/bin/python3 ] || { echo "bench: async needs /usr/bin/python3 (the function's runtime)" >&2; exit 1; }
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
