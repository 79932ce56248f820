import Testing
@testable import Diagnostics

/// Columns in every unit, for the characters that break byte-offset servers: CJK (3 bytes, 1 UTF-16 unit),
/// astral-plane emoji (4 bytes, 2 UTF-16 units), combining marks (a scalar of their own), tabs, CRLF, and
/// U+2028 which libyaml treats as a line break but LSP does not.
@Suite struct LineIndexSpec {
    @Test func asciiOffsetsAreColumnsInEveryUnit() {
        let idx = LineIndex("ab\ncd\n")
        for unit in ColumnUnit.allCases {
            #expect(idx.position(of: 4, unit: unit) == LineColumn(line: 1, column: 1))
            #expect(idx.offset(of: LineColumn(line: 1, column: 1), unit: unit) == 4)
        }
    }

    @Test func cjkCountsOneColumnButThreeBytes() {
        let text = "名前: x"
        let idx = LineIndex(text)
        let x = Array(text.utf8).firstIndex(of: UInt8(ascii: "x"))!
        #expect(idx.position(of: x, unit: .utf16).column == 4)
        #expect(idx.position(of: x, unit: .scalars).column == 4)
        #expect(idx.position(of: x, unit: .utf8).column == 8)
        #expect(idx.offset(of: LineColumn(line: 0, column: 4), unit: .utf16) == x)
    }

    @Test func astralEmojiIsTwoUTF16Units() {
        let text = "a: 🚀 x"
        let idx = LineIndex(text)
        let x = Array(text.utf8).firstIndex(of: UInt8(ascii: "x"))!
        #expect(idx.position(of: x, unit: .utf16).column == 6)
        #expect(idx.position(of: x, unit: .scalars).column == 5)
        #expect(idx.position(of: x, unit: .utf8).column == 8)
        #expect(idx.offset(of: LineColumn(line: 0, column: 6), unit: .utf16) == x)
        // A column inside the surrogate pair rounds down to the emoji's start.
        #expect(idx.offset(of: LineColumn(line: 0, column: 4), unit: .utf16) == 3)
    }

    @Test func combiningMarkIsItsOwnScalar() {
        let text = "e\u{301}x"  // é as e + COMBINING ACUTE ACCENT
        let idx = LineIndex(text)
        #expect(idx.position(of: 3, unit: .scalars).column == 2)
        #expect(idx.position(of: 3, unit: .utf16).column == 2)
    }

    @Test func tabIsOneColumn() {
        let idx = LineIndex("\tx")
        #expect(idx.position(of: 1, unit: .scalars).column == 1)
    }

    @Test func crlfAndLoneCRBreakLinesButU2028DoesNot() {
        let text = "a\r\nb\rc\u{2028}d\ne"
        let idx = LineIndex(text)
        #expect(idx.lineCount == 4)
        #expect(idx.lineText(0) == "a")
        #expect(idx.lineText(1) == "b")
        #expect(idx.lineText(2) == "c\u{2028}d")
        let d = Array(text.utf8).firstIndex(of: UInt8(ascii: "d"))!
        #expect(idx.position(of: d, unit: .utf16) == LineColumn(line: 2, column: 2))
        // An offset between CR and LF is the end of line 0.
        #expect(idx.position(of: 2, unit: .utf16) == LineColumn(line: 0, column: 1))
    }

    @Test func positionsPastTheEndClamp() {
        let idx = LineIndex("ab\ncd")
        #expect(idx.offset(of: LineColumn(line: 0, column: 99), unit: .utf16) == 2)
        #expect(idx.offset(of: LineColumn(line: 9, column: 0), unit: .utf16) == 5)
        #expect(idx.position(of: 99, unit: .utf16) == LineColumn(line: 1, column: 2))
    }

    @Test func roundTripsEveryCharacterBoundary() {
        let text = "k: 名🚀e\u{301}\t'x'\r\n  - ü\u{2028}z\n"
        let idx = LineIndex(text)
        var offset = 0
        for ch in text.unicodeScalars {
            for unit in ColumnUnit.allCases {
                let p = idx.position(of: offset, unit: unit)
                #expect(idx.offset(of: p, unit: unit) == offset || ch == "\n", "unit \(unit) offset \(offset)")
            }
            offset += String(ch).utf8.count
        }
    }
}
