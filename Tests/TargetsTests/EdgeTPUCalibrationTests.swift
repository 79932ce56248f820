import JSON
import Manifest
import ModelFormats
import Testing

@testable import Targets

/// The Edge TPU's latency is calibrated against Coral's published benchmark table
/// (Schemas/measurements/latency_measurements.json `edgetpu_published`, the fits in
/// Schemas/targets/latency_calibrations.json `accelerator_calibrations`, from
/// scripts/catalogue/derive_edgetpu_calibration.py): MACs × ms per GMAC plus the parameters beyond the 8 MB
/// on-chip cache × ms per streamed MB — a function of the model's own figures, not a look-up.
@Suite struct EdgeTPUCalibrationSpec {
    static func devBoard() throws -> AcceleratorCalibration {
        try #require(catalogue.acceleratorCalibrations.first { $0.attachment == "dev-board" })
    }

    @Test func theFitsAreTheCommittedOnesAndTheDevBoardUsesItsOwn() throws {
        let fits = catalogue.acceleratorCalibrations
        #expect(fits.map(\.attachment) == ["dev-board", "usb-accelerator"])
        let d = try Self.devBoard()
        #expect((d.accelerator, d.precision, d.cacheBytes) == ("edgetpu", "int8", 8_000_000))
        #expect((d.msPerGMAC, d.msPerStreamedMB, d.constantMS) == (3.833, 1.1855, 0.7835))
        let usb = try #require(fits.last)
        #expect((usb.msPerGMAC, usb.msPerStreamedMB, usb.constantMS) == (3.4104, 0.9313, 0.9847))
        let board = try #require(catalogue.device("coral-dev-board"))
        #expect(catalogue.acceleratorCalibration(board, precision: "int8") == d)
        #expect(catalogue.acceleratorCalibration(board, precision: "float16") == nil)
        #expect(catalogue.source(d.cacheSource)?.url == "https://coral.ai/docs/edgetpu/compiler/")
    }

    /// Synthetic figures: a model within the cache pays compute only; beyond it, every byte over 8 MB is streamed.
    @Test func theLatencyIsComputePlusTheStreamedParameters() throws {
        let d = try Self.devBoard()
        #expect(d.latencyMS(macs: 1_000_000_000, parameterBytes: 4_000_000) == 3.833 + 0.7835)
        #expect(d.streamedBytes(parameterBytes: 8_000_000) == 0)
        #expect(d.streamedBytes(parameterBytes: 138_000_000) == 130_000_000)
        let vgg = d.latencyMS(macs: 15_500_000_000, parameterBytes: 138_000_000)
        #expect(abs(vgg - (15.5 * 3.833 + 130 * 1.1855 + 0.7835)) < 1e-9)
    }

    static func row(_ yaml: String) throws -> JSONValue {
        let m = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
        let model = try Repo.model("Tests/Fixtures/mlperf-tiny/vww_96_int8.tflite")
        // Nothing but, on the Edge TPU, its restrictions on RESHAPE and FULLY_CONNECTED no check evaluates (SW4020).
        #expect(TargetChecks.check(manifest: m, model: model, catalogue: catalogue).allSatisfy { $0.code == .restrictionUnchecked })
        return try #require(TargetEstimates.table(manifest: m, model: model, catalogue: catalogue)["targets"]?[0])
    }

    /// A fully int8 TFLite model (MLPerf Tiny's VWW MobileNet) on the Dev Board's Edge TPU: computed in int8,
    /// all of it on the Edge TPU, the latency the formula over slipway's own MACs and parameter bytes.
    @Test func anInt8ModelOnTheDevBoardIsCalibrated() throws {
        let row = try Self.row("""
            model: {path: m.tflite, inputs: {input_1_int8: [1, 96, 96, 3]}}
            targets: {t: {runtime: litert, delegate: edgetpu, device: coral-dev-board}}
            """)
        #expect(row["precision"] == "int8")
        #expect(row["macs"]?.intValue == 7_955_146)
        #expect(row["weight_bytes"]?.intValue == 219_072)
        let d = try Self.devBoard()
        let ms = try #require(row["latency_ms"]?.doubleValue)
        #expect(abs(ms - d.latencyMS(macs: 7_955_146, parameterBytes: 219_072)) < 0.001)
        let c = try #require(row["latency_calibration"])
        #expect(c["method"] == "calibrated")
        #expect(c["class"] == "edgetpu")
        #expect(c["attachment"] == "dev-board")
        #expect(c["streamed_bytes"]?.intValue == 0)
        #expect(c["parameter_bytes"]?.intValue == 219_072)
        #expect(row["latency_roofline_ms"] == .null)  // the Dev Board cites no bandwidth: there was no roofline
    }

    /// The Edge TPU through another delegate, or the same board's CPU, is not calibrated by it.
    @Test func theDevBoardsCPUIsNotCalibratedByTheEdgeTPUFit() throws {
        let row = try Self.row("""
            model: {path: m.tflite, inputs: {input_1_int8: [1, 96, 96, 3]}}
            targets: {t: {runtime: litert, device: coral-dev-board}}
            """)
        #expect(row["latency_calibration"]?["class"] != "edgetpu")
    }
}
