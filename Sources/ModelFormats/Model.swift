/// One view of a model, whatever its format: the graphs with their operators, the stored constant tensors
/// with where their bytes live and who consumes them, the model's inputs and outputs, and its metadata.
/// The model keeps its file mapped, so tensor data is read in place (see `withFloat32Values`).
public struct Model: Sendable {
    public var format: ModelFormat
    public var path: String
    public var fileSize: Int
    /// Who wrote the file: ONNX `producer_name producer_version`, TFLite's description, GGUF's
    /// `general.name`, safetensors' `__metadata__.format` when present.
    public var producer: String?
    /// The format's own version: ONNX ir_version, TFLite schema version, GGUF version.
    public var formatVersion: Int?
    /// The main graph first, then every sub-graph (each naming its parent node).
    public var graphs: [Graph]
    /// Every stored constant tensor of every graph.
    public var tensors: [ConstantTensor]
    /// The main graph's inputs (initializers excluded) and outputs.
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    /// Operator set versions by domain ("" is ai.onnx). TFLite and weight-only formats have none.
    public var opsets: [String: Int]
    public var metadata: [String: String]
    /// TFLite signature defs.
    public var signatures: [Signature]
    /// Keras: the layers of the model's configuration, in order, with their output shapes and parameters.
    public var layers: [KerasLayer] = []

    /// The mapped model file (and, for ONNX external data, the other files it points to).
    let file: MappedFile

    /// A TorchScript archive's code (`code/__torch__/**.py`), parsed, for `torchScriptGraph(inputs:)`.
    var torchScript: TorchScriptArchive? = nil

    /// The total number of stored constant elements, each stored value once (tied weights counted once).
    public var parameterCount: Int { tensors.reduce(0) { $1.sharedWith == nil ? $0 &+ $1.elementCount : $0 } }

    /// The bytes the constants occupy where they are stored, each stored byte once.
    public var storedBytes: Int { tensors.reduce(0) { $1.sharedWith == nil ? $0 &+ $1.storedBytes : $0 } }

    /// Of those, the bytes inside the model file itself (external data left out).
    public var storedBytesInFile: Int {
        tensors.reduce(0) { s, t in
            if t.sharedWith != nil { return s }
            if case .external = t.storage { return s }
            return s &+ t.storedBytes
        }
    }

    /// Marks each tensor whose stored bytes are exactly an earlier tensor's (`sharedWith`): PyTorch's tied
    /// weights (two state-dict keys, one storage), a TFLite buffer the converter deduplicated, any format's
    /// two entries naming one byte range. Counting them once is what the file holds and what a converter
    /// writes (torch.onnx.export keeps one initializer for a tied parameter).
    mutating func markSharedStorage() {
        var first: [TensorStorage: Int] = [:]
        for i in tensors.indices {
            switch tensors[i].storage {
            case .file(_, let length), .external(_, _, let length):
                guard length > 0 else { continue }
                if let j = first[tensors[i].storage] { tensors[i].sharedWith = j } else { first[tensors[i].storage] = i }
            case .protobufField, .none:
                continue
            }
        }
    }

    /// The files the tensors' external data lives in (ONNX `location`), each once, in first-use order.
    public var externalDataFiles: [String] {
        var seen: [String] = []
        for t in tensors {
            if case .external(let p, _, _) = t.storage, !seen.contains(p) { seen.append(p) }
        }
        return seen
    }

    /// Every file what was read of this model depends on: the model, its external data, and the `config.json`
    /// a safetensors file is read with (present or not). A result derived from the model alone stays valid
    /// while these files stay as they are.
    public var sourceFiles: [String] {
        var files = [path] + externalDataFiles
        if format == .safetensors { files.append(SidecarConfig.path(besideModelAt: path)) }
        return files
    }

    /// Every node of every graph, counted by operator name.
    public var operatorHistogram: [String: Int] {
        var h: [String: Int] = [:]
        for g in graphs { for n in g.nodes { h[n.opType, default: 0] += 1 } }
        return h
    }
}

public struct Graph: Sendable {
    public var name: String
    /// Where a sub-graph hangs: the parent graph, the node, and the attribute (`then_branch`, `body`);
    /// nil for main graphs (and for TFLite subgraphs, which are called by index rather than nested).
    public var parent: GraphParent?
    public var nodes: [Node]
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    /// TFLite: every tensor of the subgraph in file order, with the shape stored for it and its
    /// `shape_signature` (-1 marks a dynamic dimension). Empty for ONNX, which keeps no shapes for values.
    public var tensorShapes: [TensorShape] = []
}

