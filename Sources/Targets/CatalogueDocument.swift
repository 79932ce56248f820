import CheckedMath
import JSON

/// Renderings of the catalogue: docs/rules.md (generated, kept current by a test), the text and JSON of
/// `slipway targets`.
public enum CatalogueDocument {
    static func cell(_ s: String) -> String { s.replacingPipes }

    /// Builtins in order, a run of one repeated as `X` ×n.
    static func runs(_ b: [String]) -> String {
        var parts: [(String, Int)] = []
        for x in b {
            if let last = parts.last, last.0 == x { parts[parts.count - 1].1 += 1 } else { parts.append((x, 1)) }
        }
        return parts.map { $0.1 == 1 ? "`\($0.0)`" : "`\($0.0)` ×\($0.1)" }.joined(separator: " + ")
    }

    /// docs/rules.md.
    public static func markdown(_ c: Catalogue) -> String {
        var o = """
            # Target rules

            <!-- Generated from Schemas/targets/*.json by `slipway targets --markdown` (make rules): do not edit. -->

            What Slipway knows about runtimes, delegates and devices, and the rules its target checks apply
            (diagnostics `SW4xxx` and the budget findings `SW51xx`, see [diagnostics.md](diagnostics.md)). Every
            rule and figure names its source; the data is `Schemas/targets/*.json`, validated by
            `Schemas/targets.schema.json`.

            ## Rules

            | Rule | Code | Runtimes | Rule text | Source |
            |---|---|---|---|---|

            """
        for r in c.rules {
            var src = c.cite(r.source)
            if let also = r.also { src += "; " + c.cite(also) }
            o += "| `\(r.id)` | [\(r.code?.rawValue ?? "")](diagnostics.md#\((r.code?.rawValue ?? "").lowercased())) | \(r.runtimes.joined(separator: ", ")) | \(cell(r.text)) | \(cell(src)) |\n"
        }
        o += "\n## Runtimes\n"
        for rt in c.runtimes {
            o += "\n### \(rt.title) (`\(rt.name)`\(rt.aliases.isEmpty ? "" : ", also `\(rt.aliases.joined(separator: "`, `"))`"))\n\n"
            o += "Model formats: \(rt.modelFormats.joined(separator: ", ")). Default processor: \(rt.processor.rawValue).\n"
            if !rt.versions.isEmpty {
                let hasOpsets = rt.versions.contains { $0.maxOpset != nil }
                o += "\nVersions" + (rt.versionsSource.map { " (\(cell(c.cite($0))))" } ?? "") + ":\n\n"
                if rt.versions.contains(where: { $0.ggmlTypes != nil }) {
                    o += ggmlTable(rt)
                } else if hasOpsets {
                    o += "| Version | Highest opset | Highest ai.onnx.ml opset | Highest IR | Source |\n|---|---|---|---|---|\n"
                    for v in rt.versions {
                        o += "| \(v.version) | \(v.maxOpset.map(String.init) ?? "") | \(v.maxMLOpset.map(String.init) ?? "") | \(v.maxIR.map(String.init) ?? "") | \(v.source.map { cell(c.cite($0)) } ?? "as above") |\n"
                    }
                } else {
                    o += rt.versions.map(\.version).joined(separator: ", ") + "\n"
                }
            }
            if let ops = rt.operators { o += "\nOperators: the [`\(ops)`](#\(ops)) set; nothing outside it runs.\n" }
            if !rt.foldedOperators.isEmpty {
                o += "\nRemoved before nodes are placed: " + rt.foldedOperators.map { "`\($0)`" }.joined(separator: ", ")
                o += (rt.foldedOperatorsSource.map { " (\(cell(c.cite($0))))" } ?? "") + ".\n"
            }
            if !rt.delegates.isEmpty {
                o += "\n| Delegate | Processor | What it runs | Operators | Source |\n|---|---|---|---|---|\n"
                for d in rt.delegates {
                    let ops = d.operators.map { "[`\($0)`](#\($0))" + (d.partitioning.map { " (\($0.rawValue))" } ?? "") } ?? ""
                    o += "| `\(d.name)` | \(d.processor.rawValue) | \(cell(d.title)) | \(ops) | \(cell(c.cite(d.source))) |\n"
                }
            }
        }
        o += "\n## Operator sets\n"
        for s in c.operatorSets {
            o += "\n### \(s.title)\n\n<a id=\"\(s.id)\"></a>`\(s.id)`: \(s.format == .onnx ? "ONNX operators" : "TFLite builtins"). "
            o += "Source: \(c.cite(s.source)). Tensor types: \(s.tensorTypes.joined(separator: ", "))"
            o += s.maxRank.map { "; at most \($0) dimensions larger than 1" } ?? ""
            o += ".\n\n" + s.operators.map { "`\($0)`" }.joined(separator: ", ") + "\n"
            if let measured = s.measured { o += "\nMeasured: \(cell(measured)).\n" }
            let releases = Set(s.missingIn.keys).union(s.partial.keys).sorted {
                (VersionNumber($0) ?? VersionNumber("0")!) > (VersionNumber($1) ?? VersionNumber("0")!)
            }
            if !releases.isEmpty {
                o += "\n| Release | Not run | Only some probes run (compiled/probed) |\n|---|---|---|\n"
                for r in releases {
                    let lacking = (s.missingIn[r] ?? []).map { "`\($0)`" }.joined(separator: ", ")
                    let part = (s.partial[r] ?? [:]).sorted { $0.key < $1.key }.map { "`\($0.key)` \($0.value)" }.joined(separator: ", ")
                    o += "| \(r) | \(lacking.isEmpty ? "—" : lacking) | \(part.isEmpty ? "—" : part) |\n"
                }
            }
            if !s.opsets.isEmpty {
                o += "\nOpsets the kernels are registered for (a node of a model importing another opset is not taken): "
                o += s.opsets.keys.sorted().map { "`\($0)` \((s.opsets[$0] ?? []).map(\.description).joined(separator: ", "))" }.joined(separator: "; ") + ".\n"
            }
            if !s.maxVersions.isEmpty {
                o += "\nHighest operator version accepted" + (s.maxVersionsSource.map { " (\(cell(c.cite($0))))" } ?? "") + ": "
                o += s.maxVersions.keys.sorted().map { "`\($0)` v\(s.maxVersions[$0] ?? 0)" }.joined(separator: ", ") + ".\n"
            }
            if !s.constraints.isEmpty {
                o += "\n| Operator | Constraint |\n|---|---|\n"
                for k in s.constraints.keys.sorted() { o += "| `\(k)` | \(cell(s.constraints[k] ?? "")) |\n" }
            }
            for fusion in s.fusions {
                o += "\nAlso runs `\(fusion.op)` when fused: \(cell(fusion.text)) (\(cell(c.cite(fusion.source)))).\n"
            }
            if !s.checks.isEmpty {
                o += "\nChecked on each node ([SW4016](diagnostics.md#sw4016)):\n\n| Check | Operators | Kind | Constraint | Source |\n|---|---|---|---|---|\n"
                for k in s.checks {
                    o += "| `\(k.id)` | \(k.operators.map { "`\($0)`" }.joined(separator: ", ")) | \(checkKind(k)) | \(cell(k.text)) | \(cell(c.cite(k.source))) |\n"
                }
            }
        }
        o += "\n## ONNX operators on LiteRT\n\nHow an ONNX model's operators become TFLite builtins (source: \(c.cite(c.loweringSource))). "
        o += "\"none\" means no builtin (Select TF ops or a custom operator); \"folded\" means the converter removes the node.\n\n"
        o += "| ONNX | TFLite |\n|---|---|\n"
        for k in c.lowering.keys.sorted() {
            let v: String
            switch c.lowering[k] {
            case .some(.some(let b)) where b.isEmpty: v = "folded"
            case .some(.some(let b)): v = runs(b)
            default: v = "none"
            }
            o += "| `\(k)` | \(v)\(c.loweringNotes[k].map { " (\(cell($0)))" } ?? "") |\n"
        }
        let r = c.recurrences
        if !r.cells.isEmpty {
            func counts(_ m: [String: Int]) -> String {
                m.isEmpty ? "nothing" : m.keys.sorted().map { "`\($0)` ×\(m[$0] ?? 0)" }.joined(separator: ", ")
            }
            o += "\n### Recurrences\n\nPer direction the table's WHILE loop; a full-integer conversion unrolls it instead, "
            o += "one cell per step (the state starting at zero, TensorFlow folds part of the first step away). Counts by builtin.\n\n"
            o += "| ONNX | Unrolled, per step and direction | Zero initial state saves, per direction | Without a bias: saves from the loop / per step / zero state's instead |\n|---|---|---|---|\n"
            for k in r.cells.keys.sorted() {
                let nb = r.cells[k]?.noBias.map { "\(counts($0.loopSaves)) / \(counts($0.stepSaves)) / \(counts($0.zeroStateSaves))" } ?? "not measured"
                o += "| `\(k)` | \(counts(r.cells[k]?.step ?? [:])) | \(counts(r.cells[k]?.zeroStateSaves ?? [:])) | \(nb) |\n"
            }
            o += "\nEach node adds \(counts(r.perNode)) (its output moved back to time-major; a Transpose reading the output, "
            o += "directly or through a Squeeze, cancels it). Unrolled, each sequence adds \(counts(r.unrolledPerSequence)) "
            o += "(shared by the recurrences reading it) and each direction \(counts(r.unrolledPerDirection)). A bidirectional "
            o += "node adds \(counts(r.bidirectionalLoop)) as WHILE loops, and its sequence \(counts(r.bidirectionalLoopPerSequence)) "
            o += "once; \(counts(r.bidirectionalUnrolled)) unrolled. Each initial state given at run time adds "
            o += "\(counts(r.givenState)) per direction. A batch-first Transpose (perm [1, 0, 2]) that only recurrences read "
            o += "is folded. A sequence of one step adds \(counts(r.oneStepNode)) instead, \(counts(r.oneStepDirection)) per "
            o += "direction unrolled, and the Transposes of its step axis before and after it are "
            o += "\(r.oneStepTranspose.map { "`\($0)`" }.joined(separator: " + ")) (they move a dimension of size 1). "
            o += "Source: \(cell(r.measured)).\n"
        }
        if let k2 = c.kerasLowering["keras2"], let k3 = c.kerasLowering["keras3"], let src = c.kerasLoweringSource {
            func builtins(_ v: [String]??) -> String {
                switch v {
                case .some(.some(let b)) where b.isEmpty: return "none left"
                case .some(.some(let b)): return b.map { "`\($0)`" }.joined(separator: " + ")
                case .some(nil): return "no builtin (Select TF ops)"
                case nil: return "not measured"
                }
            }
            o += "\n## Keras layers on LiteRT\n\nThe builtins TensorFlow's converter writes for each Keras layer, measured by converting "
            o += "one-layer models (source: \(c.cite(src))). A layer marked \"fixed batch\" lowers to builtins only when the batch size is "
            o += "known; \"no full integer\" means the full-integer conversion fails on it.\n\n"
            o += "| Layer | Keras 2 (tf_keras) | Keras 3 |\n|---|---|---|\n"
            func notes(_ l: KerasLowering, _ n: String) -> String {
                let marks = (l.needFixedBatch.contains(n) ? ["fixed batch"] : []) + (l.fullIntegerFails.contains(n) ? ["no full integer"] : [])
                return marks.isEmpty ? "" : " (\(marks.joined(separator: ", ")))"
            }
            for n in Set(k2.layers.keys).union(k3.layers.keys).sorted() {
                o += "| `\(n)` | \(builtins(k2.layers[n]))\(notes(k2, n)) | \(builtins(k3.layers[n]))\(notes(k3, n)) |\n"
            }
            o += "\nWhat a layer's `activation:` adds after its own builtins (\"none left\": fused into the layer):\n\n"
            o += "| Activation | Keras 2 | Keras 3 |\n|---|---|---|\n"
            for a in Set(k2.activations.keys).union(k3.activations.keys).sorted() {
                o += "| `\(a)` | \(builtins(k2.activations[a])) | \(builtins(k3.activations[a])) |\n"
            }
        }
        let ate = c.atenToEdge
        if let src = ate.source {
            o += "\n## Exported ATen operators in ExecuTorch's Edge dialect\n\nWhat ExecuTorch's to_edge turns each operator of a "
            o += "`.pt2` into, measured by exporting modules (source: \(c.cite(src))). The XNNPACK partitioner takes an operator it names "
            o += "as it is, and another when it takes every Edge operator that one becomes; \"none left\": removed by decomposition.\n\n"
            o += "| Exported | Edge |\n|---|---|\n"
            for op in ate.operators.keys.sorted() {
                let edge = ate.operators[op] ?? []
                var v = edge.isEmpty ? "none left" : edge.map { "`\($0)`" }.joined(separator: " + ")
                if let variants = ate.byArguments[op] {
                    v = variants.map { x in
                        let args = x.arguments.keys.sorted().map { "\($0) \(x.arguments[$0] ?? [])" }.joined(separator: ", ")
                        return x.edge.map { "`\($0)`" }.joined(separator: " + ") + " (\(args))"
                    }.joined(separator: "; ")
                }
                o += "| `\(op)` | \(v) |\n"
            }
        }
        let ato = c.atenToONNX
        if let src = ato.source, let script = ato.tables[.torchscript], let dynamo = ato.tables[.dynamo] {
            o += "\n## ATen operators in torch.onnx.export's ONNX\n\nThe ONNX operators torch.onnx.export writes for each ATen "
            o += "call, measured by exporting one-call modules (source: \(c.cite(src))): the TorchScript exporter (opset \(script.opset)) "
            o += "for a `.pt`, whose calls are named as Slipway evaluates its code; the dynamo exporter (opset \(dynamo.opset)) for a "
            o += "`.pt2`, whose calls carry their overload. Each cell is every ONNX operator written for the call in any measured module "
            o += "(`linear`: Gemm on a 2-D input, MatMul + Add above); an execution provider takes a call when it takes all of them. "
            o += "A call not listed is not checked, and said. Constant nodes are left out (ONNX Runtime makes them "
            o += "initializers on load); \"none\": no other node.\n\n"
            func cell(_ ops: [String]?) -> String { ops.map { $0.isEmpty ? "none" : $0.map { "`\($0)`" }.joined(separator: " + ") } ?? "—" }
            o += "| TorchScript call | ONNX (TorchScript exporter) | `.pt2` call | ONNX (dynamo exporter) |\n|---|---|---|---|\n"
            // One row per TorchScript name, beside the .pt2 overloads of the same operator.
            var overloads: [String: [String]] = [:]
            for op in dynamo.operators.keys { overloads[String(op.split(separator: ".").first ?? ""), default: []].append(op) }
            for op in Set(script.operators.keys).union(overloads.keys).sorted() {
                let ds = (overloads[op] ?? []).sorted()
                let left = script.operators[op] == nil ? "—" : "`\(op)`"
                if ds.isEmpty { o += "| \(left) | \(cell(script.operators[op])) | — | — |\n" }
                for (i, d) in ds.enumerated() {
                    o += i == 0 ? "| \(left) | \(cell(script.operators[op])) | `\(d)` | \(cell(dynamo.operators[d])) |\n"
                        : "| | | `\(d)` | \(cell(dynamo.operators[d])) |\n"
                }
            }
        }
        o += "\n## TFLite operator versions\n\nThe minimum runtime for each builtin operator version (source: \(c.cite(c.tfliteOpVersionsSource))).\n\n"
        o += "| Builtin | Versions → minimum runtime |\n|---|---|\n"
        for op in c.tfliteOpVersions.keys.sorted() {
            let m = c.tfliteOpVersions[op] ?? [:]
            o += "| `\(op)` | " + m.keys.sorted().map { "v\($0): \(m[$0] ?? "")" }.joined(separator: ", ") + " |\n"
        }
        o += "\n## Devices\n\nPeak figures are tera-operations per second; \"class\" devices stand for a family. Memory is a "
        o += "microcontroller's RAM and Storage its flash. A figure no cited source gives is left out (—), never guessed: "
        o += "the check that needs it is skipped, and without a bandwidth and a peak figure there is no latency estimate "
        o += "unless the device's core is calibrated (Latency calibrations below).\n\n"
        o += "| Device | Aliases | What | Memory | Storage | Bandwidth | Peak (TOPS) | Source |\n|---|---|---|---|---|---|---|---|\n"
        for d in c.devices {
            let peaks = Processor.allCases.compactMap { p -> String? in
                guard let t = d.peakTOPS[p] else { return nil }
                return "\(p.rawValue): " + t.keys.sorted().map { "\($0) \(format(t[$0] ?? 0))" }.joined(separator: ", ")
            }.joined(separator: "; ")
            let cites = ([d.source] + d.also).map { c.cite($0) }.joined(separator: "; ")
            o += "| `\(d.name)`\(d.isClass ? " (class)" : "") | \(d.aliases.joined(separator: ", ")) | \(cell(d.title)) | \(d.memoryGB.map(bytes) ?? "—") | \(d.storageGB.map(bytes) ?? "—") | \(d.bandwidthGBps.map { "\(format($0)) GB/s" } ?? "—") | \(peaks.isEmpty ? "—" : peaks) | \(cell(cites)) |\n"
        }
        o += "\n## Dispatch overheads\n\nThe fixed cost of running one more operator, added to each node's roofline time "
        o += "(\"overlaps\": asynchronous launches, so a node costs at least the overhead instead).\n\n"
        o += "| Runtime | Processor | µs per operator | Combines | How known | Source |\n|---|---|---|---|---|---|\n"
        for d in c.dispatchOverheads {
            o += "| \(d.runtime.map { "`\($0)`" } ?? "any") | \(d.processor.rawValue) | \(format(d.microseconds)) | \(d.overlapsCompute ? "overlaps" : "adds") | \(cell(d.measured.map { "measured: \($0)" } ?? "published")) | \(cell(c.cite(d.source))) |\n"
        }
        o += "\n## Latency calibrations\n\nPer CPU core and precision, the effective cycles per multiply-accumulate fitted "
        o += "to published latencies of the MLPerf Tiny reference models (geometric mean over kws, vww, ic and ad; the "
        o += "spread is the per-benchmark range). A device that cites its `cpu.core` and `cpu.clock_mhz` gets MACs × "
        o += "cycles per MAC / clock as its latency instead of the roofline. Derived from the MLPerf Tiny results by "
        o += "the script `derive_latency_calibration` in scripts/catalogue; see [analysis.md](analysis.md).\n\n"
        o += "| Core | Precision | Cycles per MAC | Spread | Stack | Fitted on | Devices | Source |\n|---|---|---|---|---|---|---|---|\n"
        for l in c.latencyCalibrations {
            let devices = c.devices.filter { $0.core == l.core && $0.clockMHz != nil }
                .map { "`\($0.name)` (\(format($0.clockMHz ?? 0)) MHz)" }.joined(separator: ", ")
            o += "| \(l.core) | \(l.precision) | \(format(l.cyclesPerMAC)) | \(format(l.spread.0))–\(format(l.spread.1)) | \(cell(l.stack)) | \(cell(l.fittedOn ?? "")) | \(devices) | \(cell(c.cite(l.source))) |\n"
        }
        o += "\n## Accelerator calibrations\n\nPer accelerator and how it is attached, fitted to its maker's published "
        o += "latencies of known architectures: latency = MACs × ms per GMAC + the parameter bytes beyond the on-chip "
        o += "cache × ms per streamed MB + a constant (the Edge TPU keeps what fits in its parameter memory and streams "
        o += "the rest from the host on every inference). A device whose `accelerator` names the pair gets it for a "
        o += "model that runs whole on the accelerator. Derived by the script `derive_edgetpu_calibration` in "
        o += "scripts/catalogue; see [analysis.md](analysis.md).\n\n"
        o += "| Accelerator | Attachment | Precision | ms per GMAC | ms per streamed MB | Constant ms | Cache | Published / estimate | Measured on | Devices | Source |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
        for a in c.acceleratorCalibrations {
            let devices = c.devices.filter { $0.accelerator == DeviceAccelerator(name: a.accelerator, attachment: a.attachment) }
                .map { "`\($0.name)`" }.joined(separator: ", ")
            o += "| \(a.accelerator) | \(a.attachment) | \(a.precision) | \(format(a.msPerGMAC)) | \(format(a.msPerStreamedMB)) | \(format(a.constantMS)) | \(format(Double(a.cacheBytes) / 1e6)) MB (\(cell(c.cite(a.cacheSource)))) | \(format(a.ratioSpread[0]))–\(format(a.ratioSpread[1])) | \(cell(a.stack)) | \(devices.isEmpty ? "none yet" : devices) | \(cell(c.cite(a.source))) |\n"
        }
        o += "\n## Device calibrations\n\nPer device, runtime, processor and precision, fitted to published latencies "
        o += "measured on that device under that runtime (Ultralytics' YOLO11 benchmark tables, Qualcomm AI Hub Models' "
        o += "perf.yaml on the devices AI Hub measured; the models' MACs are "
        o += "slipway's own count of each model's ONNX export, the count the estimate applies the fit to): latency = MACs × ms per GMAC + a constant, for a model that runs whole on the "
        o += "calibrated processor. Measured on the device itself, so it applies to no other. Derived by the script "
        o += "`derive_device_calibration` in scripts/catalogue; see [analysis.md](analysis.md).\n\n"
        o += "| Device | Runtime | Processor | Precision | ms per GMAC | Constant ms | Published / estimate | Fitted on | Source |\n|---|---|---|---|---|---|---|---|---|\n"
        for d in c.deviceCalibrations {
            o += "| `\(d.device)` | `\(d.runtime)` | \(d.processor.rawValue) | \(d.precision) | \(format(d.msPerGMAC)) | \(format(d.constantMS)) | \(format(d.ratioSpread[0]))–\(format(d.ratioSpread[1])) | \(cell(d.fittedOn ?? "")) | \(cell(c.cite(d.source))) |\n"
        }
        o += """

            ## How estimates are made

            - **Size**: every stored tensor at the bit width of `quantize.weights` (float16 converts every float
              tensor; integer types convert tensors of rank 2 and more that `skip` does not name), plus one float32
              scale per output channel (per-channel), per tensor, or one float16 scale per block; plus the source
              file's bytes outside tensors. `slipway estimate` may supply the Compression engine's exact figure instead;
              for a target that prunes without quantizing it is the pruned tensors stored sparse (the smaller of a
              bitmask and CSR) and the SQNR is what pruning removes.
            - **MACs**: shape inference over the whole graph with the manifest's `inputs` for dynamic dimensions
              (others taken as 1), counted with onnx-tool's conventions (a test keeps the totals within 5 %). Shape
              arithmetic is evaluated on the way (Shape, Gather, Concat, Slice, Range, ConstantOfShape, integer
              arithmetic), so exporters' computed Reshape, Expand and Resize targets resolve; an axes, sizes or
              split input known only at run time leaves the shape unknown rather than guessed. If costs its larger
              branch, Loop its body times the trip count (one iteration, said so, when unknown), Scan its body times
              the scanned length. A test holds every shape to onnx's own inference (`data_prop=True`) on all backend
              node models. Conventions: Conv/ConvTranspose/Gemm/MatMul one MAC per multiply-add (bias one per
              output); elementwise and activations onnx-tool's per-element weights (exp 32, log 43, sqrt 24, div 4);
              LSTM/GRU/RNN the gate matrix products per step and direction plus the gates' elementwise work (onnx-tool
              adds LSTM's element-wise work once per step, not per direction); Einsum one MAC per point of its index space; Resize 0 for nearest and
              4 (linear) or 16 (cubic) multiply-adds per output element. TFLite
              models use the shapes stored in the file; tensors with dynamic dimensions (`shape_signature` -1) are
              inferred forward from the inputs, evaluating small integer tensors (SHAPE, STRIDED_SLICE, PACK) so
              computed reshapes resolve; a test keeps the counts equal to a reference over LiteRT's own shapes.
            - **Memory**: weights plus the peak of live activations in graph order (ONNX: topological; TFLite: the
              operator order), at the target's activation precision. A TFLite model whose activations the target
              keeps as stored gets the arena its runtime plans instead (`activation_planner` in `estimate --json`):
              on `tflite-micro`, TFLite Micro's greedy planner (largest buffer first into the first gap between
              buffers live at the same time, 16-byte alignment, its allocation scopes for lifetimes) plus the
              persistent tail (one eval tensor per tensor, one node record per operator, kernels' per-channel data,
              resource variables) with a 32-bit device's structures, held within 10 % of what the `tflite-micro`
              interpreter reports; on `litert` (CPU), LiteRT's arena (graph inputs and outputs for the whole run,
              best fit at 64-byte alignment). See [analysis.md](analysis.md).
            - **Latency**: for each node, max(2 × MACs / peak operations for the precision on the processor,
              bytes moved / memory bandwidth), plus the runtime's dispatch overhead on that processor (the table
              above; none where the catalogue has no figure), summed; nodes that fall back to the CPU use the CPU's
              peak and overhead, and each CPU partition adds \(format(TargetEstimates.fallbackPenaltyMS)) ms. A
              roofline bound: real latency is higher. On a calibrated CPU core (the table above) at int8: MACs ×
              the core's cycles per MAC / the device's clock instead, within 0.75–1.3× of the published figures
              it was fitted to.
            - **Coverage**: a node whose output shapes cannot be inferred (no shape rule yet, a data-dependent size,
              a subgraph body not walked) is left out of MACs, memory and latency, and so are the nodes that need
              its output. The figures are then lower bounds: `SW4017` on the model says how many nodes they cover and
              which operators were left out, `estimate` marks them "≥" (and `coverage` in JSON), and a memory or
              latency budget within a lower bound is "unconfirmed" (`SW5104`), never met; one over it is missed.

            ## Sources

            | Id | Document |
            |---|---|

            """
        for id in c.sources.keys.sorted() {
            let s = c.sources[id]
            o += "| `\(id)` | [\(cell(s?.title ?? ""))](\(s?.url ?? "")) |\n"
        }
        return o
    }

