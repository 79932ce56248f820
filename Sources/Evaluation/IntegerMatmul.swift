import Manifest
import Targets

/// How an ONNX artifact's uint8 × int8 integer matmuls were computed in `slipway test`, so that the figures are
/// the target's and not the test host's.
///
/// onnxruntime's default U8S8 kernel on x86-64 without VNNI (VPMADDUBSW) adds paired products in int16 and
/// saturates; with VNNI, on arm64, and with `session.x64quantprecision` (U8U8 kernels) the sums are exact
/// (onnxruntime's session option header, kOrtSessionOptionsAvx2PrecisionMode). The test host is rarely the
/// target, so the runner is asked for the target's arithmetic: exact, unless the target's device is itself an
/// x86-64 without VNNI (check's rule `ort.reduce-range` warns of that case before any test).
public enum IntegerMatmul: String, Sendable, Equatable {
    /// Exact sums, as on the target (a VNNI or arm64 device, or none named).
    case exact
    /// Saturating, as on the target's x86-64 without VNNI: this host saturates alike.
    case saturating
    /// The target's x86-64 without VNNI would saturate, but this host has VNNI: the figures may be better than the target's.
    case exactOnHostOnly = "exact-host-only"
    /// The target sums exactly, but onnxruntime could not load the model with its exact kernels here (its U8U8
    /// rewrite failed) and this host saturates: the figures may be worse than the target's.
    case saturatingOnHostOnly = "saturating-host-only"

    /// Whether the target's device runs the saturating kernel (x86-64 with AVX2 and without VNNI).
    static func targetSaturates(_ target: TargetSpec, catalogue: Catalogue?) -> Bool {
        guard let name = target.device?.value, let device = catalogue?.device(name) else { return false }
        return device.isa == "x86-64" && device.has("avx2") && !device.has("vnni")
    }

    /// What the runner measured for a target, given whether the host saturates and whether the exact kernels the
    /// runner asked for (for a target that does not saturate) were applied.
    static func measured(targetSaturates: Bool, hostSaturates: Bool, exactApplied: Bool = true) -> IntegerMatmul {
        guard targetSaturates else { return hostSaturates && !exactApplied ? .saturatingOnHostOnly : .exact }
        return hostSaturates ? .saturating : .exactOnHostOnly
    }
}
