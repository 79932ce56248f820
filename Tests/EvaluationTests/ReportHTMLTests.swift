import JSON
import Testing

@testable import Evaluation

/// The per-layer bars of report.html keep every label inside the room left of the bars.
@Suite struct LayerBarsSpec {
    @Test func aLongSubgraphPathShowsItsEndWithTheWholeNameAsItsTooltip() {
        let node = "If_0/then_branch/Loop_3/body/encoder/encoder.2/reparam_conv/Conv"
        let layers: [JSONValue] = [["node": .string(node), "op": "Conv", "sqnr_db": .double(31.08)],
                                   ["node": "fc", "op": "Gemm", "sqnr_db": .double(40)]]
        let svg = ReportHTML.layerBars(layers, path: "layers")
        let label = ReportHTML.barLabel(node + " (Conv)")
        #expect(label.count == ReportHTML.labelCharacters)
        #expect(label.hasPrefix("…") && (node + " (Conv)").hasSuffix(label.dropFirst()))
        #expect(svg.contains(">\(label)<title>\(node) (Conv)</title></text>"))
        // A short name is drawn as it is.
        #expect(svg.contains(">fc (Gemm)<title>fc (Gemm)</title></text>"))
        // The table below keeps the whole name.
        #expect(svg.contains("<td><code>\(node)</code></td>"))
    }
}
