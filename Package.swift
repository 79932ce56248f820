// swift-tools-version:6.0
// Slipway: deployment manifests for ML models, checked by one engine behind a CLI and a language server.
// Layers, bottom up (see ARCHITECTURE.md): JSON, Diagnostics → YAMLSyntax → Manifest → ModelFormats →
// Compression → Planning → Conversion, Targets → Estimation → Checking → Reporting → the `slipway` executable. Only the server layer knows JSON-RPC.
import PackageDescription

let package = Package(
    name: "Slipway",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "slipway", targets: ["slipway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // System libyaml (apt: libyaml-dev). Named CLibYAML, not CYaml, so it never clashes with Yams.
        .systemLibrary(
            name: "CLibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        // System libhdf5 (apt: libhdf5-dev, the serial build), for Keras HDF5 models and Keras 3's model.weights.h5:
        // its headers at build time, the library loaded (dlopen) on the first Keras model, never linked, so that
        // no other command pays for loading it and the ~35 libraries it links.
        .target(name: "CLibHDF5", linkerSettings: [.linkedLibrary("dl")]),
        // Integer conversions that cannot trap (saturating), for values that come from files and messages.
        .target(name: "CheckedMath"),
        // Supervised worker processes for work on untrusted model files (crash isolation for serve and check).
        .target(name: "Isolation", dependencies: ["JSON", "CheckedMath"]),
        .target(name: "JSON", linkerSettings: [.linkedLibrary("m")]),
        .target(name: "Diagnostics", dependencies: ["JSON"]),
        .target(name: "YAMLSyntax", dependencies: ["CLibYAML", "Diagnostics"]),
        .target(name: "Manifest", dependencies: ["YAMLSyntax", "Diagnostics", "JSON"]),
        .target(name: "ModelFormats", dependencies: ["JSON", "ProtobufWire", "FlatBuffers", "CheckedMath", "CLibHDF5"]),
        // In-place readers of the two binary encodings under ONNX and TFLite (no generated code, no copies).
        .target(name: "ProtobufWire"),
        .target(name: "FlatBuffers"),
        .target(name: "Compression", dependencies: ["ModelFormats", "CheckedMath"]),
        // Conversion: artifacts written from the manifest's settings (ONNX → ONNX natively), atomically, never
        // over the source, each with a JSON report beside it.
        // SHA-256 for artifact reports and cache keys (no crypto package needed for a checksum).
        .target(name: "Hashing", dependencies: ["CSHA256"]),
        // SHA-256 block compression with the x86 SHA extensions (the portable Swift code is the fallback).
        .target(name: "CSHA256"),
        // The plan of a target (settings, conversion path, verdicts), decided once for check, estimate and convert.
        // Pure: no I/O, no child processes; the conversion paths are data (Schemas/conversion/paths.json).
        .target(name: "Planning", dependencies: ["Compression", "Manifest", "Diagnostics", "JSON"]),
        // What a conversion writes around the engine's codes (ONNX nodes and names, TFLite tables), pure: the
        // converter writes it, the estimate sizes it, from the same code.
        .target(name: "ArtifactLayout", dependencies: ["Compression", "ModelFormats", "ProtobufWire"]),
        .target(name: "Conversion", dependencies: ["ArtifactLayout", "Planning", "Compression", "ModelFormats", "ProtobufWire", "FlatBuffers", "Manifest", "JSON", "Hashing", "Isolation"]),
        // Target compatibility: the cited catalogue (Schemas/targets, embedded), checks and estimates.
        .target(name: "Targets", dependencies: ["Planning", "Manifest", "ModelFormats", "Diagnostics", "JSON", "CheckedMath"]),
        // "What will these settings do to this model": the Compression engine on a model's real weights,
        // with the results cache, the findings as diagnostics and the per-target estimate table.
        .target(
            name: "Estimation",
            dependencies: ["ModelFormats", "Compression", "ArtifactLayout", "Planning", "Manifest", "Targets", "JSON", "Diagnostics", "Hashing",
                           "CheckedMath"]),
        .target(
            name: "Checking",
            dependencies: ["Manifest", "YAMLSyntax", "Diagnostics", "ModelFormats", "Targets", "Estimation", "Isolation", "JSON",
                           "Conversion", "Planning", "Evaluation", "Hashing"]),
        .target(name: "Reporting", dependencies: ["Checking", "Diagnostics", "JSON"]),
        // `slipway test`: the original and each artifact run on the manifest's samples in their real runtimes
        // (child processes), the outputs compared and `test.tolerance` judged.
        .target(name: "Evaluation", dependencies: ["Conversion", "Compression", "Targets", "Manifest", "Diagnostics", "JSON", "ModelFormats", "Isolation", "CheckedMath", "Hashing", "Monitoring"]),
        // The only module that knows JSON-RPC and LSP.
        .target(
            name: "LanguageServer",
            dependencies: [
                "Checking", "Manifest", "YAMLSyntax", "Diagnostics", "JSON", "ModelFormats", "Targets", "Conversion",
                "Estimation", "CheckedMath", "Isolation", "Monitoring", "Evaluation", "Planning",
            ]),
        // Publishing tested artifacts: plain, Triton and OCI layouts with in-toto provenance (docs/deploy.md).
        .target(name: "Deployment", dependencies: ["Manifest", "ModelFormats", "Conversion", "Diagnostics", "JSON", "Hashing"]),
        // Production thresholds: Prometheus alerting rules and checks against Prometheus, scrapes and logs.
        .target(name: "Monitoring", dependencies: ["Manifest", "Diagnostics", "JSON"]),
        .executableTarget(
            name: "slipway",
            dependencies: [
                "Checking", "Reporting", "Manifest", "ModelFormats", "Compression", "Conversion", "Planning", "Targets",
                "Estimation", "JSON", "Isolation", "Deployment", "Monitoring", "Evaluation", "Diagnostics",
                "LanguageServer", "Hashing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // In-process benchmarks; `make bench` runs it in release mode.
        .executableTarget(name: "slipway-bench", dependencies: ["Checking", "Manifest", "YAMLSyntax"]),
        // Compression engine throughput on a mapped float32 tensor set; bench/bench_compression.py drives it.
        .executableTarget(name: "compression-bench", dependencies: ["Compression", "JSON"]),

        // Fixture helpers shared by the test targets (inline position and range markers).
        .target(name: "TestSupport", dependencies: ["Diagnostics", "Checking"], path: "Tests/TestSupport"),
        // Coverage-guided fuzzing (scripts/fuzz.sh, docs/fuzzing.md): each target's entry as a pure function of
        // the input's bytes, and the structure-aware ONNX/TFLite mutators. FuzzRegressionTests replays every
        // committed input through the same functions.
        .target(
            name: "FuzzEntries",
            dependencies: [
                "Checking", "Manifest", "Diagnostics", "JSON", "ModelFormats", "Targets", "Estimation", "Compression",
                "Conversion", "LanguageServer", "TestSupport", "Monitoring",
            ]),
        // Thin libFuzzer shells (built only by scripts/fuzz.sh with -D SLIPWAY_LIBFUZZER); in a normal build
        // each one replays the files it is given.
        .executableTarget(name: "fuzz-manifest", dependencies: ["FuzzEntries"]),
        .executableTarget(name: "fuzz-framing", dependencies: ["FuzzEntries"]),
        .executableTarget(name: "fuzz-onnx", dependencies: ["FuzzEntries"]),
        .executableTarget(name: "fuzz-tflite", dependencies: ["FuzzEntries"]),
        .executableTarget(name: "fuzz-safetensors", dependencies: ["FuzzEntries"]),
        .executableTarget(name: "fuzz-gguf", dependencies: ["FuzzEntries"]),
        .executableTarget(name: "fuzz-keras", dependencies: ["FuzzEntries"]),
        .executableTarget(name: "fuzz-pytorch", dependencies: ["FuzzEntries"]),
        .executableTarget(name: "fuzz-torchscript", dependencies: ["FuzzEntries"]),
        .executableTarget(name: "fuzz-convert", dependencies: ["FuzzEntries"]),
        .executableTarget(name: "fuzz-monitor", dependencies: ["FuzzEntries"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzEntries", "Conversion", "ProtobufWire", "FlatBuffers", "ModelFormats"]),
        // Source-text rules (no trapping conversions on the input paths).
        .testTarget(name: "SourceRulesTests"),
        .testTarget(name: "MonitoringTests", dependencies: ["Monitoring", "Manifest"]),
        .testTarget(name: "DeploymentTests", dependencies: ["Deployment", "Manifest", "ModelFormats"]),
        .testTarget(name: "IsolationTests", dependencies: ["Isolation", "Checking", "Diagnostics", "JSON", "ModelFormats"]),
        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics", "JSON", "TestSupport"]),
        .testTarget(name: "YAMLSyntaxTests", dependencies: ["YAMLSyntax", "Diagnostics", "TestSupport"]),
        .testTarget(
            name: "ManifestTests", dependencies: ["Manifest", "YAMLSyntax", "Diagnostics", "JSON", "TestSupport"]),
        .testTarget(name: "ModelFormatsTests", dependencies: ["ModelFormats", "JSON", "Hashing"]),
        .testTarget(name: "ProtobufWireTests", dependencies: ["ProtobufWire"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Conversion", "Compression", "Manifest", "Diagnostics", "JSON", "TestSupport"]),
        .testTarget(name: "FlatBuffersTests", dependencies: ["FlatBuffers"]),
        .testTarget(name: "PlanningTests", dependencies: ["Planning", "Manifest", "Compression", "JSON", "TestSupport"]),
        .testTarget(name: "CompressionTests", dependencies: ["Compression", "ModelFormats"]),
        .testTarget(
            name: "ConversionTests",
            dependencies: ["Conversion", "Compression", "ModelFormats", "ProtobufWire", "Manifest", "JSON", "Hashing"]),
        .testTarget(
            name: "LanguageServerTests",
            dependencies: ["LanguageServer", "Diagnostics", "JSON", "TestSupport"]),
        .testTarget(
            name: "TargetsTests",
            dependencies: ["Targets", "Manifest", "ModelFormats", "Diagnostics", "JSON", "TestSupport"]),
        .testTarget(
            name: "EstimationTests",
            dependencies: ["Estimation", "Compression", "ModelFormats", "Manifest", "Targets", "Diagnostics", "JSON",
                           "Hashing", "TestSupport"]),
        .testTarget(
            name: "CheckingTests",
            dependencies: ["Checking", "Conversion", "Reporting", "Manifest", "Diagnostics", "JSON", "TestSupport"]
        ),
    ]
)
