import CLibYAML
import Diagnostics

/// Bounds on what one text may cost to read. Exceeding one is a diagnostic, never a crash or a hang.
public struct YAMLLimits: Sendable {
    /// Manifests are small; a file past this is refused before parsing.
    public var maxBytes: Int
    /// Nesting deeper than this stops the parse (every later walk is recursive, so this bounds the stack).
    public var maxDepth: Int
    /// Nodes a document may reach through aliases in total ("billion laughs" guard).
    public var maxAliasExpansion: Int

    public init(maxBytes: Int = 8 << 20, maxDepth: Int = 128, maxAliasExpansion: Int = 100_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxAliasExpansion = maxAliasExpansion
    }
    public static let `default` = YAMLLimits()
}

/// Reads YAML with libyaml's event API into `YAMLNode` trees with exact byte ranges.
///
/// Parsing never fails: a syntax error becomes a diagnostic at the right place, and the documents read up
/// to it are returned (the open containers closed where the error stands).
public enum YAMLParser {
    public static func parse(_ text: String, limits: YAMLLimits = .default) -> YAMLStream {
        parse(bytes: Array(text.utf8), limits: limits)
    }

    public static func parse(bytes: [UInt8], limits: YAMLLimits = .default) -> YAMLStream {
        let index = LineIndex(bytes: bytes)
        func refuse(_ d: Diagnostic) -> YAMLStream {
            YAMLStream(documents: [], diagnostics: [d], lineIndex: index, isComplete: false)
        }
        if bytes.count > limits.maxBytes {
            return refuse(
                Diagnostic(
                    .fileTooLarge,
                    "file is \(bytes.count) bytes; a manifest may be at most \(limits.maxBytes) bytes (\(limits.maxBytes >> 20) MiB)",
                    at: .at(0)))
        }
        switch TextCheck.firstProblem(bytes) {
        case .nulByte(let o):
            return refuse(
                Diagnostic(.fileNotText, "binary file: NUL byte at offset \(o); a manifest is UTF-8 YAML text", at: ByteRange(o, o + 1)))
        case .invalidUTF8(let o, let b):
            let hex = String(b, radix: 16, uppercase: true)
            return refuse(
                Diagnostic(
                    .fileNotText,
                    "invalid UTF-8 byte 0x\(hex.count == 1 ? "0" + hex : hex) at offset \(o); save the file as UTF-8",
                    at: ByteRange(o, o + 1)))
        case nil: break
        }
        let bomLength = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var builder = TreeBuilder(bytes: bytes, base: bomLength, index: index, limits: limits)
        builder.run()
        return YAMLStream(
            documents: builder.documents, diagnostics: builder.diagnostics, lineIndex: index,
            isComplete: builder.complete)
    }
}

/// Turns libyaml events into trees. One frame per open container or document.
private struct TreeBuilder {
    struct Frame {
        enum Kind { case document, mapping, sequence }
        var kind: Kind
        var start: Int
        var tag: String?
        var anchor: String?
        var flow: Bool
        var pairs: [YAMLPair] = []
        var items: [YAMLNode] = []
        var pendingKey: YAMLNode?
        var keySeen: [String: ByteRange] = [:]
        var merges: [YAMLNode] = []
        var root: YAMLNode?
        /// Nodes in this container, aliases expanded (saturating), for the alias-expansion budget.
        var size = 1

        /// Mappings are small: keys are compared linearly, and hashed only past this many.
        static let linearKeyLimit = 16

        func firstKeyRange(_ k: String) -> ByteRange? {
            for p in pairs.prefix(Frame.linearKeyLimit) where !p.isMerged && p.key.scalar?.text == k && p.key.aliasRange == nil {
                return p.key.range
            }
            return pairs.count > Frame.linearKeyLimit ? keySeen[k] : nil
        }
    }

    let bytes: [UInt8]
    let base: Int
    let index: LineIndex
    let limits: YAMLLimits
    let offsets: ScalarOffsets
    var stack: [Frame] = []
    var documents: [YAMLDocument] = []
    var diagnostics: [Diagnostic] = []
    var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    var expansion = 0
    var expansionReported = false
    var complete = true
    var lastEnd = 0

