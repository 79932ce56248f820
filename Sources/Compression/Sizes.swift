/// Storage sizes in bytes. Scales are float32; zero points are stored for asymmetric schemes and for
/// unsigned symmetric ones (signed symmetric schemes omit them, as ONNX allows), packed like the codes.
enum Sizes {
    static func codes(_ type: QuantizationType, _ count: Int) -> Int {
        type.isInteger ? (count * type.bits + 7) / 8 : count * 2
    }

    static func overhead(_ scheme: QuantizationScheme, groups: Int) -> Int {
        guard scheme.type.isInteger else { return 0 }
        let storesZero = !scheme.symmetric || !scheme.type.isSigned
        return groups * 4 + (storesZero ? codes(scheme.type, groups) : 0)
    }

    static func quantized(_ scheme: QuantizationScheme, values: Int, groups: Int) -> Int {
        codes(scheme.type, values) + overhead(scheme, groups: groups)
    }

    static func sparse(shape: [Int], elements n: Int, nonZero nnz: Int, dense: Int, scheme: QuantizationScheme,
                       groups: Int) -> SparseSizes {
        let rows = Swift.max(shape.first ?? 1, 1)
        let cols = n / rows
        let index = cols <= 65536 ? 2 : 4
        let mask = (n + 7) / 8
        let rowPtr = (rows + 1) * 4
        let q = quantized(scheme, values: nnz, groups: groups)
        return SparseSizes(dense: dense, bitmask: mask + nnz * 4, csr: rowPtr + nnz * (index + 4),
                           bitmaskQuantized: mask + q, csrQuantized: rowPtr + nnz * index + q)
    }
}
