/// A bounded parser of the Python subset `torch.jit.save` prints into an archive's `code/__torch__/**.py`:
/// classes (attribute declarations, `__parameters__`, `__annotations__["0"] = T`, constants, methods) and
/// module-level functions, whose bodies are assignments, calls, `if`/`else`, `for … in range(…)`, `with`,
/// `return`. Nothing is executed: the result is a syntax tree that `TorchScriptEvaluator` walks abstractly.
/// Anything outside the subset fails the file with its name and line.
struct TorchScriptProgram: Sendable {
    var classes: [String: Class] = [:]
    /// Module-level functions by qualified name (`__torch__.torch.nn.functional.pad`).
    var functions: [String: Function] = [:]

    struct Class: Sendable {
        var name: String
        /// Declared attributes and their types as written (`conv1 : __torch__.torch.nn.modules.conv.Conv2d`).
        var attributeTypes: [String: String] = [:]
        /// Class constants (`num_layers : Final[int] = 2`, `__constants__`).
        var constants: [String: Expr] = [:]
        var methods: [String: Function] = [:]
    }

    struct Function: Sendable {
        var name: String
        var parameters: [String]
        var parameterTypes: [String]
        var defaults: [Expr?]
        var body: [Statement]
        var file: String
        var line: Int
    }

    indirect enum Expr: Sendable {
        case name(String)
        case int(Int64)
        case float(Double)
        case string(String)
        case bool(Bool)
        case none
        case attribute(Expr, String)
        case call(Expr, [Expr], [(String, Expr)])
        case `subscript`(Expr, [Expr])
        case slice(Expr?, Expr?, Expr?)
        case list([Expr])
        case tuple([Expr])
        case unary(String, Expr)
        case binary(String, Expr, Expr)
        case conditional(Expr, Expr, Expr)

        /// `torch.relu` → "torch.relu"; nil for anything but a dotted name.
        var dotted: String? {
            switch self {
            case .name(let n): return n
            case .attribute(let base, let n): return base.dotted.map { $0 + "." + n }
            default: return nil
            }
        }
    }

    indirect enum Statement: Sendable {
        case assign([Expr], Expr, line: Int)
        case expression(Expr, line: Int)
        case `return`(Expr?, line: Int)
        case `if`(Expr, [Statement], [Statement], line: Int)
        case `for`(String, Expr, [Statement], line: Int)
        /// `while cond:` as TorchScript prints a loop (its condition a local the body's last assignment updates).
        case `while`(Expr, [Statement], line: Int)
        case with([Statement], line: Int)
        case pass
        case `break`(line: Int)
        case `continue`(line: Int)
    }

    struct Failure: Error {
        var message: String
    }

    static let maxFileBytes = 4 << 20
    static let maxTotalBytes = 64 << 20
    static let maxDepth = 100

    /// Parses one file, `path` its name in the archive (`code/__torch__/torch/nn/modules/conv.py`): its
    /// classes and functions are named by the module the path spells (`__torch__.torch.nn.modules.conv`).
    mutating func parse(_ text: [UInt8], path: String, module: String) throws(Failure) {
        guard text.count <= Self.maxFileBytes else { throw Failure(message: "\(path): \(text.count) bytes, over the \(Self.maxFileBytes)-byte limit") }
        var lexer = Lexer(bytes: text, path: path)
        let tokens = try lexer.run()
        var p = Parser(tokens: tokens, path: path)
        try p.file(module: module, into: &self)
    }
}

// MARK: - Tokens

struct TorchScriptToken: Sendable {
    enum Kind: Equatable, Sendable { case name, int, float, string, op, newline, indent, dedent, end }
    var kind: Kind
    var text: String
    var line: Int
}

private struct Lexer {
    let bytes: [UInt8]
    let path: String
    var i = 0
    var line = 1
    var tokens: [TorchScriptToken] = []
    var indents: [Int] = [0]
    var depth = 0  // brackets open: newlines inside are not statements' ends

    func fail(_ m: String) -> TorchScriptProgram.Failure { .init(message: "\(path):\(line): \(m)") }

