import Testing

@testable import Evaluation

@Suite struct IntegerMatmulSpec {
    @Test("a device that sums exactly is measured exactly on any host")
    func exactTarget() {
        #expect(IntegerMatmul.measured(targetSaturates: false, hostSaturates: true) == .exact)
        #expect(IntegerMatmul.measured(targetSaturates: false, hostSaturates: false) == .exact)
    }

    @Test("where onnxruntime could not apply its exact kernels, a saturating host's figures are flagged as the host's")
    func exactKernelsRefused() {
        #expect(IntegerMatmul.measured(targetSaturates: false, hostSaturates: true, exactApplied: false) == .saturatingOnHostOnly)
        #expect(IntegerMatmul.measured(targetSaturates: false, hostSaturates: false, exactApplied: false) == .exact)
    }

    @Test("an x86-64 without VNNI is measured saturating where the host saturates alike, and flagged where it cannot")
    func saturatingTarget() {
        #expect(IntegerMatmul.measured(targetSaturates: true, hostSaturates: true) == .saturating)
        #expect(IntegerMatmul.measured(targetSaturates: true, hostSaturates: false) == .exactOnHostOnly)
        #expect(IntegerMatmul.exactOnHostOnly.rawValue == "exact-host-only")
    }
}
