import JSON
import Manifest
import ModelFormats
import Testing

@testable import Targets

/// The activation arena is what the runtime's planner allocates, offsets and lifetimes included, not a sum of
/// live tensors. Expected figures below for the fixtures are those the `tflite-micro` package's interpreter
/// reports (0.dev20261023182759, `print_allocations`); Tests/integration/test_tflm_arena.py re-measures them
/// and the corpus's models.
@Suite struct ArenaPlannerSpec {
    /// A (100 B, steps 0–1), B (60 B, 1–2), C (60 B, 2–3), D (40 B, 0–3). Largest first: A at 0; B overlaps A,
    /// goes after it at 100; C overlaps only B: the gap below B (0–100) holds it; D overlaps all three: after A
    /// (100) the gap to B is 0, after B (160) nothing follows: 160. Arena 200; live sum at most 200 too, but a
    /// different order would fragment, which is what the planner's order avoids.
    @Test func greedyPlacesLargestFirstInTheFirstGapThatFits() {
        let p = ArenaPlanners.greedy([
            ArenaBuffer(size: 100, first: 0, last: 1), ArenaBuffer(size: 60, first: 1, last: 2),
            ArenaBuffer(size: 60, first: 2, last: 3), ArenaBuffer(size: 40, first: 0, last: 3),
        ])
        #expect(p.offsets == [0, 100, 0, 160])
        #expect(p.size == 200)
    }

    @Test func greedyKeepsTheOrderOfEqualSizesAndReusesFreedSpace() {
        // A chain of equal tensors, each read by the next step: two slots alternate.
        let chain = (0..<6).map { ArenaBuffer(size: 64, first: $0, last: $0 + 1) }
        let p = ArenaPlanners.greedy(chain)
        #expect(p.offsets == [0, 64, 0, 64, 0, 64])
        #expect(p.size == 128)
        #expect(ArenaPlanners.greedy([]).size == 0)
    }

    /// LiteRT's best fit: whole-run buffers first, then by size; each takes the smallest gap that fits at the
    /// alignment. X (whole run, 10 B) at 0; A (300 B, 0–1) after X aligned to 64: 64; B (100 B, 2–3) overlaps
    /// only X: 64; C (50 B, 1–2) overlaps X, A and B: no aligned gap below A's end fits 50 B, so it goes at
    /// A's end (364) aligned to 64: 384.
    @Test func litertTakesTheSmallestAlignedGap() {
        let bufs = [
            ArenaBuffer(size: 10, first: 0, last: Int.max), ArenaBuffer(size: 300, first: 0, last: 1),
            ArenaBuffer(size: 100, first: 2, last: 3), ArenaBuffer(size: 50, first: 1, last: 2),
        ]
        let p = ArenaPlanners.bestFit(bufs, alignment: 64, wholeRun: { $0 == 0 })
        #expect(p.offsets == [0, 64, 64, 384])
        #expect(p.size == 434)
    }

    @Test func tfliteMicroHeadIsTheInterpretersOnTheFixtures() throws {
        let int8 = try #require(TFLiteArenas.of(model: try Repo.model("Tests/Fixtures/models/small_cnn_int8.tflite")))
        #expect(int8.microHead == 320)
        // 3536 bytes measured on the 64-bit host; the tail is modelled from TFLite Micro's structures.
        #expect(abs(Double(int8.micro(pointerBytes: 8)) / 3536 - 1) < 0.10)
        #expect(int8.micro(pointerBytes: 4) < int8.micro(pointerBytes: 8))
        let float = try #require(TFLiteArenas.of(model: try Repo.model("Tests/Fixtures/models/small_cnn_float.tflite")))
        #expect(float.microHead == 1280)
        #expect(abs(Double(float.micro(pointerBytes: 8)) / 3360 - 1) < 0.10)
        #expect(TFLiteArenas.of(model: try Repo.model("examples/kws-mcu/models/ds_cnn_kws.onnx")) == nil)
    }

    @Test func aMicrocontrollerEstimateUsesTheTFLiteMicroArena() throws {
        let yaml = "slipway: 1\nmodel: {path: m.tflite}\ntargets:\n  mcu: {runtime: tflite-micro, device: stm32h7, format: tflite}\n"
        let manifest = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
        let model = try Repo.model("Tests/Fixtures/models/small_cnn_int8.tflite")
        let table = TargetEstimates.table(manifest: manifest, model: model, catalogue: catalogue)
        let row = try #require(table["targets"]?[0])
        let arenas = try #require(TFLiteArenas.of(model: model))
        #expect(row["activation_planner"] == .string("tflite-micro-greedy"))
        #expect(row["peak_activation_bytes"]?.intValue == arenas.micro(pointerBytes: 4))
        #expect(row["memory_bytes"]?.intValue == arenas.micro(pointerBytes: 4))
    }
}