    mutating func run() throws(TorchScriptProgram.Failure) -> [TorchScriptToken] {
        var atLineStart = true
        while i < bytes.count {
            if atLineStart && depth == 0 {
                var col = 0
                while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 { col += 1; i += 1 }
                if i >= bytes.count { break }
                if bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x23 { skipLine(); continue }  // blank or comment
                if col > indents.last! {
                    guard indents.count < TorchScriptProgram.maxDepth else { throw fail("nests deeper than \(TorchScriptProgram.maxDepth) blocks") }
                    indents.append(col)
                    tokens.append(.init(kind: .indent, text: "", line: line))
                } else {
                    while col < indents.last! {
                        indents.removeLast()
                        tokens.append(.init(kind: .dedent, text: "", line: line))
                    }
                    guard col == indents.last! else { throw fail("an indentation that matches no enclosing block") }
                }
                atLineStart = false
            }
            let c = bytes[i]
            switch c {
            case 0x20, 0x09, 0x0D: i += 1
            case 0x0A:
                i += 1
                if depth == 0 {
                    if let last = tokens.last, last.kind != .newline, last.kind != .indent, last.kind != .dedent {
                        tokens.append(.init(kind: .newline, text: "", line: line))
                    }
                    atLineStart = true
                }
                line += 1
            case 0x23: skipLine(); if depth == 0 { atLineStart = true }
            case 0x5C where i + 1 < bytes.count && bytes[i + 1] == 0x0A: i += 2; line += 1  // explicit continuation
            case 0x22, 0x27: tokens.append(.init(kind: .string, text: try string(quote: c), line: line))
            case 0x30...0x39: tokens.append(try number())
            case 0x2E where i + 1 < bytes.count && (0x30...0x39).contains(bytes[i + 1]): tokens.append(try number())
            default:
                if c == 0x5F || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || c >= 0x80 {
                    let start = i
                    while i < bytes.count, bytes[i] == 0x5F || (bytes[i] | 0x20 >= 0x61 && bytes[i] | 0x20 <= 0x7A) || (0x30...0x39).contains(bytes[i]) || bytes[i] >= 0x80 { i += 1 }
                    tokens.append(.init(kind: .name, text: String(decoding: bytes[start..<i], as: UTF8.self), line: line))
                } else {
                    tokens.append(.init(kind: .op, text: try op(), line: line))
                }
            }
        }
        if tokens.last.map({ $0.kind != .newline && $0.kind != .dedent }) ?? false { tokens.append(.init(kind: .newline, text: "", line: line)) }
        while indents.count > 1 { indents.removeLast(); tokens.append(.init(kind: .dedent, text: "", line: line)) }
        tokens.append(.init(kind: .end, text: "", line: line))
        return tokens
    }

    mutating func skipLine() {
        while i < bytes.count, bytes[i] != 0x0A { i += 1 }
        if i < bytes.count { i += 1; line += 1 }
    }

    mutating func op() throws(TorchScriptProgram.Failure) -> String {
        let three = ["**=", "//=", "..."], two = ["==", "!=", "<=", ">=", "->", "//", "**", "+=", "-=", "*=", "/="]
        for set in [three, two] {
            for o in set where i + o.utf8.count <= bytes.count && Array(bytes[i..<(i + o.utf8.count)]) == Array(o.utf8) {
                i += o.utf8.count
                return o
            }
        }
        let c = bytes[i]
        guard "()[]{},:.=+-*/%<>@~&|^".utf8.contains(c) else { throw fail("an unexpected character (byte \(c))") }
        i += 1
        if c == 0x28 || c == 0x5B || c == 0x7B {
            depth += 1
            guard depth <= TorchScriptProgram.maxDepth else { throw fail("brackets nest deeper than \(TorchScriptProgram.maxDepth)") }
        }
        if c == 0x29 || c == 0x5D || c == 0x7D { depth = max(0, depth - 1) }
        return String(UnicodeScalar(c))
    }

    mutating func number() throws(TorchScriptProgram.Failure) -> TorchScriptToken {
        let start = i
        var isFloat = false
        while i < bytes.count {
            let c = bytes[i]
            if (0x30...0x39).contains(c) || c == 0x5F { i += 1; continue }
            if c == 0x2E || c == 0x65 || c == 0x45 { isFloat = true; i += 1
                if (c == 0x65 || c == 0x45), i < bytes.count, bytes[i] == 0x2D || bytes[i] == 0x2B { i += 1 }
                continue
            }
            if c == 0x6A { throw fail("a complex literal") }
            break
        }
        return .init(kind: isFloat ? .float : .int, text: String(decoding: bytes[start..<i], as: UTF8.self), line: line)
    }

