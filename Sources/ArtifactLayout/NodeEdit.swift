
/// What replaces one node (dynamic quantization: a MatMul or Conv becomes DynamicQuantizeLinear,
/// MatMulInteger / ConvInteger, Cast and Mul), keyed by the offset of its `NodeProto` payload.
public struct NodeEdit: Sendable {
    /// Encoded `TensorProto`s added as initializers of the node's graph, written before `nodes`.
    public var initializers: [[UInt8]] = []
    /// Encoded `NodeProto`s written in place of the node, in order.
    public var nodes: [[UInt8]]
    /// The index in `nodes` that also takes the source node's attributes, copied as bytes (ConvInteger has
    /// Conv's attributes: strides, pads, dilations, group, kernel_shape, auto_pad).
    public var copyAttributesInto: Int?
    /// Attributes not copied (an opset upgrade's attribute that became an input or is written anew).
    public var dropAttributes: Set<String> = []

    public init(initializers: [[UInt8]] = [], nodes: [[UInt8]], copyAttributesInto: Int? = nil,
                dropAttributes: Set<String> = []) {
        self.initializers = initializers
        self.nodes = nodes
        self.copyAttributesInto = copyAttributesInto
        self.dropAttributes = dropAttributes
    }
}
