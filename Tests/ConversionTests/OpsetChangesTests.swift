import Testing

@testable import Conversion

@Suite("Opset changes table")
struct OpsetChangesTests {
    @Test("the embedded table lists the changes of meaning the upgrade rewrites or refuses, not type additions")
    func table() throws {
        let t = try OpsetChanges.load()
        #expect(t.versions(of: "Squeeze", from: 11, to: 21) == [13])
        #expect(t.versions(of: "Softmax", from: 12, to: 13) == [13])
        #expect(t.versions(of: "ReduceMean", from: 12, to: 21) == [18])
        #expect(t.versions(of: "Split", from: 11, to: 21) == [13, 18])
        #expect(t.versions(of: "GroupNormalization", from: 18, to: 21) == [21])
        // Types only (Relu 13, 14) or an optional addition (Cast 19's saturate): the old node means the same.
        #expect(t.versions(of: "Relu", from: 7, to: 21).isEmpty)
        #expect(t.versions(of: "Cast", from: 7, to: 21).isEmpty)
        #expect(t.versions(of: "Conv", from: 7, to: 21).isEmpty)
    }
}