    mutating func string(quote: UInt8) throws(TorchScriptProgram.Failure) -> String {
        i += 1
        var out: [UInt8] = []
        while i < bytes.count, bytes[i] != quote {
            if bytes[i] == 0x0A { throw fail("a string that runs past its line") }
            if bytes[i] == 0x5C, i + 1 < bytes.count {
                i += 1
                switch bytes[i] {
                case 0x6E: out.append(0x0A)
                case 0x74: out.append(0x09)
                default: out.append(bytes[i])
                }
            } else {
                out.append(bytes[i])
            }
            i += 1
        }
        guard i < bytes.count else { throw fail("an unterminated string") }
        i += 1
        return String(decoding: out, as: UTF8.self)
    }
}

// MARK: - Grammar

private struct Parser {
    typealias Expr = TorchScriptProgram.Expr
    typealias Statement = TorchScriptProgram.Statement
    let tokens: [TorchScriptToken]
    let path: String
    var k = 0
    var depth = 0

    var current: TorchScriptToken { tokens[k] }
    func fail(_ m: String) -> TorchScriptProgram.Failure { .init(message: "\(path):\(current.line): \(m)") }
    func isOp(_ s: String) -> Bool { current.kind == .op && current.text == s }
    func isName(_ s: String) -> Bool { current.kind == .name && current.text == s }
    mutating func advance() { if k < tokens.count - 1 { k += 1 } }
    mutating func expect(_ s: String) throws(TorchScriptProgram.Failure) {
        guard (current.kind == .op || current.kind == .name) && current.text == s else { throw fail("expected '\(s)', found '\(current.text)'") }
        advance()
    }
    mutating func name() throws(TorchScriptProgram.Failure) -> String {
        guard current.kind == .name else { throw fail("expected a name, found '\(current.text)'") }
        defer { advance() }
        return current.text
    }
    mutating func enter() throws(TorchScriptProgram.Failure) {
        depth += 1
        guard depth <= TorchScriptProgram.maxDepth else { throw fail("nests deeper than \(TorchScriptProgram.maxDepth) levels") }
    }

    mutating func file(module: String, into program: inout TorchScriptProgram) throws(TorchScriptProgram.Failure) {
        while current.kind != .end {
            if current.kind == .newline { advance(); continue }
            if isName("class") {
                advance()
                let n = try name()
                if isOp("(") { try skipBalanced() }
                try expect(":")
                let c = try classBody(qualified: module + "." + n)
                program.classes[c.name] = c
            } else if isName("def") {
                let f = try function()
                program.functions[module + "." + f.name] = f
            } else if isName("import") || isName("from") {
                skipToNewline()
            } else {
                // A module-level assignment (a constant): not read.
                skipToNewline()
            }
        }
    }

    mutating func skipToNewline() {
        var d = 0
        while current.kind != .end {
            if current.kind == .indent { d += 1 }
            if current.kind == .dedent { d -= 1 }
            if current.kind == .newline && d <= 0 { advance(); if d == 0 { return } }
            advance()
            if d < 0 { return }
        }
    }

    mutating func skipBalanced() throws(TorchScriptProgram.Failure) {
        var d = 0
        repeat {
            if isOp("(") || isOp("[") { d += 1 }
            if isOp(")") || isOp("]") { d -= 1 }
            guard current.kind != .end else { throw fail("an unclosed bracket") }
            advance()
        } while d > 0
    }

    /// A type as written, up to `stop` at bracket depth 0.
    mutating func typeText(stop: Set<String>) throws(TorchScriptProgram.Failure) -> String {
        var text = ""
        var d = 0
        while current.kind != .end, current.kind != .newline {
            if current.kind == .op {
                if d == 0 && stop.contains(current.text) { break }
                if current.text == "[" || current.text == "(" { d += 1 }
                if current.text == "]" || current.text == ")" { if d == 0 { break }; d -= 1 }
            }
            text += current.text
            advance()
        }
        return text
    }

