import JSON
import Testing

@Suite struct JSONSpec {
    @Test func roundTripsEscapesAndUnicode() throws {
        let v: JSONValue = ["a\"b": "line\nbreak\t\u{01} \u{2028} 名🚀 \\", "n": [1, 2.5, -3, true, nil], "o": [:]]
        let text = v.serialized()
        #expect(text == #"{"a\"b":"line\nbreak\t\u0001 \u2028 名🚀 \\","n":[1,2.5,-3,true,null],"o":{}}"#)
        #expect(try JSONValue.parse(text) == v)
        #expect(try JSONValue.parse(v.serialized(pretty: true)) == v)
    }

    @Test func prettyKeepsScalarArraysOnOneLineAndKeyOrder() {
        let v: JSONValue = ["z": [1, 2], "a": ["k": "v"]]
        #expect(v.serialized(pretty: true) == "{\n  \"z\": [1, 2],\n  \"a\": {\n    \"k\": \"v\"\n  }\n}")
    }

    @Test func parserRejectsWhatIsNotJSON() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\x\"", "tru", "[1] 2", "\"\u{01}\""] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSONValue.parse(bad) }
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
    }

    /// A repeated key replaces the first in place (the last value wins, at the first position), for small
    /// objects (keys compared in place) and large ones (keys indexed) alike.
    @Test(arguments: [3, 15, 16, 17, 40])
    func aRepeatedKeyReplacesInPlace(count: Int) throws {
        let keys = (0..<count).map { "k\($0)" }
        let text = "{" + (keys.map { "\"\($0)\": 1" } + ["\"k0\": 2", "\"k\(count - 1)\": 3", "\"new\": 4"])
            .joined(separator: ",") + "}"
        let o = try #require(try JSONValue.parse(text).objectValue)
        #expect(o.keys == keys + ["new"])
        #expect(o["k0"] == 2)
        #expect(o["k\(count - 1)"] == 3)
        #expect(o["new"] == 4)
    }

    @Test func surrogatePairsAndLoneSurrogates() throws {
        #expect(try JSONValue.parse(#""\ud83d\ude80""#) == "🚀")
        #expect(try JSONValue.parse(#""\ud83d""#) == "\u{FFFD}")
    }
}
