#if canImport(Glibc)
import Glibc
#endif
import Checking
import Diagnostics
import Testing
import TestSupport

/// Hostile or broken files: each gets one clear diagnostic, in bounded time and memory, and checking goes on.
@Suite struct BadInputSpec {
    let checker = ManifestChecker(fileSystem: projectFiles)

    func codes(_ bytes: [UInt8]) -> [DiagnosticCode] {
        checker.check(bytes: bytes, path: "x.slipway.yaml").diagnostics.map(\.code)
    }

    @Test func binaryFile() {
        #expect(codes([0x08, 0x07, 0x12, 0x00, 0xFF, 0x10]) == [.fileNotText])
    }

    @Test func invalidUTF8() {
        #expect(codes(Array("slipway: 1\nname: caf".utf8) + [0xE9] + Array("\n".utf8)) == [.fileNotText])
    }

    @Test func emptyFile() {
        #expect(codes([]) == [.missingRequiredKey])
    }

    @Test func byteOrderMarkIsFine() {
        #expect(codes([0xEF, 0xBB, 0xBF] + Array("slipway: 1\nmodel: {path: models/kws.onnx}\ntargets: {a: {runtime: litert}}\n".utf8)) == [])
    }

    @Test func tenThousandOpenBrackets() {
        #expect(codes(Array(String(repeating: "[", count: 10_000).utf8)) == [.nestingTooDeep])
    }

    @Test func aliasBomb() {
        var doc = "slipway: 1\nmodel: {path: models/kws.onnx}\ntargets: {a: {runtime: litert}}\nx-0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...9 { doc += "x-\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ",") + "]\n" }
        #expect(codes(Array(doc.utf8)) == [.aliasExpansionLimit])
    }

    @Test func fiftyMegabyteFileIsRefusedBeforeParsing() {
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: 50 << 20)
        #expect(codes(big) == [.fileTooLarge])
    }

    @Test func largeButLegalManifestParses() {
        var doc = "slipway: 1\nmodel: {path: models/kws.onnx}\ntargets:\n"
        for i in 0..<2000 { doc += "  t\(i): {runtime: litert}\n" }
        #expect(codes(Array(doc.utf8)) == [])
    }

    @Test func directoryGivenAsAFileOnDisk() throws {
        var template = Array("/tmp/slipway-test-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { buf -> String? in
            guard let base = buf.baseAddress, let made = mkdtemp(base) else { return nil }
            return String(cString: made)
        }
        guard let dir else { Issue.record("mkdtemp failed"); return }
        defer { rmdir(dir + "/d.slipway.yaml"); rmdir(dir) }
        mkdir(dir + "/d.slipway.yaml", 0o755)
        let r = ManifestChecker().check(path: dir + "/d.slipway.yaml")
        #expect(r.diagnostics.map(\.code) == [.fileUnreadable])
        #expect(r.diagnostics.first?.message.contains("is a directory") == true)
    }
}
