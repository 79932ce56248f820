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

    @Test func surrogatePairsAndLoneSurrogates() throws {
        #expect(try JSONValue.parse(#""\ud83d\ude80""#) == "🚀")
        #expect(try JSONValue.parse(#""\ud83d""#) == "\u{FFFD}")
    }
}