/// A TFLite tensor's shapes: `shape` is what the converter stored (dynamic dimensions as placeholders,
/// usually 1), `signature` the same with -1 where the dimension is dynamic.
public struct TensorShape: Sendable, Hashable {
    public var name: String
    public var shape: [Int]
    public var signature: [Int]
    /// The stored element type (memory planners size buffers from it).
    public var dtype: DType? = nil
    /// TFLite `is_variable`: state the runtime keeps across invocations, outside the planned arena.
    public var isVariable: Bool = false
    /// TFLite quantization parameters of every tensor, activations included (a delegate refuses nodes on them).
    public var quantization: Quantization? = nil
}

public struct GraphParent: Sendable, Hashable {
    public var graph: Int
    public var node: Int
    public var attribute: String
}

public struct Node: Sendable {
    public var name: String
    /// ONNX `op_type`; TFLite builtin name (`CONV_2D`) or the custom code of a custom operator.
    public var opType: String
    /// ONNX domain ("" for ai.onnx); empty for TFLite.
    public var domain: String
    /// ONNX: the opset version of the node's domain. TFLite: the operator code's version.
    public var version: Int?
    /// TFLite builtin operator code.
    public var builtinCode: Int?
    /// Names of the values consumed and produced ("" for an omitted optional input).
    public var inputs: [String]
    public var outputs: [String]
    /// The attributes later work needs (all of them for ONNX; convolution options for TFLite).
    public var attributes: [String: AttributeValue]
    /// ONNX: the `NodeProto` payload's bytes in the file, so a rewriter can find (and size) the node again.
    public var sourceRange: Range<Int>? = nil
}

public enum AttributeValue: Sendable, Hashable {
    case int(Int64)
    case float(Float)
    case string(String)
    case ints([Int64])
    case floats([Float])
    case strings([String])
    /// An index into `Model.tensors`.
    case tensor(Int)
    /// Indices into `Model.graphs`.
    case graph(Int)
    case graphs([Int])
    /// A small integer tensor attribute of a node other than `Constant` (ConstantOfShape's `value`), decoded:
    /// shape arithmetic needs its values.
    case integers([Int64])
    /// An attribute kept only by its kind (type protos, sparse tensors, lists too long to keep).
    case other(String)
}

public struct ConstantTensor: Sendable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// The product of `shape` (the dense size for sparse tensors).
    public var elementCount: Int
    /// Bytes the data occupies where it is stored.
    public var storedBytes: Int
    public var storage: TensorStorage
    /// The graph that holds the tensor.
    public var graph: Int
    public var consumers: [TensorConsumer]
    /// TFLite quantization parameters.
    public var quantization: Quantization?
    /// For sparse tensors: how many values are stored.
    public var sparseValueCount: Int?
    /// ONNX: where the `TensorProto` lies in the model file (a conversion rewrites it there).
    public var message: Range<Int>? = nil
    /// The index of the earlier tensor whose stored bytes these are (`Model.markSharedStorage`): the bytes and
    /// elements are counted there, and an estimate measures them there.
    public var sharedWith: Int? = nil
}

public enum TensorStorage: Sendable, Hashable {
    /// Little-endian packed bytes in the model file.
    case file(offset: Int, length: Int)
    /// Little-endian packed bytes in another file (ONNX external data), already checked to lie in it.
    case external(path: String, offset: Int, length: Int)
    /// Values in a repeated protobuf field of the message at `message` (ONNX typed fields such as
    /// `float_data`, and the `value_floats`/`value_ints` forms of `Constant`).
    case protobufField(message: Range<Int>, field: Int)
    /// No stored bytes (empty tensors, strings).
    case none
}

public struct TensorConsumer: Sendable, Hashable {
    public var graph: Int
    public var node: Int
    public var inputIndex: Int
}

public struct Quantization: Sendable, Hashable {
    public var scales: [Float]
    public var zeroPoints: [Int64]
    /// The quantized dimension for per-channel parameters; nil when per-tensor.
    public var axis: Int?
}

public struct ValueInfo: Sendable, Hashable {
    public var name: String
    public var dtype: DType?
    /// nil when the rank is unknown.
    public var shape: [Dimension]?
}

public enum Dimension: Sendable, Hashable {
    case fixed(Int)
    case named(String)
    case unknown
}

public struct Signature: Sendable, Hashable {
    public var key: String
    public var subgraph: Int
    public var inputs: [String: String]
    public var outputs: [String: String]
}
