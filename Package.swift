// swift-tools-version:6.0
// Slipway: deployment manifests for ML models, checked by one engine behind a CLI and a language server.
// Layers, bottom up (see ARCHITECTURE.md): JSON, Diagnostics → YAMLSyntax → Manifest → ModelFormats →
// Compression → Checking → Reporting → the `slipway` executable. Only the server layer knows JSON-RPC.
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
        .target(name: "JSON", linkerSettings: [.linkedLibrary("m")]),
        .target(name: "Diagnostics", dependencies: ["JSON"]),
        .target(name: "YAMLSyntax", dependencies: ["CLibYAML", "Diagnostics"]),
        .target(name: "Manifest", dependencies: ["YAMLSyntax", "Diagnostics", "JSON"]),
        .target(name: "ModelFormats", dependencies: ["JSON"]),
        .target(name: "Compression", dependencies: ["ModelFormats"]),
        .target(name: "Checking", dependencies: ["Manifest", "YAMLSyntax", "Diagnostics"]),
        .target(name: "Reporting", dependencies: ["Diagnostics", "JSON"]),
        .executableTarget(
            name: "slipway",
            dependencies: [
                "Checking", "Reporting", "Manifest", "ModelFormats", "Compression", "JSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // In-process benchmarks; `make bench` runs it in release mode.
        .executableTarget(name: "slipway-bench", dependencies: ["Checking", "Manifest", "YAMLSyntax"]),
        // Compression engine throughput on a mapped float32 tensor set; bench/bench_compression.py drives it.
        .executableTarget(name: "compression-bench", dependencies: ["Compression", "JSON"]),

        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics"]),
        .testTarget(name: "YAMLSyntaxTests", dependencies: ["YAMLSyntax", "Diagnostics"]),
        .testTarget(name: "ManifestTests", dependencies: ["Manifest", "YAMLSyntax", "Diagnostics", "JSON"]),
        .testTarget(name: "ModelFormatsTests", dependencies: ["ModelFormats", "JSON"]),
        .testTarget(name: "CompressionTests", dependencies: ["Compression", "ModelFormats"]),
        .testTarget(
            name: "CheckingTests",
            dependencies: ["Checking", "Reporting", "Manifest", "Diagnostics", "JSON"]
        ),
    ]
)