    /// A check's kind with its parameters, for the rules document.
    /// llama.cpp's releases, oldest last as listed, each with the ggml types it loads beyond the release below it
    /// and those it no longer loads (all of them for the oldest).
    static func ggmlTable(_ rt: Runtime) -> String {
        var o = "| Version | llama.cpp commit | GGUF versions | ggml types (id) it loads: added, no longer loaded |\n|---|---|---|---|\n"
        func list(_ t: [String: Int]) -> String {
            t.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
        }
        for (i, v) in rt.versions.enumerated() {
            let types = v.ggmlTypes ?? [:]
            var change = ""
            if i + 1 < rt.versions.count, let before = rt.versions[i + 1].ggmlTypes {
                let added = types.filter { before[$0.key] != $0.value }
                let gone = before.filter { types[$0.key] != $0.value }
                change = (added.isEmpty ? "" : "+ " + list(added)) + (gone.isEmpty ? "" : (added.isEmpty ? "" : "; ") + "− " + list(gone))
                if change.isEmpty { change = "as below" }
            } else {
                change = list(types)
            }
            let gguf = v.ggufVersions.map { $0.map(String.init).joined(separator: ", ") } ?? ""
            o += "| \(v.version) | \(cell(v.revision ?? "")) | \(gguf) | \(cell(change)) |\n"
        }
        if !rt.ggmlTypesRemoved.isEmpty {
            o += "\nggml types marked removed: \(list(rt.ggmlTypesRemoved)).\n"
        }
        return o
    }