    mutating func classBody(qualified: String) throws(TorchScriptProgram.Failure) -> TorchScriptProgram.Class {
        var c = TorchScriptProgram.Class(name: qualified)
        guard current.kind == .newline else { skipToNewline(); return c }
        advance()
        guard current.kind == .indent else { throw fail("a class without a body") }
        advance()
        while current.kind != .dedent && current.kind != .end {
            if current.kind == .newline { advance(); continue }
            if isName("def") {
                let f = try function()
                c.methods[f.name] = f
            } else if isName("__annotations__") {
                advance()
                try expect("[")
                guard current.kind == .string else { throw fail("an __annotations__ key that is not a string") }
                let key = current.text
                advance()
                try expect("]")
                try expect("=")
                c.attributeTypes[key] = try typeText(stop: [])
                skipToNewline()
            } else if current.kind == .name {
                let n = try name()
                if isOp(":") {
                    advance()
                    let t = try typeText(stop: ["="])
                    c.attributeTypes[n] = t
                    if isOp("=") { advance(); c.constants[n] = try expression() }
                } else if isOp("=") {
                    advance()
                    c.constants[n] = try expression()
                }
                skipToNewline()
            } else {
                skipToNewline()
            }
        }
        if current.kind == .dedent { advance() }
        return c
    }

    mutating func function() throws(TorchScriptProgram.Failure) -> TorchScriptProgram.Function {
        let line = current.line
        try expect("def")
        let n = try name()
        try expect("(")
        var params: [String] = [], types: [String] = [], defaults: [Expr?] = []
        while !isOp(")") {
            if isOp("*") { advance(); if isOp(",") { advance() }; continue }
            params.append(try name())
            if isOp(":") { advance(); types.append(try typeText(stop: [",", "=", ")"])) } else { types.append("") }
            if isOp("=") { advance(); defaults.append(try expression()) } else { defaults.append(nil) }
            if isOp(",") { advance() } else if !isOp(")") { throw fail("expected ',' or ')' in the parameters of \(n)") }
        }
        advance()
        if isOp("->") { advance(); _ = try typeText(stop: [":"]) }
        try expect(":")
        let body = try block()
        return .init(name: n, parameters: params, parameterTypes: types, defaults: defaults, body: body, file: path, line: line)
    }

    /// After a `:`: an indented block, or one simple statement on the same line.
    mutating func block() throws(TorchScriptProgram.Failure) -> [Statement] {
        try enter()
        defer { depth -= 1 }
        guard current.kind == .newline else { return [try simple()] }
        advance()
        guard current.kind == .indent else { throw fail("expected an indented block") }
        advance()
        var out: [Statement] = []
        while current.kind != .dedent && current.kind != .end {
            if current.kind == .newline { advance(); continue }
            out.append(try statement())
        }
        if current.kind == .dedent { advance() }
        return out
    }

    mutating func statement() throws(TorchScriptProgram.Failure) -> Statement {
        let line = current.line
        if isName("if") || isName("elif") {
            advance()
            let cond = try expression()
            try expect(":")
            let then = try block()
            var other: [Statement] = []
            if isName("elif") {
                other = [try statement()]
            } else if isName("else") {
                advance()
                try expect(":")
                other = try block()
            }
            return .if(cond, then, other, line: line)
        }
        if isName("for") {
            advance()
            var v = try name()
            while isOp(",") { advance(); if current.kind == .name { v += "," + (try name()) } }
            try expect("in")
            let iter = try expression()
            try expect(":")
            return .for(v, iter, try block(), line: line)
        }
        if isName("while") {
            advance()
            let cond = try expression()
            try expect(":")
            return .while(cond, try block(), line: line)
        }
        if isName("with") {
            advance()
            _ = try expression()
            if isName("as") { advance(); _ = try name() }
            try expect(":")
            return .with(try block(), line: line)
        }
        if isName("def") || isName("class") { throw fail("a nested definition (not read)") }
        return try simple()
    }

    mutating func simple() throws(TorchScriptProgram.Failure) -> Statement {
        let line = current.line
        defer { if current.kind == .newline { advance() } }
        if isName("pass") { advance(); return .pass }
        if isName("break") { advance(); return .break(line: line) }
        if isName("continue") { advance(); return .continue(line: line) }
        if isName("return") {
            advance()
            if current.kind == .newline || current.kind == .dedent || current.kind == .end { return .return(nil, line: line) }
            return .return(try expressionList(), line: line)
        }
        if isName("raise") || isName("assert") || isName("del") || isName("global") {
            // Raising ends the run: kept as the call TorchScript prints for it.
            skipToNewlineKeepingNewline()
            return .expression(.call(.name("ops.prim.RaiseException"), [], []), line: line)
        }
        let first = try expressionList()
        if isOp("=") {
            var targets = [first]
            var value = first
            while isOp("=") {
                advance()
                value = try expressionList()
                targets.append(value)
            }
            targets.removeLast()
            return .assign(targets, value, line: line)
        }
        if current.kind == .op, ["+=", "-=", "*=", "/=", "//="].contains(current.text) {
            let o = String(current.text.dropLast())
            advance()
            let v = try expression()
            return .assign([first], .binary(o, first, v), line: line)
        }
        if current.kind == .op && current.text == ":" {
            // An annotated local (`x : int = 3`).
            advance()
            _ = try typeText(stop: ["="])
            if isOp("=") { advance(); return .assign([first], try expression(), line: line) }
            return .pass
        }
        guard current.kind == .newline || current.kind == .dedent || current.kind == .end else { throw fail("unexpected '\(current.text)' after a statement") }
        return .expression(first, line: line)
    }

