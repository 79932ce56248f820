import Diagnostics
import Manifest
import Testing

@testable import Targets

/// The devices of the catalogue carry only cited figures (Schemas/targets/devices.json, each with its source and
/// section): they resolve by name and alias, a figure no source gave stays absent, and the budget checks use the
/// figures that are there.
@Suite struct CitedDevicesSpec {
    @Test func devicesResolveByNameAndAliasWithTheirCitedFigures() throws {
        let c = try Catalogue.embedded.get()
        #expect(c.devices.count >= 25)
        #expect(Set(c.devices.map(\.name)).count == c.devices.count)

        // A microcontroller: RAM and flash as separate figures (ESP-IDF chip comparison: 512 KB SRAM; the FN8
        // variant's 8 MB embedded flash), nothing guessed for bandwidth or peaks.
        let esp = try #require(c.device("esp32-s3fn8"))
        #expect(esp.name == "esp32-s3" && esp.os == "none")
        #expect(esp.memoryGB == 0.000524288 && esp.storageGB == 0.008388608)
        #expect(esp.bandwidthGBps == nil && esp.peakTOPS.isEmpty)
        let f4 = try #require(c.device("nucleo-f446re"))
        #expect(f4.name == "stm32f446re" && f4.memoryGB == 0.000131072 && f4.storageGB == 0.000524288)

        // NPU peaks: the M4's Neural Engine (38 TOPS, 120 GB/s), Lunar Lake's NPU (48), the Edge TPU (4, int8).
        let m4 = try #require(c.device("m4"))
        #expect(m4.name == "apple-m4" && m4.peakTOPS[.npu]?["int8"] == 38 && m4.bandwidthGBps == 120)
        #expect(m4.memoryGB == nil && m4.peakTOPS[.cpu] == nil)
        #expect(c.device("lunar-lake")?.peakTOPS[.npu]?["int8"] == 48)
        #expect(c.device("strix-point")?.peakTOPS[.npu]?["int8"] == 50)
        #expect(c.device("coral-dev-board-micro")?.peakTOPS[.npu]?["int8"] == 4)
        #expect(c.device("coral-dev-board-micro")?.os == "none")

        // GPUs: dense tensor figures, not the sparsity ones.
        let rtx = try #require(c.device("rtx-4090"))
        #expect(rtx.memoryGB == 24 && rtx.bandwidthGBps == 1008 && rtx.peakTOPS[.gpu]?["int8"] == 660.6)
        #expect(rtx.computeCapability == "8.9")
        #expect(c.device("l40s")?.peakTOPS[.gpu]?["float8"] == 733)
        #expect(c.device("agx-orin")?.peakTOPS[.npu]?["int8"] == 52.5)

        // Server CPUs: the ISA features the checks read (VNNI) come from the cited cpuinfo flags.
        #expect(c.device("sapphire-rapids")?.has("vnni") == true)
        #expect(c.device("graviton4")?.memoryGB == 1500)

        // Every source a device cites, its own and the further ones, is a catalogue source with a section.
        for d in c.devices {
            for r in [d.source] + d.also {
                #expect(c.sources[r.id] != nil && !r.section.isEmpty, "\(d.name): \(r.id)")
            }
        }
    }

    @Test func theDevicesTheCatalogueLackedCarryTheirCitedFiguresAndNoOthers() throws {
        let c = try Catalogue.embedded.get()
        #expect(c.devices.count >= 32)

        // A Cortex-M55 + Ethos-U55 microcontroller: RAM the bulk SRAM (4096 + 2560 KiB) and flash the on-chip MRAM
        // (5632 KiB), from Alif's device tree for the DevKit's part; the NPU's clock is not cited: no peak.
        let e7 = try #require(c.device("ae722f80f55d5"))
        #expect(e7.name == "alif-ensemble-e7" && e7.os == "none" && e7.has("helium"))
        #expect(e7.memoryGB == 0.006815744 && e7.storageGB == 0.005767168)
        #expect(e7.peakTOPS.isEmpty && e7.bandwidthGBps == nil)

        // A Tensor G4 phone: 12 GB of RAM; Google publishes no TPU TOPS nor bandwidth, and storage varies.
        let pixel = try #require(c.device("tensor-g4"))
        #expect(pixel.name == "pixel-9" && pixel.os == "android" && pixel.memoryGB == 12)
        #expect(pixel.peakTOPS.isEmpty && pixel.bandwidthGBps == nil && pixel.storageGB == nil)

        // Orin NX 16 GB: float32 from 1024 CUDA cores at 918 MHz; its 100 sparse TOPS are not split between the GPU
        // and the DLAs in the cited brief, so there is no int8 peak.
        let nx = try #require(c.device("orin-nx"))
        #expect(nx.name == "jetson-orin-nx-16gb" && nx.memoryGB == 16 && nx.computeCapability == "8.7")
        #expect(nx.peakTOPS[.gpu]?["float32"] == 1.88 && nx.peakTOPS[.gpu]?["int8"] == nil && nx.peakTOPS[.npu] == nil)
        #expect(nx.bandwidthGBps == nil)

        // EPYC 9654: 12 channels of DDR5-4800 make 460.8 GB/s a socket; AVX-512 with VNNI; the server's memory varies.
        let epyc = try #require(c.device("genoa"))
        #expect(epyc.name == "amd-epyc-9654" && epyc.bandwidthGBps == 460.8 && epyc.memoryGB == nil)
        #expect(epyc.has("avx512") && epyc.has("vnni") && epyc.peakTOPS.isEmpty)
    }

