# demo: slipway estimate: what int8, int4 and pruning do to the real weights, per model and per target
# $1 is the slipway binary. The cache lives in a temporary folder so that the demo shows a cold and a warm run.
BIN=$1
cd "$(dirname "$0")/../.."
export SLIPWAY_CACHE_DIR=$(mktemp -d)
trap 'rm -rf "$SLIPWAY_CACHE_DIR"' EXIT

echo "\$ slipway estimate examples/mobile-cnn/mobile-cnn.slipway.yaml   # each target with its own settings"
"$BIN" estimate examples/mobile-cnn/mobile-cnn.slipway.yaml
echo
echo "\$ slipway estimate examples/kws-mcu/models/ds_cnn_kws.onnx --weights int4 --granularity per-tensor --sparsity 0.5"
"$BIN" estimate examples/kws-mcu/models/ds_cnn_kws.onnx --weights int4 --granularity per-tensor --sparsity 0.5
echo
echo "\$ slipway estimate ... --json   # the same as JSON (its \"total\"); this second run comes from the cache"
"$BIN" estimate examples/kws-mcu/models/ds_cnn_kws.onnx --weights int4 --granularity per-tensor --sparsity 0.5 --json \
    | awk '/^  "total": /{on=1} on{print} on && /^  }/{exit}'
"$BIN" estimate examples/kws-mcu/models/ds_cnn_kws.onnx --weights int4 --granularity per-tensor --sparsity 0.5 --json \
    | grep '^  "cache"'