    mutating func skipToNewlineKeepingNewline() {
        while current.kind != .newline && current.kind != .end && current.kind != .dedent { advance() }
    }

    /// `a, b,` → a tuple; one expression alone stays itself.
    mutating func expressionList() throws(TorchScriptProgram.Failure) -> Expr {
        let first = try expression()
        guard isOp(",") else { return first }
        var items = [first]
        while isOp(",") {
            advance()
            if current.kind == .newline || isOp("=") || isOp(")") || isOp(":") { break }
            items.append(try expression())
        }
        return .tuple(items)
    }

    mutating func expression() throws(TorchScriptProgram.Failure) -> Expr {
        try enter()
        defer { depth -= 1 }
        let e = try or()
        if isName("if") {
            advance()
            let c = try or()
            try expect("else")
            return .conditional(c, e, try expression())
        }
        return e
    }

    mutating func or() throws(TorchScriptProgram.Failure) -> Expr {
        var e = try and()
        while isName("or") { advance(); e = .binary("or", e, try and()) }
        return e
    }

    mutating func and() throws(TorchScriptProgram.Failure) -> Expr {
        var e = try not()
        while isName("and") { advance(); e = .binary("and", e, try not()) }
        return e
    }

    mutating func not() throws(TorchScriptProgram.Failure) -> Expr {
        if isName("not") {
            advance()
            try enter()
            defer { depth -= 1 }
            return .unary("not", try not())
        }
        return try comparison()
    }

    mutating func comparison() throws(TorchScriptProgram.Failure) -> Expr {
        var e = try additive()
        while true {
            if current.kind == .op, ["==", "!=", "<", ">", "<=", ">="].contains(current.text) {
                let o = current.text
                advance()
                e = .binary(o, e, try additive())
            } else if isName("is") {
                advance()
                if isName("not") { advance(); e = .binary("is not", e, try additive()) } else { e = .binary("is", e, try additive()) }
            } else if isName("in") {
                advance()
                e = .binary("in", e, try additive())
            } else if isName("not"), k + 1 < tokens.count, tokens[k + 1].kind == .name, tokens[k + 1].text == "in" {
                advance(); advance()
                e = .binary("not in", e, try additive())
            } else {
                return e
            }
        }
    }

    mutating func additive() throws(TorchScriptProgram.Failure) -> Expr {
        var e = try multiplicative()
        while isOp("+") || isOp("-") || isOp("&") || isOp("|") || isOp("^") {
            let o = current.text
            advance()
            e = .binary(o, e, try multiplicative())
        }
        return e
    }

    mutating func multiplicative() throws(TorchScriptProgram.Failure) -> Expr {
        var e = try unary()
        while isOp("*") || isOp("/") || isOp("//") || isOp("%") || isOp("@") {
            let o = current.text
            advance()
            e = .binary(o, e, try unary())
        }
        return e
    }

    mutating func unary() throws(TorchScriptProgram.Failure) -> Expr {
        if isOp("-") || isOp("+") || isOp("~") {
            let o = current.text
            advance()
            try enter()
            defer { depth -= 1 }
            return .unary(o, try unary())
        }
        let base = try postfix()
        if isOp("**") { advance(); return .binary("**", base, try unary()) }
        return base
    }