    @Test func theEnsembleE7ChecksItsRAMAndItsFlashApart() throws {
        // On a microcontroller the arena lives in RAM and the weights in flash: the encoder's arena at 512 tokens
        // (8.65 MB) is over the E7's 6.8 MB of bulk SRAM while its weights (0.399 MB) fit the 5.8 MB of MRAM.
        func check(_ tokens: Int, _ budget: String = "") throws -> [String] {
            let yaml = """
                model: {path: encoder.onnx, inputs: {input_ids: [1, \(tokens)]}}
                targets: {e7: {runtime: tflite-micro, device: alif-ensemble-e7, format: tflite\(budget)}}

                """
            return try Self.check(yaml, model: "examples/transformer-server/models/encoder.onnx")
                .filter { $0.code == .memoryOverBudget }.map(\.message)
        }
        let big = try check(512)
        #expect(big.count == 1, "\(big)")
        #expect(big.first?.contains("estimated RAM (the activation arena)") == true)
        #expect(big.first?.contains("8.65 MB does not fit in alif-ensemble-e7's 6.815 MB") == true, "\(big)")
        #expect(!big.contains { $0.contains("of flash") })
        // At 128 tokens both fit; a flash budget below the weights is its own verdict.
        #expect(try check(128).isEmpty)
        let flash = try check(128, ", budget: {flash_mb: 0.1}")
        #expect(flash.count == 1 && flash.first?.contains("flash budget") == true, "\(flash)")
    }

    static func check(_ yaml: String, model path: String) throws -> [Diagnostic] {
        let m = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
        return TargetChecks.check(manifest: m, model: try Repo.model(path), catalogue: catalogue)
    }

    @Test func aModelOverTheESP32S3sRAMGetsTheRAMBudgetDiagnostic() throws {
        // The two-layer encoder at 128 tokens needs a 0.589 MB float arena: over the ESP32-S3's 512 KB of SRAM.
        func yaml(_ tokens: Int) -> String {
            """
            model: {path: encoder.onnx, inputs: {input_ids: [1, \(tokens)]}}
            targets: {esp: {runtime: tflite-micro, device: esp32-s3, format: tflite, budget: {latency_ms: 1}}}

            """
        }
        let encoder = "examples/transformer-server/models/encoder.onnx"
        let ds = try Self.check(yaml(128), model: encoder)
        let ram = ds.filter { $0.code == .memoryOverBudget }
        #expect(ram.count == 1)
        #expect(ram.first?.message.contains("estimated RAM (the activation arena)") == true)
        #expect(ram.first?.message.contains("does not fit in esp32-s3's 0.524 MB") == true, "\(ram.map(\.message))")
        // No bandwidth or peak is cited for the ESP32-S3: no latency estimate, so the latency budget is not judged.
        #expect(!ds.contains { $0.code == .latencyOverBudget })

        // At 32 tokens the arena fits.
        #expect(!(try Self.check(yaml(32), model: encoder)).contains { $0.code == .memoryOverBudget })
    }

    @Test func theSTM32F446REsRAMIsItsCited128KiB() throws {
        // MobileNet-tiny at 96x96 in float: a 0.294 MB arena fits the ESP32-S3's 512 KB but not 128 KiB.
        func ram(_ device: String) throws -> [String] {
            let yaml = """
                model: {path: m.onnx, inputs: {image: [1, 3, 96, 96]}}
                targets: {mcu: {runtime: tflite-micro, device: \(device), format: tflite}}

                """
            return try Self.check(yaml, model: "examples/mobile-cnn/models/mobilenet_tiny.onnx")
                .filter { $0.code == .memoryOverBudget }.map(\.message)
        }
        let f4 = try ram("nucleo-f446re")
        #expect(f4.count == 1 && f4.first?.contains("does not fit in stm32f446re's 0.131 MB") == true, "\(f4)")
        #expect(try ram("esp32-s3").isEmpty)
    }

    @Test func estimatesUseTheCitedFiguresAndNoOthers() throws {
        let m = try #require(ManifestFile(bytes: Array("""
            targets:
              esp: {runtime: tflite-micro, device: esp32-s3, format: tflite}
              m4: {runtime: coreml, device: apple-m4}

            """.utf8)).documents.first?.manifest)
        let table = TargetEstimates.table(manifest: m, model: try Repo.model(kws), catalogue: catalogue)
        let rows = table["targets"]?.arrayValue ?? []
        #expect(rows.count == 2)
        // The ESP32-S3 has no cited bandwidth or peak: no latency; the M4 has both (120 GB/s, 38 TOPS).
        #expect(rows.first { $0["target"]?.stringValue == "esp" }?["latency_ms"] == .null)
        #expect(rows.first { $0["target"]?.stringValue == "m4" }?["latency_ms"]?.doubleValue != nil)
    }
}
