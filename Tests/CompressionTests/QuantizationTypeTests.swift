import Testing
@testable import Compression

@Test func quantizationTypeNamesAreTheCLIContract() {
    #expect(QuantizationType(rawValue: "int4") == .int4)
}
