import JSON
import Manifest
import ModelFormats
import Testing

@testable import Targets

/// The Raspberry Pi 5 (ONNX Runtime and LiteRT on its CPU) and the Jetson Orin NX 16 GB (TensorRT on its GPU) are
/// calibrated on their own published measurements: Ultralytics' YOLO11 benchmark tables; the devices Qualcomm AI Hub
/// measured (phones, compute reference designs, IoT boards, automotive platforms) on theirs, from qai-hub-models'
/// perf.yaml (the rows in Schemas/measurements/latency_measurements.json `device_published`, the fits in
/// Schemas/targets/latency_calibrations.json `device_calibrations`, from
/// scripts/catalogue/derive_device_calibration.py): MACs × ms per GMAC + a constant, for that device, runtime,
/// processor and precision only.
@Suite struct DeviceCalibrationSpec {
    static func fit(_ device: String, _ runtime: String, _ precision: String, on processor: Processor? = nil) throws
        -> DeviceCalibration
    {
        try #require(catalogue.deviceCalibrations.first {
            $0.device == device && $0.runtime == runtime && $0.precision == precision
                && (processor == nil || $0.processor == processor)
        })
    }

    @Test func theFitsAreTheCommittedOnes() throws {
        let fits = catalogue.deviceCalibrations
        #expect(fits.map { "\($0.device) \($0.runtime) \($0.processor.rawValue) \($0.precision)" } == [
            "raspberry-pi-5 onnxruntime cpu float32", "raspberry-pi-5 litert cpu float32",
            "jetson-orin-nx-16gb onnxruntime gpu float32",
            "jetson-orin-nx-16gb tensorrt gpu float32", "jetson-orin-nx-16gb tensorrt gpu float16",
            "jetson-orin-nx-16gb tensorrt gpu int8", "jetson-orin-nano-super onnxruntime gpu float32",
            "jetson-orin-nano-super tensorrt gpu float32",
            "jetson-orin-nano-super tensorrt gpu float16", "jetson-orin-nano-super tensorrt gpu int8",
            "samsung-galaxy-s22-5g litert npu float16", "samsung-galaxy-s22-5g litert npu int8",
            "samsung-galaxy-s22-5g onnxruntime npu float16", "samsung-galaxy-s22-5g onnxruntime npu int8",
            "samsung-galaxy-s24 litert npu float16", "samsung-galaxy-s24 litert npu int8",
            "samsung-galaxy-s24 onnxruntime npu float16", "samsung-galaxy-s24 onnxruntime npu int8",
            "samsung-galaxy-s25 litert npu float16", "samsung-galaxy-s25 litert npu int8",
            "samsung-galaxy-s25 onnxruntime npu float16", "samsung-galaxy-s25 onnxruntime npu int8",
            "samsung-galaxy-s26 litert npu float16", "samsung-galaxy-s26 litert npu int8",
            "samsung-galaxy-s26 onnxruntime npu float16", "samsung-galaxy-s26 onnxruntime npu int8",
            "snapdragon-7-gen-4-qrd litert npu int8", "snapdragon-7-gen-4-qrd onnxruntime npu int8",
            "snapdragon-x-elite-crd onnxruntime npu float16", "snapdragon-x-elite-crd onnxruntime npu int8",
            "snapdragon-x2-elite-crd onnxruntime npu float16", "snapdragon-x2-elite-crd onnxruntime npu int8",
            "qcs8550-proxy litert npu float16", "qcs8550-proxy litert npu int8",
            "qcs8550-proxy onnxruntime npu float16", "qcs8550-proxy onnxruntime npu int8",
            "dragonwing-iq-9075-evk litert npu float16", "dragonwing-iq-9075-evk litert npu int8",
            "dragonwing-iq-9075-evk onnxruntime npu float16", "dragonwing-iq-9075-evk onnxruntime npu int8",
            "dragonwing-q-6690-mtp litert npu int8", "dragonwing-q-6690-mtp onnxruntime npu int8",
            "dragonwing-rb3-gen-2-vision-kit litert npu int8", "dragonwing-rb3-gen-2-vision-kit onnxruntime npu int8",
            "arduino-ventuno-q litert npu float16", "arduino-ventuno-q litert npu int8",
            "arduino-ventuno-q onnxruntime npu float16", "arduino-ventuno-q onnxruntime npu int8",
            "sa7255p-adp litert npu float16", "sa7255p-adp litert npu int8", "sa7255p-adp litert gpu int8",
            "sa8295p-adp litert npu float16", "sa8295p-adp litert npu int8",
            "sa8775p-adp litert npu float16", "sa8775p-adp litert npu int8", "sa8775p-adp litert gpu float16",
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

    /// Every device Qualcomm AI Hub measured gets its own fits, one per runtime, processor and precision with at least
    /// three models (ms per GMAC, constant ms, published / estimate): its own rows, no other device's. The devices
    /// without float16 on their NPU (Snapdragon 7 Gen 4, QCM6690, QCS6490) were published in w8a8 only; the compute
    /// reference designs in ONNX Runtime only; the automotive platforms in LiteRT only.
    @Test func everyDeviceAIHubMeasuredIsFittedOnItsOwnRows() throws {
        let expected: [String: (Double, Double, [Double])] = [
            "samsung-galaxy-s22-5g litert npu float16": (0.4828, 1.3683, [0.7034, 2.3717]),
            "samsung-galaxy-s26 onnxruntime npu int8": (0.0655, 0.2089, [0.6, 2.3878]),
            "snapdragon-7-gen-4-qrd litert npu int8": (0.193, 0.1999, [0.6755, 2.155]),
            "snapdragon-x-elite-crd onnxruntime npu float16": (0.3479, 0.4632, [0.6295, 1.9316]),
            "snapdragon-x2-elite-crd onnxruntime npu int8": (0.0485, 0.2016, [0.585, 2.8199]),
            "qcs8550-proxy litert npu float16": (0.3127, 0.741, [0.6795, 1.6585]),
            "dragonwing-iq-9075-evk onnxruntime npu float16": (0.5737, 0.6761, [0.6851, 1.5823]),
            "dragonwing-q-6690-mtp litert npu int8": (1.3361, 0.7812, [0.7374, 1.5791]),
            "dragonwing-rb3-gen-2-vision-kit onnxruntime npu int8": (0.4626, 0.855, [0.7468, 1.7213]),
            "arduino-ventuno-q litert npu float16": (0.6125, 0.8295, [0.777, 1.5066]),
            "sa7255p-adp litert npu float16": (2.1806, 1.8696, [0.8036, 1.5391]),
            "sa7255p-adp litert gpu int8": (11.8774, 1.9085, [0.974, 1.0325]),
            "sa8295p-adp litert npu int8": (0.1906, 0.4222, [0.7364, 2.2045]),
            "sa8775p-adp litert npu float16": (0.4612, 1.0132, [0.8121, 1.3136]),
            "sa8775p-adp litert gpu float16": (4.6594, 2.8839, [0.9543, 1.0352]),
        ]
        for (key, (perGMAC, constant, spread)) in expected {
            let k = key.split(separator: " ").map(String.init)
            let f = try Self.fit(k[0], k[1], k[3], on: try #require(Processor(rawValue: k[2])))
            #expect((f.msPerGMAC, f.constantMS, f.ratioSpread) == (perGMAC, constant, spread), "\(key)")
            #expect(f.publishedBy == "Qualcomm AI Hub Models 0.65.0")
            #expect(catalogue.source(f.source)?.url == "https://pypi.org/project/qai-hub-models/0.65.0/")
            // The device cites the same release: its chipset, HTP version and OS from devices_and_chipsets.yaml.
            let device = try #require(catalogue.device(k[0]))
            #expect(device.source.id == "qai-hub-models", "\(key)")
        }
        // The GPU fits are of the models AI Hub ran whole on the GPU; a target reaches them with LiteRT's GPU delegate.
        #expect(try Self.fit("sa8775p-adp", "litert", "float16", on: .gpu).fittedOn
            == "3 models (resnet18, efficientnet_b0, convnext_tiny), runtime 'tflite', precision 'float' on SA8775P ADP (whole on the GPU) in Qualcomm AI Hub Models 0.65.0")
        #expect(try #require(catalogue.device("x-elite-crd")).os == "windows")
        #expect(try #require(catalogue.device("ventuno-q")).os == "linux")
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
        // The SA7255P's int8 fits on its NPU and on its GPU are two.
        let sa7255p = try #require(catalogue.device("sa7255p"))
        #expect(catalogue.deviceCalibration(sa7255p, runtime: "litert", processor: .npu, precision: "int8")?.msPerGMAC == 0.2754)
        #expect(catalogue.deviceCalibration(sa7255p, runtime: "litert", processor: .gpu, precision: "int8")?.msPerGMAC == 11.8774)
        #expect(catalogue.deviceCalibration(sa7255p, runtime: "litert", processor: .gpu, precision: "float16") == nil)  // two models only
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

    /// A model far smaller than the fitted ones (YOLO11n–x: 3.88–102 G MACs) gets the fit with a word: the constant,
    /// the YOLO models' launch and head costs, is taken far below what it was measured on.
    @Test func aModelOutsideTheFittedRangeIsAnExtrapolation() throws {
        let fit = try Self.fit("jetson-orin-nx-16gb", "onnxruntime", "float32")
        #expect(fit.delegate == "cuda")
        #expect(fit.fittedMACs == 3_877_774_463...102_154_824_063)
        #expect(fit.extrapolates(macs: 8_350) && fit.extrapolates(macs: 1_900_000_000))
        #expect(!fit.extrapolates(macs: 2_000_000_000) && !fit.extrapolates(macs: 150_000_000_000))
        #expect(fit.extrapolates(macs: 160_000_000_000))
        let row = try Self.row("{runtime: onnxruntime, delegate: cuda, device: jetson-orin-nx-16gb}")
        #expect(row["precision"] == "float32")
        #expect(row["latency_calibration"]?["delegate"] == "cuda")
        #expect(row["latency_calibration"]?["extrapolated"] == .bool(true))
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

    /// A float model on the SA8775P ADP's GPU through LiteRT's GPU delegate computes in float16: AI Hub's rows of the
    /// models it ran whole on that GPU calibrate it, not the NPU's.
    @Test func aFloatModelOnTheSA8775PsGPUIsCalibratedByItsGPURows() throws {
        let row = try Self.row("{runtime: litert, delegate: gpu, device: sa8775p-adp, format: tflite}")
        #expect(row["precision"] == "float16")
        let c = try #require(row["latency_calibration"])
        #expect(c["device"] == "sa8775p-adp")
        #expect(c["processor"] == "gpu")
        #expect(c["ms_per_gmac"]?.doubleValue == 4.6594)
        let macs = try #require(row["macs"]?.intValue)
        let fit = try Self.fit("sa8775p-adp", "litert", "float16", on: .gpu)
        #expect(abs(try #require(row["latency_ms"]?.doubleValue) - fit.latencyMS(macs: macs)) < 0.001)
        let npu = try Self.row("{runtime: litert, delegate: qnn, device: sa8775p-adp, format: tflite}")
        #expect(npu["latency_calibration"]?["processor"] == "npu")
        #expect(npu["latency_calibration"]?["ms_per_gmac"]?.doubleValue == 0.4612)
    }

    /// `check` judges a latency budget on the calibrated figure and says whose measurements made it: a float TFLite
    /// model on the Arduino VENTUNO Q's NPU (LiteRT's QNN delegate), 5.87 k MACs × 0.6125 ms/GMAC + 0.8295 ms.
    @Test func checkJudgesALatencyBudgetOnTheVENTUNOQsCalibratedFigure() throws {
        let yaml = "slipway: 1\nmodel: {path: m.tflite}\ntargets: {t: {runtime: litert, delegate: qnn, device: ventuno-q, budget: {latency_ms: 0.5}}}\n"
        let m = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
        let model = try Repo.model("Tests/Fixtures/models/small_cnn_float.tflite")
        let d = try #require(TargetChecks.check(manifest: m, model: model, catalogue: catalogue).first { $0.code == .latencyOverBudget })
        #expect(d.message == "target 't': estimated latency 0.829 ms on arduino-ventuno-q (float16 on the npu) is over the 0.5 ms budget; calibrated on published arduino-ventuno-q litert npu float16 measurements (Qualcomm AI Hub Models 0.65.0)")
    }
}
