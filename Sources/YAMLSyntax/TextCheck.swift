/// Checks that bytes are UTF-8 text before libyaml sees them, so that a binary file or a Latin-1 file gets
/// one clear diagnostic at the first bad byte instead of a cascade.
enum TextCheck {
    enum Problem: Equatable {
        case nulByte(offset: Int)
        case invalidUTF8(offset: Int, byte: UInt8)
    }

    static func firstProblem(_ b: [UInt8]) -> Problem? {
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c < 0x80 {
                if c == 0 { return .nulByte(offset: i) }
                i += 1
                continue
            }
            let need: Int
            let minScalar: UInt32
            var scalar: UInt32
            switch c {
            case 0xC2...0xDF: need = 1; minScalar = 0x80; scalar = UInt32(c & 0x1F)
            case 0xE0...0xEF: need = 2; minScalar = 0x800; scalar = UInt32(c & 0x0F)
            case 0xF0...0xF4: need = 3; minScalar = 0x10000; scalar = UInt32(c & 0x07)
            default: return .invalidUTF8(offset: i, byte: c)
            }
            // A sequence cut short by the end of the file.
            guard i + need < n else { return .invalidUTF8(offset: i, byte: c) }
            for k in 1...need {
                let cc = b[i + k]
                guard cc & 0xC0 == 0x80 else { return .invalidUTF8(offset: i + k, byte: cc) }
                scalar = scalar << 6 | UInt32(cc & 0x3F)
            }
            // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8.
            if scalar < minScalar || (0xD800...0xDFFF).contains(scalar) || scalar > 0x10FFFF {
                return .invalidUTF8(offset: i, byte: c)
            }
            i += need + 1
        }
        return nil
    }
}
