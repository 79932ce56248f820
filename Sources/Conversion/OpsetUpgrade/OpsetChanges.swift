import JSON

/// The ai.onnx operator versions that change what an existing node means (Schemas/conversion/opset_changes.json,
/// derived from onnx's schema history by scripts/derive_opset_changes.py). "types" and "extends" versions keep
/// an old node's meaning; "changed" ones need a rewrite (OpsetUpgrade) or a refusal.
struct OpsetChanges: Sendable {
    /// Operator → versions whose change is of kind "changed", with the table's reasons.
    var changed: [String: [(version: Int, reasons: [String])]] = [:]

    static let shared: Result<OpsetChanges, ConversionError> = {
        do throws(ConversionError) { return .success(try load()) } catch { return .failure(error) }
    }()

    static func load() throws(ConversionError) -> OpsetChanges {
        guard let text = EmbeddedConversionRules.files.first(where: { $0.name == "opset_changes.json" })?.text else {
            throw ConversionError(.model, "internal error: Schemas/conversion/opset_changes.json is not embedded")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(bytes: Array(text.utf8)) } catch {
            throw ConversionError(.model, "Schemas/conversion/opset_changes.json is not valid JSON: \(error)")
        }
        var out = OpsetChanges()
        for (op, entry) in json["operators"]?.objectValue?.entries ?? [] {
            for c in entry["changes"]?.arrayValue ?? [] {
                guard let v = c["version"]?.intValue, let kind = c["kind"]?.stringValue else {
                    throw ConversionError(.model, "Schemas/conversion/opset_changes.json: \(op) has a change without version or kind")
                }
                guard kind == "changed" else { continue }
                out.changed[op, default: []].append((v, c["reasons"]?.arrayValue?.compactMap(\.stringValue) ?? []))
            }
        }
        guard !out.changed.isEmpty else {
            throw ConversionError(.model, "Schemas/conversion/opset_changes.json: no operator changes")
        }
        return out
    }

    /// The versions in (from, to] at which `op` changed meaning, ascending.
    func versions(of op: String, from: Int, to: Int) -> [Int] {
        (changed[op] ?? []).map(\.version).filter { $0 > from && $0 <= to }.sorted()
    }
}
