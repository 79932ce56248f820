import JSON
import Manifest
import ModelFormats
import Testing

@testable import Targets

/// The Raspberry Pi 5 (ONNX Runtime and LiteRT on its CPU) and the Jetson Orin NX 16 GB (TensorRT on its GPU) are
/// calibrated on their own published measurements: Ultralytics' YOLO11 benchmark tables (the rows in
/// Schemas/measurements/latency_measurements.json `device_published`, the fits in
/// Schemas/targets/latency_calibrations.json `device_calibrations`, from
/// scripts/catalogue/derive_device_calibration.py): MACs × ms per GMAC + a constant, for that device and runtime only.
@Suite struct DeviceCalibrationSpec {
    static func fit(_ device: String, _ runtime: String, _ precision: String) throws -> DeviceCalibration {
        try #require(catalogue.deviceCalibrations.first {
            $0.device == device && $0.runtime == runtime && $0.precision == precision
        })
    }

    @Test func theFitsAreTheCommittedOnes() throws {
        let fits = catalogue.deviceCalibrations
        #expect(fits.map { "\($0.device) \($0.runtime) \($0.processor.rawValue) \($0.precision)" } == [
            "raspberry-pi-5 onnxruntime cpu float32", "raspberry-pi-5 litert cpu float32",
            "jetson-orin-nx-16gb tensorrt gpu float32", "jetson-orin-nx-16gb tensorrt gpu float16",
            "jetson-orin-nx-16gb tensorrt gpu int8", "jetson-orin-nano-super tensorrt gpu float32",
            "jetson-orin-nano-super tensorrt gpu float16", "jetson-orin-nano-super tensorrt gpu int8",
            "samsung-galaxy-s24 litert npu float16", "samsung-galaxy-s24 litert npu int8",
            "samsung-galaxy-s24 onnxruntime npu float16", "samsung-galaxy-s24 onnxruntime npu int8",
            "samsung-galaxy-s25 litert npu float16", "samsung-galaxy-s25 litert npu int8",
            "samsung-galaxy-s25 onnxruntime npu float16", "samsung-galaxy-s25 onnxruntime npu int8",
        ])
        let ort = try Self.fit("raspberry-pi-5", "onnxruntime", "float32")
        #expect((ort.msPerGMAC, ort.constantMS, ort.ratioSpread) == (31.7971, 0, [0.8566, 1.3632]))
        let lite = try Self.fit("raspberry-pi-5", "litert", "float32")
        #expect((lite.msPerGMAC, lite.constantMS, lite.ratioSpread) == (75.9201, 0, [0.9405, 1.0781]))
        let fp16 = try Self.fit("jetson-orin-nx-16gb", "tensorrt", "float16")
        #expect((fp16.msPerGMAC, fp16.constantMS, fp16.ratioSpread) == (0.3124, 3.668, [0.9608, 1.0222]))
        let int8 = try Self.fit("jetson-orin-nx-16gb", "tensorrt", "int8")
        #expect((int8.msPerGMAC, int8.constantMS) == (0.189, 3.5636))
        #expect(catalogue.source(ort.source)?.url == "https://docs.ultralytics.com/guides/raspberry-pi/")
        #expect(catalogue.source(fp16.source)?.url == "https://docs.ultralytics.com/guides/nvidia-jetson/")
        #expect(catalogue.source(ort.modelsSource)?.url == "https://docs.ultralytics.com/models/yolo11/")
    }

    /// The key is the device, the runtime, the processor and the precision: another device with the same runtime,
    /// or the same device under another runtime or on another processor, is not calibrated by it.
    @Test func aFitAppliesToItsDeviceRuntimeProcessorAndPrecisionOnly() throws {
        let pi5 = try #require(catalogue.device("rpi5"))
        let pi4 = try #require(catalogue.device("raspberry-pi-4"))
        #expect(catalogue.deviceCalibration(pi5, runtime: "onnxruntime", processor: .cpu, precision: "float32")
            == (try Self.fit("raspberry-pi-5", "onnxruntime", "float32")))
        #expect(catalogue.deviceCalibration(pi4, runtime: "onnxruntime", processor: .cpu, precision: "float32") == nil)
        #expect(catalogue.deviceCalibration(pi5, runtime: "onnxruntime", processor: .cpu, precision: "int8") == nil)
        #expect(catalogue.deviceCalibration(pi5, runtime: "tflite-micro", processor: .cpu, precision: "float32") == nil)
        let nx = try #require(catalogue.device("orin-nx"))
        #expect(catalogue.deviceCalibration(nx, runtime: "tensorrt", processor: .gpu, precision: "float16") != nil)
        #expect(catalogue.deviceCalibration(nx, runtime: "onnxruntime", processor: .gpu, precision: "float16") == nil)
        // The Orin Nano Super Developer Kit runs the Orin Nano's module at other clocks: its fits are not the Nano's.
        let nano = try #require(catalogue.device("jetson-orin-nano"))
        #expect(catalogue.deviceCalibration(nano, runtime: "tensorrt", processor: .gpu, precision: "float16") == nil)
        let superKit = try #require(catalogue.device("orin-nano-super"))
        #expect(catalogue.deviceCalibration(superKit, runtime: "tensorrt", processor: .gpu, precision: "float16")?.msPerGMAC == 0.2869)
    }

    /// YOLO11n's 3.878 G MACs (slipway's count of its export) on the Orin NX in FP16: 3.878 × 0.3124 + 3.668 ms.
    @Test func theLatencyIsMACsAtTheFittedCostPlusTheConstant() throws {
        let fp16 = try Self.fit("jetson-orin-nx-16gb", "tensorrt", "float16")
        #expect(abs(fp16.latencyMS(macs: 3_877_774_463) - (3.877774463 * 0.3124 + 3.668)) < 1e-9)
        let ort = try Self.fit("raspberry-pi-5", "onnxruntime", "float32")
        #expect(abs(ort.latencyMS(macs: 3_877_774_463) - 3.877774463 * 31.7971) < 1e-9)
    }

    static func row(_ target: String) throws -> JSONValue {
        let yaml = """
            model: {path: m.onnx, inputs: {input: [1, 3, 32, 32]}}
            targets: {t: \(target)}
            """
        let m = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
        let model = try Repo.model("Tests/Fixtures/models/small_cnn.onnx")
        return try #require(TargetEstimates.table(manifest: m, model: model, catalogue: catalogue)["targets"]?[0])
    }

    /// A float model in ONNX Runtime on the Pi 5's CPU: the Pi's ONNX Runtime fit over slipway's MACs, the roofline
    /// it replaced kept beside it.
    @Test func aFloatModelInONNXRuntimeOnThePi5IsCalibrated() throws {
        let row = try Self.row("{runtime: onnxruntime, device: raspberry-pi-5}")
        #expect(row["precision"] == "float32")
        let macs = try #require(row["macs"]?.intValue)
        let ms = try #require(row["latency_ms"]?.doubleValue)
        #expect(abs(ms - (try Self.fit("raspberry-pi-5", "onnxruntime", "float32")).latencyMS(macs: macs)) < 0.001)
        let c = try #require(row["latency_calibration"])
        #expect(c["method"] == "calibrated")
        #expect(c["class"] == "device")
        #expect(c["runtime"] == "onnxruntime")
        #expect(c["ms_per_gmac"]?.doubleValue == 31.7971)
        #expect(row["latency_roofline_ms"]?.doubleValue != nil)  // the Pi 5 cites peak and bandwidth
    }

    /// TensorRT on the Orin NX's GPU computes in float16 (slipway's GPU precision): the FP16 fit.
    @Test func tensorRTOnTheOrinNXUsesTheFP16Fit() throws {
        let row = try Self.row("{runtime: tensorrt, device: jetson-orin-nx-16gb}")
        #expect(row["precision"] == "float16")
        let c = try #require(row["latency_calibration"])
        #expect(c["class"] == "device")
        #expect(c["precision"] == "float16")
        #expect(c["constant_ms"]?.doubleValue == 3.668)
    }

    /// The Pi 4 has no measurements of its own: it is not calibrated by the Pi 5's.
    @Test func thePi4IsNotCalibratedByThePi5sFit() throws {
        let row = try Self.row("{runtime: onnxruntime, device: raspberry-pi-4}")
        #expect(row["latency_calibration"]?["class"] != "device")
    }

    /// A float model on the Galaxy S25's Hexagon NPU through LiteRT's QNN delegate computes in float16: Qualcomm AI
    /// Hub's measurements of that phone, runtime and precision calibrate it; the same phone's CPU is not calibrated.
    @Test func aFloatModelOnTheGalaxyS25sNPUIsCalibratedByAIHubsMeasurements() throws {
        let row = try Self.row("{runtime: litert, delegate: qnn, device: galaxy-s25, format: tflite}")
        #expect(row["precision"] == "float16")
        let c = try #require(row["latency_calibration"])
        #expect(c["device"] == "samsung-galaxy-s25")
        #expect(c["processor"] == "npu")
        #expect(c["published_by"] == "Qualcomm AI Hub Models 0.65.0")
        let fit = try Self.fit("samsung-galaxy-s25", "litert", "float16")
        #expect((fit.msPerGMAC, fit.constantMS) == (0.1925, 0.3639))
        let macs = try #require(row["macs"]?.intValue)
        #expect(abs(try #require(row["latency_ms"]?.doubleValue) - fit.latencyMS(macs: macs)) < 0.001)
        let cpu = try Self.row("{runtime: litert, device: galaxy-s25, format: tflite}")
        #expect(cpu["latency_calibration"]?["class"] != "device")
    }
}