    mutating func postfix() throws(TorchScriptProgram.Failure) -> Expr {
        var e = try atom()
        var steps = 0
        while true {
            steps += 1
            guard steps <= 10_000 else { throw fail("an expression of over 10,000 calls and subscripts") }
            if isOp(".") {
                advance()
                e = .attribute(e, try name())
            } else if isOp("(") {
                advance()
                var args: [Expr] = [], keywords: [(String, Expr)] = []
                while !isOp(")") {
                    if current.kind == .name, k + 1 < tokens.count, tokens[k + 1].kind == .op, tokens[k + 1].text == "=" {
                        let n = try name()
                        advance()
                        keywords.append((n, try expression()))
                    } else {
                        if isOp("*") { advance() }
                        args.append(try expression())
                    }
                    if isOp(",") { advance() } else if !isOp(")") { throw fail("expected ',' or ')' in a call") }
                }
                advance()
                e = .call(e, args, keywords)
            } else if isOp("[") {
                advance()
                var items: [Expr] = []
                while !isOp("]") {
                    items.append(try subscriptItem())
                    if isOp(",") { advance() } else if !isOp("]") { throw fail("expected ',' or ']' in a subscript") }
                }
                advance()
                e = .subscript(e, items)
            } else {
                return e
            }
        }
    }

    mutating func subscriptItem() throws(TorchScriptProgram.Failure) -> Expr {
        var parts: [Expr?] = [nil]
        var sawColon = false
        while true {
            if isOp(":") { sawColon = true; parts.append(nil); advance(); continue }
            if isOp(",") || isOp("]") { break }
            parts[parts.count - 1] = try expression()
        }
        guard sawColon else { return parts[0] ?? .none }
        while parts.count < 3 { parts.append(nil) }
        return .slice(parts[0], parts[1], parts[2])
    }

    mutating func atom() throws(TorchScriptProgram.Failure) -> Expr {
        let t = current
        switch t.kind {
        case .int:
            advance()
            let digits = String(t.text.filter { $0 != "_" })
            if let v = Int64(digits) { return .int(v) }
            if digits.hasPrefix("0x"), let v = Int64(digits.dropFirst(2), radix: 16) { return .int(v) }
            throw fail("an integer literal out of range: \(t.text)")
        case .float:
            advance()
            guard let v = Double(String(t.text.filter { $0 != "_" })) else { throw fail("a malformed number \(t.text)") }
            return .float(v)
        case .string:
            advance()
            var s = t.text
            while current.kind == .string { s += current.text; advance() }  // adjacent literals
            return .string(s)
        case .name:
            advance()
            switch t.text {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            case "inf": return .float(.infinity)
            case "nan": return .float(.nan)
            default: return .name(t.text)
            }
        case .op where t.text == "(":
            advance()
            if isOp(")") { advance(); return .tuple([]) }
            let first = try expression()
            if isOp(")") { advance(); return first }
            var items = [first]
            while isOp(",") {
                advance()
                if isOp(")") { break }
                items.append(try expression())
            }
            try expect(")")
            return .tuple(items)
        case .op where t.text == "[":
            advance()
            var items: [Expr] = []
            while !isOp("]") {
                items.append(try expression())
                if isOp(",") { advance() } else if !isOp("]") { throw fail("expected ',' or ']' in a list") }
            }
            advance()
            return .list(items)
        case .op where t.text == "{":
            advance()
            var items: [Expr] = []
            while !isOp("}") {
                items.append(try expression())
                if isOp(":") { advance(); items.append(try expression()) }
                if isOp(",") { advance() } else if !isOp("}") { throw fail("expected ',' or '}' in a dict") }
            }
            advance()
            return .call(.name("dict"), items, [])
        default:
            throw fail("unexpected '\(t.text)'")
        }
    }
}

/// A module attribute's plain value as data.pkl stores it.
enum TorchScriptConstant: Sendable {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case list([TorchScriptConstant])
}

/// What a TorchScript archive holds besides its weights: the parsed code, the root module's class, and the
/// modules' plain attributes by path.
struct TorchScriptArchive: Sendable {
    var program: TorchScriptProgram
    var rootClass: String?
    var attributes: [String: TorchScriptConstant]
    /// `constants.pkl`'s tensors by the name the code gives them (`CONSTANTS.c0`).
    var constants: [String: Constant] = [:]
    struct Constant: Sendable {
        var shape: [Int]
        /// The value of a one-element integer tensor.
        var scalar: Int?
    }
    /// Why the code was not read ("code/__torch__/m.py:12: a while loop (not read)"), when it was not.
    var failure: String? = nil

    /// Why the root module's `forward` cannot be evaluated, naming the file and line where the parser stopped.
    var whyNotRead: String? {
        if let failure { return failure }
        guard let root = rootClass else { return "data.pkl's root is not a TorchScript module" }
        if program.classes[root]?.methods["forward"] == nil { return "\(root) has no forward in the archive's code" }
        return nil
    }
}
