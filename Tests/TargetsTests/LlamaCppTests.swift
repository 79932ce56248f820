import Diagnostics
import Manifest
import ModelFormats
import TestSupport
import Testing

@testable import Targets

/// llama.cpp releases against GGUF models (SW4019): each catalogued release (a llama-cpp-python version, derived from
/// its sdist by scripts/catalogue/derive_llamacpp.py) loads the ggml types its `enum ggml_type` lists. Fixtures by
/// scripts/make_gguf_type_fixtures.py: gguf_new_types.gguf holds F32, Q4_0, TQ1_0 (108 bytes) and MXFP4 (272 bytes);
/// gguf_q4_0_4_4.gguf one tensor of the removed Q4_0_4_4 (288 bytes).
@Suite struct LlamaCppSpec {
    static let newTypes = "model: {path: m.gguf}\n"
    static let newTypesModel = fixtures + "gguf_new_types.gguf"
    static let removedModel = fixtures + "gguf_q4_0_4_4.gguf"

    @Test func theCatalogueKnowsTheReleasesAndWhatEachLoads() throws {
        let rt = try #require(catalogue.runtime("llama.cpp"))
        #expect(rt.versions.map(\.version) == [
            "0.3.36", "0.3.20", "0.3.16", "0.3.8", "0.3.5", "0.3.3", "0.3.2", "0.3.1", "0.2.90", "0.2.82", "0.2.79",
            "0.2.70", "0.2.62", "0.2.56", "0.2.51", "0.2.44", "0.2.38", "0.2.28", "0.2.14", "0.2.7",
        ])
        let newest = try #require(rt.version("0.3.36"))
        #expect(newest.revision == "ggml-org/llama.cpp@0c1e57098")
        #expect(newest.ggufVersions == [2, 3])
        #expect(newest.ggmlTypes?.count == 35)
        #expect(newest.ggmlTypes?["MXFP4"] == 39 && newest.ggmlTypes?["Q2_0"] == 42 && newest.ggmlTypes?["Q4_0_4_4"] == nil)
        let oldest = try #require(rt.version("0.2.7"))
        #expect(oldest.ggufVersions == [1, 2])
        // Before the IQ types, id 16 was I8.
        #expect(oldest.ggmlTypes?["I8"] == 16 && oldest.ggmlTypes?.count == 17)
        #expect(rt.version("0.3.2")?.ggmlTypes?["Q4_0_4_4"] == 31)
        #expect(rt.ggmlTypesRemoved == [
            "Q4_2": 4, "Q4_3": 5, "Q4_0_4_4": 31, "Q4_0_4_8": 32, "Q4_0_8_8": 33, "IQ4_NL_4_4": 36, "IQ4_NL_4_8": 37, "IQ4_NL_8_8": 38,
        ])
    }

    /// The reader's hand-kept block sizes are the ones gguf-py states, as the catalogue derives them.
    @Test func everyGGMLTypeTheReaderKnowsHasTheDerivedBlockSize() throws {
        let sizes = try #require(catalogue.runtime("llama.cpp")).ggmlTypeSizes
        for t in GGMLType.allCases {
            let derived = try #require(sizes[t.name], "\(t.name) has no derived size")
            #expect(GGMLBlock(elements: t.blockSize, bytes: t.bytesPerBlock) == derived, "\(t.name)")
        }
        // And every type a catalogued release loads is one the reader knows.
        let known = Set(GGMLType.allCases.map(\.name))
        #expect(Set(sizes.keys).subtracting(known).isEmpty)
    }

    @Test func theNewestReleaseLoadsEveryTypeOfTheModel() {
        #expect(targetIssues("targets: {s: {runtime: llama.cpp@0.3.36}}\n", model: Self.newTypesModel, []) == [])
        #expect(targetIssues("targets: {s: {runtime: llama.cpp@0.3.16}}\n", model: Self.newTypesModel, []) == [])
    }

    @Test func anOlderReleaseIsRefusedPerTypeNamingTheFirstThatLoadsIt() {
        #expect(targetIssues("targets: {s: {runtime: ⟦⟦llama.cpp@0.2.90⟧⟧}}\n", model: Self.newTypesModel, [
            Expected(.ggufUnsupported, "target 's': the model holds 1 tensor (108 bytes) of ggml type TQ1_0 (id 34), which llama.cpp 0.2.90 cannot load; llama.cpp@0.3.1 is the first catalogued release that loads it"),
            Expected(.ggufUnsupported, "target 's': the model holds 1 tensor (272 bytes) of ggml type MXFP4 (id 39), which llama.cpp 0.2.90 cannot load; llama.cpp@0.3.16 is the first catalogued release that loads it"),
        ]) == [])
    }

    @Test func theFixPinsTheFirstReleaseThatLoadsIt() throws {
        let m = try #require(ManifestFile(bytes: Array("targets: {s: {runtime: llama.cpp@0.3.8}}\n".utf8)).documents.first?.manifest)
        let d = TargetChecks.check(manifest: m, model: try Repo.model(Self.newTypesModel), catalogue: catalogue)
        #expect(d.map(\.code) == [.ggufUnsupported])
        #expect(d.first?.severity == .error)
        #expect(d.first?.fixes.first?.edits.first?.newText == "llama.cpp@0.3.16")
        #expect(d.first?.related.first?.file == "https://pypi.org/project/llama-cpp-python/#history")
    }

    @Test func withoutARuntimeTheGGUFModelImpliesTheNewestRelease() {
        #expect(targetIssues(Self.newTypes + "targets: {s: {}}\n", model: Self.newTypesModel, []) == [])
        #expect(targetIssues("model: {path: m.gguf}\ntargets: {⟦s⟧: {}}\n", model: Self.removedModel, [
            Expected(.ggufUnsupported, "target 's': the model holds 1 tensor (288 bytes) of ggml type Q4_0_4_4 (id 31), which llama.cpp 0.3.36 (the newest catalogued release; the target pins none) cannot load: it was removed; llama.cpp@0.3.2 is the last catalogued release that loads it"),
        ]) == [])
    }

    @Test func aRemovedTypeLoadsOnlyBetweenItsFirstAndLastRelease() {
        #expect(targetIssues("targets: {s: {runtime: llama.cpp@0.3.2}}\n", model: Self.removedModel, []) == [])
        #expect(targetIssues("targets: {s: {runtime: llama.cpp@0.2.90}}\n", model: Self.removedModel, []) == [])
        #expect(targetIssues("targets: {s: {runtime: ⟦llama.cpp@0.3.3⟧}}\n", model: Self.removedModel, [
            Expected(.ggufUnsupported, "which llama.cpp 0.3.3 cannot load: it was removed; llama.cpp@0.3.2 is the last catalogued release that loads it"),
        ]) == [])
        #expect(targetIssues("targets: {s: {runtime: ⟦llama.cpp@0.2.82⟧}}\n", model: Self.removedModel, [
            Expected(.ggufUnsupported, "which llama.cpp 0.2.82 cannot load; llama.cpp@0.2.90 is the first catalogued release that loads it"),
        ]) == [])
    }

    @Test func aGGUFv3FileIsRefusedByAReleaseThatReadsUpToV2() {
        // 0.2.7 also numbers I8 16, so it cannot load IQ types either; this file's types are older than both.
        #expect(targetIssues("targets: {s: {runtime: ⟦⟦llama.cpp@0.2.7⟧⟧}}\n", model: Self.removedModel, [
            Expected(.ggufUnsupported, "the model is a GGUF v3 file, but llama.cpp 0.2.7 reads GGUF v1, v2; llama.cpp@0.2.14 is the first catalogued release that reads it"),
            Expected(.ggufUnsupported, "of ggml type Q4_0_4_4 (id 31), which llama.cpp 0.2.7 cannot load; llama.cpp@0.2.90 is the first"),
        ]) == [])
    }

    @Test func anUnknownVersionIsSaidWithTheKnownOnes() {
        #expect(targetIssues("targets: {s: {runtime: ⟦llama.cpp@0.9⟧}}\n", model: Self.newTypesModel, [
            Expected(.unknownRuntimeVersion, "llama.cpp (ggml): GGUF language models on CPUs and GPUs 0.9 is not in the catalogue (it knows 0.2.7–0.3.36); version-specific checks are skipped"),
        ]) == [])
    }
}
