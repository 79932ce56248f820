import Diagnostics
import Manifest
import YAMLSyntax

/// Where a position falls in the tree: the keys from the root to it, the node, and whether it is on a key.
struct Cursor {
    var keys: [String]
    var node: YAMLNode
    var keyNode: YAMLNode?
    var isOnKey: Bool

    static func locate(_ root: YAMLNode, _ offset: Int) -> Cursor? {
        guard root.range.touches(offset) || root.pairs != nil else { return nil }
        var keys: [String] = []
        var current = root
        var depth = 0
        while depth < 256 {
            depth += 1
            switch current.value {
            case .mapping(let pairs):
                var next: YAMLNode?
                for p in pairs where !p.isMerged {
                    let k = p.key.scalar?.text ?? ""
                    if p.key.range.touches(offset) {
                        return Cursor(keys: keys + [k], node: p.value, keyNode: p.key, isOnKey: true)
                    }
                    if p.value.range.touches(offset), !p.value.isInvalid {
                        keys.append(k)
                        next = p.value
                        if case .scalar = p.value.value {
                            return Cursor(keys: keys, node: p.value, keyNode: p.key, isOnKey: false)
                        }
                        break
                    }
                }
                guard let n = next else { return Cursor(keys: keys, node: current, keyNode: nil, isOnKey: false) }
                current = n
            case .sequence(let items):
                guard let (i, item) = items.enumerated().first(where: { $0.element.range.touches(offset) }) else {
                    return Cursor(keys: keys, node: current, keyNode: nil, isOnKey: false)
                }
                keys.append(String(i))
                current = item
                if case .scalar = item.value { return Cursor(keys: keys, node: item, keyNode: nil, isOnKey: false) }
            default:
                return Cursor(keys: keys, node: current, keyNode: nil, isOnKey: false)
            }
        }
        return nil
    }

    /// The schema path for `keys`: list indices and map entry names both descend into the element schema.
    static func schema(for keys: [String]) -> Schema? { ManifestSchema.root.descend(keys) }
}
