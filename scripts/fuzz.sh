#!/usr/bin/env bash
# Builds the libFuzzer targets (ASan + libFuzzer, scratch path .build-fuzz) and runs each for a set time.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (or FUZZ_SECONDS=600 make fuzz)
# Targets: manifest framing onnx tflite safetensors gguf keras pytorch torchscript convert monitor (default: all).
# Seeds: Tests/Fixtures/fuzz/<target>/ (committed regressions and seeds), the model fixtures of the target's
# formats, and .cache/corpus/ when scripts/fetch_corpus.py has filled it. The working corpus grows in
# .build-fuzz/corpus/<target>. A crash, timeout or out-of-memory input is copied to
# Tests/Fixtures/fuzz/<target>/crash-<sha1> (commit it: `swift test` then replays it) and the script fails.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-${FUZZ_SECONDS:-60}}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(manifest framing onnx tflite safetensors gguf keras pytorch torchscript convert monitor)
scratch=.build-fuzz
flags=(--scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DSLIPWAY_LIBFUZZER)
# Model seeds above this size make the first pass of a debug ASan build too slow to matter.
max_seed=${FUZZ_MAX_SEED_BYTES:-131072}

# Longest input libFuzzer makes (its default is the largest seed: too short for text seeds).
max_len() {
  case $1 in manifest) echo 16384 ;; framing|monitor) echo 65536 ;; *) echo 262144 ;; esac
}

extensions() {
  case $1 in
    manifest) echo "yaml" ;;
    framing) echo "" ;;
    onnx) echo "onnx" ;;
    tflite) echo "tflite" ;;
    safetensors) echo "safetensors" ;;
    gguf) echo "gguf" ;;
    keras) echo "h5 keras" ;;
    pytorch) echo "pt pth pt2" ;;
    torchscript) echo "" ;;
    convert) echo "onnx tflite safetensors" ;;
    monitor) echo "" ;;
  esac
}

start=$(date +%s)
for t in "${targets[@]}"; do
  swift build --product "fuzz-$t" "${flags[@]}" 2>&1 | grep -v "Cannot export local symbol" | tail -1
done
echo "fuzz build: $(( $(date +%s) - start )) s for ${#targets[@]} targets"

failed=0
summary=()
for t in "${targets[@]}"; do
  bin="$scratch/debug/fuzz-$t"
  corpus="$scratch/corpus/$t" seeds="$scratch/seeds/$t" artifacts="$scratch/artifacts/$t"
  rm -rf "$seeds" "$artifacts"
  mkdir -p "$corpus" "$seeds" "$artifacts"
  [ -d "Tests/Fixtures/fuzz/$t" ] && cp Tests/Fixtures/fuzz/"$t"/* "$seeds"/ 2>/dev/null || true
  for ext in $(extensions "$t"); do
    for dir in Tests/Fixtures examples .cache/corpus; do
      [ -d "$dir" ] || continue
      find "$dir" -type f -name "*.$ext" -size -"$((max_seed / 1024 + 1))"k -print0 |
        while IFS= read -r -d '' f; do cp "$f" "$seeds/$(echo "$f" | tr / _)"; done
    done
  done
  log="$scratch/fuzz-$t.log"
  echo "== fuzz-$t: $seconds s, $(ls "$seeds" | wc -l) seeds"
  # Leak checks are off: Swift's lazily made globals read as leaks to LeakSanitizer. The suppressions name
  # libhdf5's own over-reads (see the file).
  set +e
  ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1:suppressions="$PWD/scripts/fuzz-asan-suppressions.txt" "$bin" -max_total_time="$seconds" -timeout=30 -max_len="$(max_len "$t")" \
    -rss_limit_mb=4096 -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "$seeds" >"$log" 2>&1
  status=$?
  set -e
  line=$(grep -E "^#[0-9]+.*(DONE|pulse|NEW|INITED)" "$log" | tail -1 || true)
  execs=$(grep -E "stat::average_exec_per_sec" "$log" | awk '{print $2}' || true)
  summary+=("fuzz-$t: ${execs:-?} exec/s; ${line:-no progress line}")
  for a in "$artifacts"/*; do
    [ -e "$a" ] || continue
    sha=$(sha1sum "$a" | cut -c1-16)
    mkdir -p "Tests/Fixtures/fuzz/$t"
    cp "$a" "Tests/Fixtures/fuzz/$t/crash-$sha"
    echo "fuzz-$t: $(basename "$a") saved as Tests/Fixtures/fuzz/$t/crash-$sha (see $log)"
    # A slow input (libFuzzer's timeout-/slow-unit-) is reported and kept; it fails the run unless
    # FUZZ_FAIL_ON_TIMEOUT=0 (make test: a 25 s CI run on a shared machine must not fail on a slow path alone).
    case "$(basename "$a")" in
      timeout-*|slow-unit-*) [ "${FUZZ_FAIL_ON_TIMEOUT:-1}" = 0 ] || failed=1 ;;
      *) failed=1 ;;
    esac
  done
  if [ $status -ne 0 ] && [ -z "$(ls -A "$artifacts")" ]; then
    echo "fuzz-$t exited with $status without an artifact; see $log"
    failed=1
  fi
done
printf '%s\n' "${summary[@]}"
exit $failed
