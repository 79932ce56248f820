import Checking
import Estimation
import JSON
import Manifest
import ModelFormats
import Targets

/// The model pipeline the four model targets share: bytes → `ModelReader.read(bytes:)` → inspection (JSON and
/// text) → `GraphAnalysis` → the Compression estimate of every target → the target checks and the estimate
/// table, all in memory. `fileName` only names the model (the readers tell the format by the bytes).
func fuzzModel(_ data: [UInt8], fileName: String) -> [String] {
    // A folder that does not exist: ONNX external data named by a fuzzed model finds nothing on disk.
    let path = "/nonexistent-slipway-fuzz/" + fileName
    guard let model = try? ModelReader.read(bytes: data, path: path) else { return [] }
    var problems: [String] = []
    if model.fileSize != data.count { problems.append("fileSize \(model.fileSize) != \(data.count) bytes read") }
    for t in model.tensors where t.storedBytes < 0 || t.elementCount < 0 {
        problems.append("tensor '\(t.name)': \(t.storedBytes) stored bytes, \(t.elementCount) elements")
    }
    _ = model.inspectionJSON().serialized()
    _ = model.textSummary()
    _ = GraphAnalysis.analyze(model: model)
    guard let manifest = ModelPipeline.manifest, let catalogue = ModelPipeline.catalogue else {
        return problems + ["the pipeline's manifest or the catalogue did not load"]
    }
    let estimation = TargetEstimation.run(manifest: manifest, model: model, cache: nil)
    _ = TargetChecks.check(manifest: manifest, model: model, catalogue: catalogue, sizeBytes: estimation.sizes)
    _ = estimation.diagnostics(manifest: manifest, text: ModelPipeline.text, modelPath: path)
    let table = EstimateTable.build(manifest: manifest, model: model, catalogue: catalogue, estimation: estimation)
    _ = EstimateTable.text(table)
    return problems
}

/// One manifest whose targets reach every estimate path: int8 per-channel for a microcontroller, float16 on a
/// GPU delegate, onnxruntime's dynamic int8, 4-bit per block, and pruning.
enum ModelPipeline {
    static let text = Array("""
        slipway: 1
        name: fuzz
        model:
          path: model.bin
        optimize:
          quantize: {weights: int8, granularity: per-channel}
        targets:
          mcu:
            runtime: tflite-micro
            device: stm32h7
            format: tflite
            optimize:
              quantize: {weights: int8, activations: int8, calibration: data/calib/}
            budget: {size_mb: 0.1, memory_mb: 0.25, latency_ms: 40}
          android:
            runtime: litert@2.16
            device: arm64-v8a
            delegate: gpu
            format: tflite
            optimize:
              quantize: {weights: float16}
          server:
            runtime: onnxruntime@1.20
            device: x86-64-avx2
            delegate: cpu
            format: onnx
            optimize:
              quantize: {weights: int4, granularity: "per-block:32", symmetric: false}
          sparse:
            runtime: onnxruntime@1.20
            device: x86-64-avx512-vnni
            format: onnx
            optimize:
              prune: {sparsity: 0.5}

        """.utf8)
    static let manifest: Manifest? = ManifestFile(bytes: text).documents.first?.manifest
    static let catalogue: Catalogue? = try? Catalogue.embedded.get()
}

/// fuzz-onnx: an ONNX model through the whole model pipeline.
@discardableResult
public func fuzzONNX(_ data: [UInt8]) -> [String] { fuzzModel(data, fileName: "model.onnx") }

/// fuzz-tflite: a TFLite flatbuffer through the whole model pipeline.
@discardableResult
public func fuzzTFLite(_ data: [UInt8]) -> [String] { fuzzModel(data, fileName: "model.tflite") }

/// fuzz-safetensors: a safetensors file through the whole model pipeline.
@discardableResult
public func fuzzSafetensors(_ data: [UInt8]) -> [String] { fuzzModel(data, fileName: "model.safetensors") }

/// fuzz-keras: a Keras model through the whole model pipeline. Both containers are told by their bytes (HDF5's
/// signature, a zip's `PK`), so one target covers libhdf5 on hostile images and the zip walk of `.keras`.
@discardableResult
public func fuzzKeras(_ data: [UInt8]) -> [String] { fuzzModel(data, fileName: "model.h5") }

/// fuzz-pytorch: a PyTorch archive through the whole model pipeline: the zip walk, the bounded pickle reader
/// (hostile opcodes, memo and mark abuse, lying lengths) and the tensors' storages.
@discardableResult
public func fuzzPyTorch(_ data: [UInt8]) -> [String] { fuzzModel(data, fileName: "model.pt") }

/// fuzz-gguf: a GGUF file through the whole model pipeline.
@discardableResult
public func fuzzGGUF(_ data: [UInt8]) -> [String] { fuzzModel(data, fileName: "model.gguf") }

/// fuzz-torchscript: one TorchScript code file through the bounded parser and the abstract evaluator of its
/// `forward` (at a 1×3×8×8 input): no trap, and a refusal names the file and a line.
public func fuzzTorchScript(_ data: [UInt8]) -> [String] {
    let r = TorchScriptSourceCheck.run(data, shape: [1, 3, 8, 8])
    if let f = r.failure, !f.hasPrefix("code/__torch__.py:") && !f.contains("exceeds") && !f.contains("nest deeper") {
        return ["a refusal that names no file and line: \(f)"]
    }
    return []
}
