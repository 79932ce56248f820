import Checking
import Diagnostics
import Testing
import TestSupport

private func check(_ text: String, fs: InMemoryFileSystem = projectFiles, path: String = "kws.slipway.yaml", _ expected: [Expected], sourceLocation: SourceLocation = #_sourceLocation) {
    let m = MarkedText(text)
    let r = ManifestChecker(fileSystem: fs).check(bytes: Array(m.text.utf8), path: path)
    for p in mismatches(r.diagnostics, m, expected) { Issue.record(Comment(rawValue: p), sourceLocation: sourceLocation) }
}

@Suite struct PathCheckSpec {
    @Test func modelPathResolvesAgainstTheManifestFolder() {
        let fs = InMemoryFileSystem(binary: ["deploy/models/kws.onnx": kwsModel])
        check("slipway: 1\nmodel: {path: models/kws.onnx}\ntargets: {a: {runtime: litert}}\n", fs: fs, path: "deploy/kws.slipway.yaml", [])
        check("slipway: 1\nmodel: {path: ⟦models/kws.onnx⟧}\ntargets: {a: {runtime: litert}}\n", fs: fs, path: "kws.slipway.yaml", [
            Expected(.modelNotFound, "model file 'models/kws.onnx' not found")
        ])
    }

    @Test func missingModelSuggestsTheClosestFile() {
        let m = MarkedText("slipway: 1\nmodel: {path: ⟦models/kws.onx⟧}\ntargets: {a: {runtime: litert}}\n")
        let r = ManifestChecker(fileSystem: projectFiles).check(bytes: Array(m.text.utf8), path: "kws.slipway.yaml")
        #expect(r.diagnostics.first?.message.contains("did you mean 'models/kws.onnx'?") == true)
        #expect(r.diagnostics.first?.fixes.first?.edits == [TextEdit(range: m.ranges[0], newText: "models/kws.onnx")])
    }

    @Test func missingFolderIsSaid() {
        check("slipway: 1\nmodel: {path: ⟦weights/kws.onnx⟧}\ntargets: {a: {runtime: litert}}\n", [
            Expected(.modelNotFound, "the folder 'weights' does not exist either")
        ])
    }

    @Test func modelPathThatIsAFolder() {
        check("slipway: 1\nmodel: {path: ⟦models⟧}\ntargets: {a: {runtime: litert}}\n", [Expected(.modelNotAFile, "is a directory")])
    }

    @Test func dataPathsAreWarningsAndTargetCalibrationCounts() {
        check("""
            slipway: 1
            model: {path: models/kws.onnx}
            targets:
              a: {runtime: onnxruntime, optimize: {quantize: {activations: int8, calibration: ⟦data/cal/⟧}}}
            test: {samples: ⟦data/tests⟧}
            """, [
            Expected(.dataPathNotFound, "calibration data 'data/cal/' not found; did you mean 'data/calib'?"),
            Expected(.dataPathNotFound, "test samples 'data/tests' not found"),
        ])
    }

    @Test func outputsThatLeaveTheProjectAreWarnings() {
        check("""
            slipway: 1
            model: {path: models/kws.onnx}
            targets:
              a: {runtime: litert, output: ⟦/tmp/a.tflite⟧}
              b: {runtime: litert}
            deploy: {to: ⟦"../x/{target}.{ext}"⟧}
            """, [
            Expected(.pathEscapesProject, "'/tmp/a.tflite' writes outside"),
            Expected(.pathEscapesProject, "'../x/{target}.{ext}' writes outside"),
        ])
    }

    @Test func outputsAreNormalisedAsTextBeforeTheyAreChecked() {
        check("""
            slipway: 1
            model: {path: models/kws.onnx}
            targets:
              a: {runtime: litert, output: ⟦nosuchdir/../../x.onnx⟧}
              b: {runtime: litert, output: nosuchdir/../x.onnx}
            """, [Expected(.pathEscapesProject, "'nosuchdir/../../x.onnx' writes outside the manifest's folder (target a: nosuchdir/../../x.onnx)")])
        check("""
            slipway: 1
            model: {path: models/kws.onnx}
            targets: {a: {runtime: litert}, b: {runtime: litert}}
            deploy: {to: ⟦"dist/../../x.{ext}"⟧}
            """, [Expected(.pathEscapesProject, "'dist/../../x.{ext}' writes outside the manifest's folder (target a: dist/../../x.tflite)")])
    }

    @Test func aVersionThatClimbsOutIsBlamedOnTheVersion() {
        check("""
            slipway: 1
            model: {path: models/kws.onnx}
            targets: {a: {runtime: litert}}
            deploy: {to: "dist/{version}/kws.{ext}", version: ⟦../../../v⟧}
            """, [Expected(.pathEscapesProject, "'../../../v' writes outside the manifest's folder (target a: dist/../../../v/kws.tflite)")])
    }
}

@Suite struct SuppressionSpec {
    @Test func commentOnTheLineBeforeSuppressesThatCode() {
        check("slipway: 1\n# slipway-ignore: SW2007\nname: no\nmodel: {path: models/kws.onnx}\ntargets: {a: {runtime: litert}}\n", [])
    }

    @Test func commentSuppressesOnlyTheNextLine() {
        check("slipway: 1\n⟦# slipway-ignore: SW2007⟧\nname: ok\ndescription: ⟦no⟧\nmodel: {path: models/kws.onnx}\ntargets: {a: {runtime: litert}}\n", [
            Expected(.unusedSuppression), Expected(.yaml11Boolean),
        ])
    }

    @Test func fileWideSuppression() {
        check("# slipway-ignore-file: SW2007, SW3003\nslipway: 1\nname: no\ndescription: off\nmodel: {path: models/kws.onnx}\ntest: {samples: nowhere}\ntargets: {a: {runtime: litert}}\n", [])
    }

    @Test func unusedAndUnknownSuppressionsAreReported() {
        check("slipway: 1\n⟦# slipway-ignore: SW2004⟧\nmodel: {path: models/kws.onnx}\n⟦# slipway-ignore: SW9999⟧\ntargets: {a: {runtime: litert}}\n", [
            Expected(.unusedSuppression, "suppresses nothing on the next line"),
            Expected(.unusedSuppression, "unknown diagnostic code 'SW9999'"),
        ])
    }

    @Test func hashInsideQuotesIsNotAComment() {
        check("slipway: 1\nname: ⟦\"a # slipway-ignore: SW2006\"⟧\nmodel: {path: models/kws.onnx}\ntargets: {a: {runtime: litert}}\n", [
            Expected(.invalidFormat)
        ])
    }
}


@Suite struct SuggestionCostSpec {
    /// A model path in a folder of thousands of files: the did-you-mean stays a linear scan with cheap
    /// rejections, and still finds the near miss.
    @Test func aBigFolderStillSuggestsTheNearMiss() {
        var files: [String: String] = ["models/kws.onnx": "x"]
        for i in 0..<5000 { files["models/unrelated-file-number-\(i).bin"] = "" }
        let fs = InMemoryFileSystem(files: files)
        let r = ManifestChecker(fileSystem: fs).check(
            bytes: Array("slipway: 1\nmodel: {path: models/kws.onx}\n".utf8), path: "k.slipway.yaml")
        #expect(r.diagnostics.first { $0.code == .modelNotFound }?.message.contains("did you mean 'models/kws.onnx'?") == true)
    }
}
