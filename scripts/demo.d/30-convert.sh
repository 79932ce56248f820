# demo: slipway convert: the transformer-server example's server-vnni target to int8 QDQ, and its report
# Converts in a temporary copy of the example (the repository stays clean), twice: the second run is up to date.
set -uo pipefail
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -R examples/transformer-server "$tmp/"
cd "$tmp/transformer-server"
"$BIN" convert encoder.slipway.yaml --target server-vnni
"$BIN" convert encoder.slipway.yaml --target server-vnni
report=dist/server-vnni/text-encoder-2.0.1.onnx.report.json
echo "--- $report (first 40 lines)"
head -40 "$report"