    init(bytes: [UInt8], base: Int, index: LineIndex, limits: YAMLLimits) {
        self.bytes = bytes
        self.base = base
        self.index = index
        self.limits = limits
        offsets = ScalarOffsets(bytes: bytes, base: base)
    }

    func offset(_ m: yaml_mark_t) -> Int { offsets.byteOffset(Int(m.index)) }

    static func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let p else { return nil }
        return String(cString: UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))
    }

    mutating func run() {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            diagnostics.append(Diagnostic(.yamlSyntax, "libyaml could not allocate a parser", at: .at(0)))
            complete = false
            return
        }
        defer { yaml_parser_delete(&parser) }
        bytes.withUnsafeBufferPointer { buf in
            guard let basePtr = buf.baseAddress else {
                // Empty input: libyaml needs a valid pointer even for zero bytes.
                var empty: UInt8 = 0
                yaml_parser_set_input_string(&parser, &empty, 0)
                loop(&parser)
                return
            }
            yaml_parser_set_input_string(&parser, basePtr + base, buf.count - base)
            loop(&parser)
        }
    }

    mutating func loop(_ parser: inout yaml_parser_t) {
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else {
                reportError(parser)
                closeAll(at: errorOffset(parser))
                complete = false
                return
            }
            let stop = handle(event)
            let done = event.type == YAML_STREAM_END_EVENT
            yaml_event_delete(&event)
            if stop {
                closeAll(at: lastEnd)
                complete = false
                return
            }
            if done { return }
        }
    }

    func errorOffset(_ p: yaml_parser_t) -> Int {
        if p.error == YAML_READER_ERROR { return min(base + Int(p.problem_offset), bytes.count) }
        return offset(p.problem_mark)
    }

    mutating func reportError(_ p: yaml_parser_t) {
        let at = errorOffset(p)
        let problem = TreeBuilder.cString(p.problem) ?? "unknown error"
        var message = "YAML syntax error: \(problem)"
        if let context = TreeBuilder.cString(p.context), p.error != YAML_READER_ERROR {
            let cl = index.position(of: offset(p.context_mark), unit: .scalars)
            message += " (\(context) at line \(cl.line + 1), column \(cl.column + 1))"
        }
        if let hint = hint(problem: problem, at: at) { message += "; \(hint)" }
        // One character wide, so the editor underlines the spot without smearing to the end of the file.
        var end = at
        if at < bytes.count, bytes[at] != 0x0A, bytes[at] != 0x0D { end = at + ScalarOffsets.width(bytes[at]) }
        diagnostics.append(Diagnostic(.yamlSyntax, message, at: ByteRange(at, min(end, bytes.count))))
    }

    static func cString(_ p: UnsafePointer<CChar>?) -> String? {
        guard let p else { return nil }
        return String(cString: p)
    }

    func hint(problem: String, at: Int) -> String? {
        let c: UInt8? = at < bytes.count ? bytes[at] : nil
        if c == 0x09 { return "YAML indentation must use spaces, not tabs" }
        if problem.hasPrefix("mapping values are not allowed") {
            return "a value that contains ': ' must be quoted, and a key needs a space after its colon"
        }
        if problem.hasPrefix("did not find expected key") || problem.hasPrefix("did not find expected '-'") {
            return "check the indentation of this line against the lines above"
        }
        if problem.hasPrefix("found undefined tag handle") { return "tags other than !!str, !!int, !!float, !!bool, !!null mean nothing here" }
        return nil
    }

    // MARK: events

    /// Returns true when reading must stop (a limit was exceeded).
    mutating func handle(_ e: yaml_event_t) -> Bool {
        switch e.type {
        case YAML_DOCUMENT_START_EVENT:
            anchors = [:]
            expansion = 0
            expansionReported = false
            stack.append(Frame(kind: .document, start: offset(e.start_mark), flow: false))
        case YAML_DOCUMENT_END_EVENT:
            guard let f = stack.popLast(), f.kind == .document else { return false }
            let end = max(lastEnd, f.root?.range.end ?? f.start)
            documents.append(YAMLDocument(root: f.root, range: ByteRange(f.start, end)))
        case YAML_SCALAR_EVENT:
            let s = e.data.scalar
            let text: String
            if let v = s.value {
                text = String(decoding: UnsafeBufferPointer(start: v, count: Int(s.length)), as: UTF8.self)
            } else {
                text = ""
            }
            let style: ScalarStyle
            switch s.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            var r = ByteRange(offset(e.start_mark), offset(e.end_mark))
            // Block scalars end after their trailing line breaks; underline the text, not the blank lines.
            if style == .literal || style == .folded { r = trimTrailingBreaks(r) }
            let tag = TreeBuilder.string(s.tag)
            let node = YAMLNode(
                .scalar(YAMLScalar(text: text, style: style, tag: tag)), range: r,
                tag: tag, anchor: TreeBuilder.string(s.anchor))
            return add(node, size: 1)
        case YAML_ALIAS_EVENT:
            let name = TreeBuilder.string(e.data.alias.anchor) ?? ""
            let r = ByteRange(offset(e.start_mark), offset(e.end_mark))
            guard let a = anchors[name] else {
                diagnostics.append(
                    Diagnostic(.undefinedAlias, "alias '*\(name)' refers to no anchor '&\(name)' defined before it in this document", at: r))
                return add(YAMLNode(.invalid, range: r), size: 1)
            }
            expansion = TreeBuilder.saturatingAdd(expansion, a.size)
            if expansion > limits.maxAliasExpansion {
                if !expansionReported {
                    expansionReported = true
                    diagnostics.append(
                        Diagnostic(
                            .aliasExpansionLimit,
                            "aliases in this document expand to more than \(limits.maxAliasExpansion) nodes (at '*\(name)'); nested aliases like this are an alias bomb",
                            at: r))
                }
                return add(YAMLNode(.invalid, range: r), size: 1)
            }
            return add(a.node.aliased(at: r), size: a.size)
        case YAML_SEQUENCE_START_EVENT:
            let s = e.data.sequence_start
            return push(
                Frame(
                    kind: .sequence, start: offset(e.start_mark), tag: TreeBuilder.string(s.tag),
                    anchor: TreeBuilder.string(s.anchor), flow: s.style == YAML_FLOW_SEQUENCE_STYLE))
        case YAML_MAPPING_START_EVENT:
            let s = e.data.mapping_start
            return push(
                Frame(
                    kind: .mapping, start: offset(e.start_mark), tag: TreeBuilder.string(s.tag),
                    anchor: TreeBuilder.string(s.anchor), flow: s.style == YAML_FLOW_MAPPING_STYLE))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let f = stack.popLast() else { return false }
            let (node, size) = finish(f, flowEnd: offset(e.end_mark))
            return add(node, size: size)
        default:
            break
        }
        return false
    }

    static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? Int.max : r
    }

    func trimTrailingBreaks(_ r: ByteRange) -> ByteRange {
        var end = r.end
        while end > r.start, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
        return ByteRange(r.start, end)
    }

    mutating func push(_ f: Frame) -> Bool {
        // The document frame does not count as nesting.
        if stack.count > limits.maxDepth {
            diagnostics.append(
                Diagnostic(
                    .nestingTooDeep, "nesting deeper than \(limits.maxDepth) levels; a manifest needs fewer than 10",
                    at: ByteRange(f.start, min(f.start + 1, bytes.count))))
            lastEnd = f.start
            return true
        }
        stack.append(f)
        return false
    }

    /// Closes a container: its range, merge keys, and the node.
    mutating func finish(_ f: Frame, flowEnd: Int) -> (YAMLNode, Int) {
        var end: Int
        switch f.kind {
        case .mapping:
            var pairs = f.pairs
            if let k = f.pendingKey {
                // A key whose value never came (cut short by an error): keep it with an invalid value so
                // completion and hover still see it.
                pairs.append(YAMLPair(key: k, value: YAMLNode(.invalid, range: .at(k.range.end))))
            }
            applyMerges(f, into: &pairs)
            end = pairs.filter { !$0.isMerged }.last.map { max($0.value.range.end, $0.key.range.end) } ?? f.start
            if f.flow { end = max(end, flowEnd) }
            return (YAMLNode(.mapping(pairs), range: ByteRange(f.start, end), tag: f.tag, anchor: f.anchor), f.size)
        case .sequence:
            end = f.items.last?.range.end ?? f.start
            if let last = f.items.last, let ar = last.aliasRange { end = max(end, ar.end) }
            if f.flow { end = max(end, flowEnd) }
            return (YAMLNode(.sequence(f.items), range: ByteRange(f.start, end), tag: f.tag, anchor: f.anchor), f.size)
        case .document:
            return (YAMLNode(.invalid, range: .at(f.start)), 1)
        }
    }

    mutating func applyMerges(_ f: Frame, into pairs: inout [YAMLPair]) {
        guard !f.merges.isEmpty else { return }
        var present = Set(pairs.compactMap { $0.key.scalar?.text })
        for m in f.merges {
            // `<<: *a` or `<<: [*a, *b]`; earlier sources win, explicit keys win over all.
            let sources = m.items ?? [m]
            for s in sources {
                guard let sp = s.pairs else {
                    if !s.isInvalid {
                        diagnostics.append(
                            Diagnostic(.yamlSyntax, "the merge key '<<' takes a mapping or a list of mappings, not \(s.kindDescription)", at: s.reportRange))
                    }
                    continue
                }
                for p in sp {
                    guard let k = p.key.scalar?.text, !present.contains(k) else { continue }
                    present.insert(k)
                    pairs.append(YAMLPair(key: p.key, value: p.value, isMerged: true))
                }
            }
        }
    }

    /// Attaches a finished node to the open container. Returns true to stop.
    /// The top frame is mutated in place (`stack[top]`): popping and pushing it would copy the frame.
    mutating func add(_ node: YAMLNode, size: Int) -> Bool {
        lastEnd = max(lastEnd, node.aliasRange?.end ?? node.range.end)
        if let a = node.anchor, node.aliasRange == nil { anchors[a] = (node, size) }
        let top = stack.count - 1
        guard top >= 0 else { return false }
        stack[top].size = TreeBuilder.saturatingAdd(stack[top].size, size)
        switch stack[top].kind {
        case .document:
            stack[top].root = node
        case .sequence:
            stack[top].items.append(node)
        case .mapping:
            guard let key = stack[top].pendingKey else {
                if case .scalar(let ks) = node.value, node.aliasRange == nil {
                    let k = ks.text
                    if k == "<<", ks.style == .plain {
                        // The value that follows is a merge source; remembered through the key's text.
                    } else if let first = stack[top].firstKeyRange(k) {
                        let line = index.position(of: first.start, unit: .scalars)
                        diagnostics.append(
                            Diagnostic(
                                .duplicateKey,
                                "duplicate key '\(k)'; it is already defined at line \(line.line + 1), column \(line.column + 1), and YAML tools disagree on which one wins",
                                at: node.range, related: [RelatedLocation(range: first, message: "first definition of '\(k)'")]))
                    } else if stack[top].pairs.count >= Frame.linearKeyLimit {
                        stack[top].keySeen[k] = node.range
                    }
                }
                stack[top].pendingKey = node
                return false
            }
            stack[top].pendingKey = nil
            if case .scalar(let ks) = key.value, ks.text == "<<", ks.style == .plain, key.aliasRange == nil {
                stack[top].merges.append(node)
            } else {
                stack[top].pairs.append(YAMLPair(key: key, value: node))
            }
        }
        return false
    }

    /// After an error or a limit: close every open container where reading stopped, innermost first.
    mutating func closeAll(at offset: Int) {
        lastEnd = max(lastEnd, offset)
        while let f = stack.popLast() {
            if f.kind == .document {
                documents.append(YAMLDocument(root: f.root, range: ByteRange(f.start, max(offset, f.root?.range.end ?? f.start))))
                continue
            }
            let (node, size) = finish(f, flowEnd: offset)
            _ = add(node, size: size)
        }
    }
}