    static func checkKind(_ k: OperatorCheck) -> String {
        kindText(k) + (k.before.map { " (before \($0))" } ?? "") + (k.when.map { " when `\($0.attribute)` is \($0.value)" } ?? "")
    }

    static func kindText(_ k: OperatorCheck) -> String {
        switch k.kind {
        case .rank: return "\(k.squeezed ? "dimensions other than 1" : "rank") of \(k.outputs.first.map { "output \($0)" } ?? "input \(k.input)") in \(k.min.map(String.init) ?? "…")–\(k.max.map(String.init) ?? "…")"
        case .tensorRanks: return "every input and output of rank up to \(k.max.map(String.init) ?? "…")\(k.refusesModel ? " (else the model is refused)" : "")"
        case .constantInputs: return "inputs \(k.inputs.map(String.init).joined(separator: ", ")) constant\(k.bindsLowered ? "" : " (the builtin's own inputs)")"
        case .attributeValues: return "`\(k.attribute ?? "")` in \(k.values.joined(separator: ", "))" + (k.defaultValue.map { " (default \($0))" } ?? "")
        case .equalDilations: return "equal dilations"
        case .maxElements: return "input \(k.input) at most \(k.max.map(String.init) ?? "") elements"
        case .maxDimension: return "input dimensions at most \(k.max.map(String.init) ?? "")"
        case .noBatchAxis: return "leaves the batch dimension alone"
        case .tensorTypes: return "input \(k.input) is \(k.values.joined(separator: ", "))"
        case .sameTensorTypes:
            let named = k.inputs.map { "input \($0)" } + k.outputs.map { "output \($0)" }
            return named.joined(separator: ", ") + " of one type" + (k.values.isEmpty ? "" : " unless " + k.values.joined(separator: "; "))
        case .zeroValues: return "constant inputs \(k.inputs.map(String.init).joined(separator: ", ")) all zero"
        case .absent:
            let parts = k.inputs.map { "input \($0)" } + k.outputs.map { "output \($0)" } + k.attributes.map { "`\($0)`" }
            return "no " + parts.joined(separator: ", ")
        case .equalHalves: return "`\(k.attribute ?? "")` has equal halves"
        case .iotaAttribute:
            return "`\(k.attribute ?? "")` is 0…rank(input \(k.input))−1 when inputs \(k.inputs.map(String.init).joined(separator: ", ")) are computed at run time"
        case .nonemptyRange: return "\(k.attributes.map { "`\($0)`" }.joined(separator: " < ")) on input \(k.input)'s dimensions"
        case .branchOutputs: return "branches: " + k.values.map { $0.replacingAll("_", " ") }.joined(separator: ", ")
        case .quantizedTypePairs:
            return "quantized inputs \(k.inputs.map(String.init).joined(separator: ", ")) as (\(k.values.joined(separator: "), (")))"
        case .perTensorQuantization:
            return "\(k.outputs.first.map { "output \($0)" } ?? "input \(k.input)") quantized per tensor when \(k.values.joined(separator: ", "))"
        case .quantizedDimension:
            let d = k.dimension.map { $0 == -1 ? "the last dimension" : $0 < 0 ? "dimension rank\($0)" : "dimension \($0)" } ?? "dimension …"
            return "input \(k.input) per channel only along \(d)"
        case .scaleRatio:
            let factor = k.factorAttribute.map { " × `\($0)`" } ?? ""
            let magnitude = k.magnitudeMin.map { ", at least \(format($0)) in magnitude" } ?? ""
            return "scale of \(k.inputs.map { "input \($0)" }.joined(separator: " × "))\(factor) / output's in [\(k.scaleMin.map { format($0) } ?? "…"), \(k.scaleMax.map { format($0) } ?? "…")\(k.scaleMaxInclusive ? "]" : ")")\(magnitude)"
        case .sameXNNPACKDatatypes:
            return "inputs \(k.inputs.map(String.init).joined(separator: " and ")) of one XNNPACK datatype (per channel ≠ per tensor) unless \(k.values.joined(separator: "; "))"
        case .normalAttribute: return "`\(k.attribute ?? "")` a normal, non-zero number"
        case .sameQuantizedOutputType: return "a quantized input \(k.input) (\(k.values.joined(separator: ", "))) gives an output of its type"
        case .sameQuantizationAsOutput:
            return "\(k.inputs.isEmpty ? "every input" : "inputs " + k.inputs.map(String.init).joined(separator: ", ")) with the output's scale and zero point when \(k.values.joined(separator: ", "))"
        case .zeroPointZero: return "input \(k.input) zero point 0 when int8 beside a non-float32 input 0"
        case .equalSplits: return "outputs of one size"
        case .staticDimensions:
            return "input \(k.input)'s \(k.attribute.map { "dimension at `\($0)`" } ?? "dimensions") known when built"
        case .loopScanLength: return "a trip count known when built, with scan outputs"
        case .loopCarriedShapes: return "carried values keep their shapes"
        case .valueRange:
            return "constant inputs \(k.inputs.map(String.init).joined(separator: ", ")) in \(k.min.map(String.init) ?? "…")–\(k.max.map(String.init) ?? "…")"
        }
    }

    /// A size given in GB, in the unit it reads best in (a microcontroller's RAM in kB).
    static func bytes(_ gb: Double) -> String {
        func short(_ x: Double) -> String { format((x * 1000).rounded() / 1000) }
        return gb >= 1 ? "\(short(gb)) GB" : gb >= 0.001 ? "\(short(gb * 1000)) MB" : "\(short(gb * 1e6)) kB"
    }

    static func format(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int(saturating: d)) }
        return String(d)
    }

    /// `slipway targets` as text.
    public static func text(_ c: Catalogue) -> String {
        var o = "Runtimes\n"
        for rt in c.runtimes {
            o += "  \(rt.name)\(rt.aliases.isEmpty ? "" : " (\(rt.aliases.joined(separator: ", ")))")  \(rt.title)\n"
            if !rt.versions.isEmpty { o += "    versions: \(rt.versions.map(\.version).joined(separator: ", "))\n" }
            if !rt.delegates.isEmpty { o += "    delegates: \(rt.delegates.map(\.name).joined(separator: ", "))\n" }
        }
        o += "Devices\n"
        let width = c.devices.map(\.name.count).max() ?? 0
        for d in c.devices {
            o += "  \(d.name)\(String(repeating: " ", count: width - d.name.count))  \(d.title)\n"
        }
        o += "Operator sets\n"
        let setWidth = c.operatorSets.map(\.id.count).max() ?? 0
        for s in c.operatorSets {
            o += "  \(s.id)\(String(repeating: " ", count: setWidth - s.id.count))  \(s.title): \(s.operators.count) operators, \(s.checks.count) checked constraints\n"
        }
        o += "Rules: \(c.rules.count), from \(c.sources.count) sources (docs/rules.md)\n"
        return o
    }

    /// `slipway targets --json`.
    public static func json(_ c: Catalogue) -> JSONValue {
        func src(_ r: SourceRef) -> JSONValue {
            .object(["document": .string(c.sources[r.id]?.title ?? r.id), "section": .string(r.section), "url": .string(c.sources[r.id]?.url ?? "")])
        }
        let runtimes: [JSONValue] = c.runtimes.map { rt in
            .object([
                "name": .string(rt.name), "aliases": .array(rt.aliases.map { .string($0) }), "title": .string(rt.title),
                "versions": .array(rt.versions.map { v in
                    var o: JSONObject = ["version": .string(v.version)]
                    if let x = v.maxOpset { o["max_opset"] = .int(x) }
                    if let x = v.maxIR { o["max_ir"] = .int(x) }
                    if let x = v.revision { o["revision"] = .string(x) }
                    if let x = v.ggufVersions { o["gguf_versions"] = .array(x.map { .int($0) }) }
                    if let x = v.ggmlTypes {
                        var t = JSONObject()
                        for (k, id) in x.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) { t[k] = .int(id) }
                        o["ggml_types"] = .object(t)
                    }
                    if let r = v.source ?? rt.versionsSource { o["source"] = src(r) }
                    return .object(o)
                }),
                "delegates": .array(rt.delegates.map { d in
                    var o: JSONObject = [
                        "name": .string(d.name), "title": .string(d.title), "processor": .string(d.processor.rawValue), "source": src(d.source),
                    ]
                    if let ops = d.operators { o["operators"] = .string(ops) }
                    if let p = d.partitioning { o["partitioning"] = .string(p.rawValue) }
                    return .object(o)
                }),
                "operators": rt.operators.map { .string($0) } ?? .null,
            ])
        }
        let sets: [JSONValue] = c.operatorSets.map { s in
            var o: JSONObject = [
                "id": .string(s.id), "title": .string(s.title), "model_format": .string(s.format.rawValue), "source": src(s.source),
                "tensor_types": .array(s.tensorTypes.map { .string($0) }),
            ]
            o["operators"] = .array(s.operators.map { .string($0) })
            if !s.missingIn.isEmpty {
                var mi = JSONObject()
                for k in s.missingIn.keys.sorted(by: { (VersionNumber($0) ?? VersionNumber("0")!) > (VersionNumber($1) ?? VersionNumber("0")!) }) {
                    mi[k] = .array((s.missingIn[k] ?? []).map { .string($0) })
                }
                o["missing_in"] = .object(mi)
            }
            if !s.maxVersions.isEmpty {
                var mv = JSONObject()
                for k in s.maxVersions.keys.sorted() { mv[k] = .int(s.maxVersions[k] ?? 0) }
                o["max_versions"] = .object(mv)
            }
            o["checks"] = .array(s.checks.map { k in
                .object(["id": .string(k.id), "operators": .array(k.operators.map { .string($0) }), "kind": .string(k.kind.rawValue),
                         "text": .string(k.text), "source": src(k.source)])
            })
            return .object(o)
        }
        let devices: [JSONValue] = c.devices.map { d in
            var peaks = JSONObject()
            for p in Processor.allCases {
                guard let t = d.peakTOPS[p] else { continue }
                var o = JSONObject()
                for k in t.keys.sorted() { o[k] = .double(t[k] ?? 0) }
                peaks[p.rawValue] = .object(o)
            }
            var o: JSONObject = [
                "name": .string(d.name), "aliases": .array(d.aliases.map { .string($0) }), "class": .bool(d.isClass),
                "title": .string(d.title), "peak_tops": .object(peaks), "source": src(d.source),
            ]
            if let m = d.memoryGB { o["memory_gb"] = .double(m) }
            if let s = d.storageGB { o["storage_gb"] = .double(s) }
            if let b = d.bandwidthGBps { o["bandwidth_gbps"] = .double(b) }
            if !d.also.isEmpty { o["also"] = .array(d.also.map { src($0) }) }
            return .object(o)
        }
        let rules: [JSONValue] = c.rules.map { r in
            .object(["id": .string(r.id), "code": .string(r.code?.rawValue ?? ""), "text": .string(r.text), "source": src(r.source)])
        }
        return .object(["runtimes": .array(runtimes), "devices": .array(devices), "rules": .array(rules), "operator_sets": .array(sets)])
    }
}

extension String {
    /// Markdown table cells cannot hold a bare `|`.
    var replacingPipes: String {
        var out = ""
        for ch in self { out += ch == "|" ? "\\|" : String(ch) }
        return out
    }
}
