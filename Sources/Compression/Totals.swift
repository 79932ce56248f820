/// Model-wide figures of one scheme over the measured tensors.
enum Totals {
    static func make(scheme s: Int, reports: [TensorReport], options: CompressionOptions) -> SchemeTotals {
        var signal = 0.0, noise = 0.0, wsum = 0.0, wn = 0.0
        var exact = 0, before = 0, after = 0, params = 0
        var finite: [(name: String, sqnrDB: Double)] = []
        for r in reports where s < r.schemes.count {
            let x = r.schemes[s]
            signal += r.signalSumSquares
            noise += x.noiseSumSquares
            before += r.bytesBefore
            after += x.bytesAfter
            params += r.elements
            if let db = x.sqnrDB {
                wsum += db * Double(r.elements)
                wn += Double(r.elements)
                finite.append((r.name, db))
            } else {
                exact += 1
            }
        }
        // Stable: ties keep the tensors' order.
        let worst = finite.enumerated().sorted { a, b in
            a.element.sqnrDB != b.element.sqnrDB ? a.element.sqnrDB < b.element.sqnrDB : a.offset < b.offset
        }.prefix(options.advice.worstCount).map(\.element)
        return SchemeTotals(scheme: options.schemes[s], parameters: params,
                            sqnrDBAggregate: Stats.sqnr(signal: signal, noise: noise),
                            sqnrDBWeighted: wn > 0 ? wsum / wn : nil, sqnrDBMin: finite.map(\.sqnrDB).min(),
                            exactTensors: exact, worst: Array(worst), bytesBefore: before, bytesAfter: after,
                            signal: signal, noise: noise)
    }
}
