import ModelFormats

/// Every value and tensor name in the model, so that added names never collide.
public struct NameTable {
    public var used: Set<String> = []

    public init(_ model: Model) {
        for g in model.graphs {
            for n in g.nodes {
                used.insert(n.name)
                used.formUnion(n.inputs)
                used.formUnion(n.outputs)
            }
            used.formUnion(g.inputs.map(\.name))
            used.formUnion(g.outputs.map(\.name))
        }
        used.formUnion(model.tensors.map(\.name))
    }

    public mutating func fresh(_ base: String) -> String {
        var name = base
        var k = 1
        while used.contains(name) {
            name = "\(base)_\(k)"
            k += 1
        }
        used.insert(name)
        return name
    }
}
