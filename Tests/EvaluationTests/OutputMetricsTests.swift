import Testing

@testable import Evaluation
import Conversion

#if canImport(Glibc)
import Glibc
#endif

private let repoRoot: String = {
    var path = #filePath
    for _ in 0..<3 { if let slash = path.lastIndex(of: "/") { path = String(path[..<slash]) } }
    return path
}()

@Suite struct OutputMetricsSpec {
    @Test("identical outputs: cosine 1, no error, infinite SQNR, full agreement")
    func identical() throws {
        let v: [Float] = [0.1, 0.7, 0.2, -1, 3, 0.5]
        let m = try #require(OutputMetrics.compare(name: "logits", shape: [1, 3], reference: v, output: v, samples: 2))
        #expect(m.cosineMin == 1)
        #expect(m.maxAbs == 0)
        #expect(m.sqnrDB == .infinity)
        #expect(m.top1 == 1)
        #expect(m.top5 == nil)  // three classes: no top-5
    }

    @Test("SQNR is 10·log10(Σref²/Σerr²) over all samples; top-1 counts agreeing samples")
    func figures() throws {
        // Sample 0 agrees (class 1); sample 1 flips from class 0 to class 1.
        let ref: [Float] = [0, 2, 0, 2, 1, 0]
        let out: [Float] = [0, 2, 1, 1, 1.5, 0]
        let m = try #require(OutputMetrics.compare(name: "p", shape: [3], reference: ref, output: out, samples: 2))
        // Σref² = 4 + 4 + 1 = 9; Σerr² = 1 + 1 + 0.25 = 2.25 → 10·log10(4) dB.
        #expect(abs(m.sqnrDB - 6.020599913279624) < 1e-12)
        #expect(m.maxAbs == 1)
        #expect(abs(m.meanAbs - 2.5 / 6) < 1e-12)
        #expect(m.top1 == 0.5)
        #expect(m.sampleMaxAbs == [1, 1])
        // cos(sample 0) = 4 / (2 · √5)
        #expect(abs(m.sampleCosine[0] - 4 / (2 * 5.0.squareRoot())) < 1e-12)
    }

    @Test("an output that is not one row of scores has no top-1; mismatched sizes are not compared")
    func shapes() {
        let v: [Float] = [1, 2, 3, 4]
        #expect(OutputMetrics.compare(name: "h", shape: [2, 2], reference: v, output: v, samples: 1)?.top1 == nil)
        #expect(OutputMetrics.compare(name: "h", shape: [4], reference: v, output: [1, 2, 3], samples: 1) == nil)
    }

    @Test("top-5 agreement: the original's class among the artifact's five best")
    func top5() throws {
        let ref: [Float] = [9, 1, 2, 3, 4, 5, 6]
        let out: [Float] = [5, 1, 2, 6, 7, 8, 9]  // class 0 ranks 5th in the artifact
        let m = try #require(OutputMetrics.compare(name: "p", shape: [1, 7], reference: ref, output: out, samples: 1))
        #expect(m.top1 == 0)
        #expect(m.top5 == 1)
    }

    @Test("nearest-rank percentiles")
    func percentiles() {
        let v = (1...20).map(Double.init)
        #expect(percentile(v, 0.5) == 10)
        #expect(percentile(v, 0.95) == 19)
        #expect(percentile([], 0.5) == nil)
    }

    @Test("the embedded runner equals scripts/runners/run_models.py (run python3 scripts/embed_drivers.py)")
    func embeddedRunner() {
        let fd = open(repoRoot + "/scripts/runners/run_models.py", O_RDONLY)
        #expect(fd >= 0)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while fd >= 0 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        if fd >= 0 { close(fd) }
        #expect(String(decoding: bytes, as: UTF8.self) == EmbeddedRunners.runModels)
    }

    @Test("the artifact's values against the original's as distributions, by the monitor's measures")
    func drift() throws {
        // Twenty values 0…19: the original's deciles (1.9, 3.8, … 17.1) cut ten bins of two. The same values do not
        // drift. Moved up by 10 they leave the lower five bins empty, keep two in each of the next four, and put
        // twelve (18…29) in the top one.
        let ref = (0..<20).map(Float.init)
        let same = try #require(OutputMetrics.compare(name: "y", shape: [20], reference: ref, output: ref, samples: 1))
        #expect(same.driftPSI == 0 && same.driftJensenShannon == 0)
        let shifted = try #require(OutputMetrics.compare(name: "y", shape: [20], reference: ref, output: ref.map { $0 + 10 }, samples: 1))
        // PSI: five empty bins floored at 1e-4, and the top one's 0.6 against 0.1.
        let psi = 5 * (1e-4 - 0.1) * log(1e-4 / 0.1) + (0.6 - 0.1) * log(6.0)
        #expect(abs((shifted.driftPSI ?? 0) - psi) < 1e-9)
        // Jensen–Shannon (base 2): the empty bins against m = 0.05, the top one's 0.6 and 0.1 against m = 0.35.
        let js = (5 * 0.1 * log2(0.1 / 0.05) / 2 + 0.6 * log2(0.6 / 0.35) / 2 + 0.1 * log2(0.1 / 0.35) / 2).squareRoot()
        #expect(abs((shifted.driftJensenShannon ?? 0) - js) < 1e-9)
    }
}
