import Foundation
import Hashing
import JSON
import Testing

@testable import ModelFormats

/// PyTorch archives read in place, compared bit for bit with what torch reads from the same files
/// (Tests/Fixtures/models/pytorch/expected.json, written with the fixtures by scripts/make_pytorch_fixtures.py).
@Suite("PyTorch archives")
struct PyTorchReaderSpec {
    static let expected: JSONValue = {
        let data = FileManager.default.contents(atPath: Fixtures.path("pytorch/expected.json")) ?? Data()
        return (try? JSONValue.parse(bytes: Array(data))) ?? .null
    }()

    /// torch's dtype names for the reader's.
    static func torchName(_ d: DType) -> String {
        switch d {
        case .float32: return "float32"
        case .float16: return "float16"
        case .int64: return "int64"
        default: return d.name
        }
    }

    @Test("every tensor torch reads, with its name, dtype, shape and bytes",
          arguments: ["state_dict.pt", "checkpoint.pth", "torchscript.pt", "exported.pt2"])
    func tensorsEqualTorch(file: String) throws {
        let model = try Fixtures.read("pytorch/" + file)
        #expect(model.format == .pytorch)
        #expect(model.graphs.isEmpty == !file.hasSuffix(".pt2"))
        let want = try #require(Self.expected[file]?.arrayValue)
        #expect(want.count >= 12)
        var got: [String: (String, [Int], String)] = [:]
        for t in model.tensors {
            let digest = try model.withStoredBytes(of: t) { b -> String in
                var h = SHA256()
                h.update(b)
                return h.finalize()
            }
            got[t.name] = (Self.torchName(t.dtype), t.shape, digest)
        }
        #expect(Set(got.keys) == Set(want.compactMap { $0["name"]?.stringValue }))
        for w in want {
            let name = try #require(w["name"]?.stringValue)
            let g = try #require(got[name], "\(name) missing")
            #expect(g.0 == w["dtype"]?.stringValue, "\(name)")
            #expect(g.1 == (w["shape"]?.arrayValue ?? []).compactMap(\.intValue), "\(name)")
            #expect(g.2 == w["sha256"]?.stringValue, "\(name): bytes differ from torch's")
        }
    }

    @Test("a state dict names its tensors by key, a checkpoint by path, a TorchScript module by attribute")
    func namesAndKinds() throws {
        let sd = try Fixtures.read("pytorch/state_dict.pt")
        #expect(sd.metadata["pytorch.kind"] == "state_dict")
        #expect(sd.tensors.first?.name == "scale16")
        // The tied embedding and output weights: one storage, two names, the same bytes.
        let emb = try #require(sd.tensors.first { $0.name == "emb.weight" })
        let head = try #require(sd.tensors.first { $0.name == "head.weight" })
        #expect(emb.storage == head.storage)
        // Counted once, as torch's `parameters()` and the file do: the second name shares the first's bytes.
        let embIndex = try #require(sd.tensors.firstIndex { $0.name == "emb.weight" })
        #expect(head.sharedWith == embIndex && emb.sharedWith == nil)
        #expect(sd.tensors.filter { $0.sharedWith != nil }.map(\.name) == ["head.weight"])
        #expect(sd.parameterCount == sd.tensors.reduce(0) { $0 + $1.elementCount } - emb.elementCount)
        #expect(sd.storedBytes == sd.tensors.reduce(0) { $0 + $1.storedBytes } - emb.storedBytes)
        #expect(sd.storedBytes < sd.fileSize)
        let inspected = try #require(sd.inspectionJSON()["tensors"]?.arrayValue?.first { $0["name"]?.stringValue == "head.weight" })
        #expect(inspected["shares_storage_with"]?.stringValue == "emb.weight")
        let ckpt = try Fixtures.read("pytorch/checkpoint.pth")
        let window = try #require(ckpt.tensors.first { $0.name == "window" })
        #expect(window.shape == [3, 4])
        #expect(try ckpt.withFloat32Values(of: window) { Array($0) } == (4..<16).map(Float.init))
        let ts = try Fixtures.read("pytorch/torchscript.pt")
        #expect(ts.metadata["pytorch.kind"] == "torchscript")
        #expect(ts.tensors.contains { $0.name == "bn.num_batches_tracked" && $0.shape == [] && $0.dtype == .int64 })
    }

    @Test("an ExportedProgram keeps its ATen calls, with each weight read by its node")
    func exportedProgramGraph() throws {
        let m = try Fixtures.read("pytorch/exported.pt2")
        #expect(m.metadata["pytorch.kind"] == "exported_program")
        let want = (Self.expected["exported.pt2 operators"]?.arrayValue ?? []).compactMap(\.stringValue)
        #expect(m.graphs[0].nodes.map(\.opType).sorted() == want)
        #expect(m.inputs.map(\.name) == ["x"] && m.inputs.first?.shape == [.fixed(1), .fixed(3), .fixed(8), .fixed(8)])
        let conv = try #require(m.tensors.first { $0.name == "conv.weight" })
        let reader = try #require(conv.consumers.first)
        #expect(m.graphs[0].nodes[reader.node].opType == "aten.conv2d.default" && reader.inputIndex == 1)
        // The state dict inside is a torch.save archive stored in the .pt2: its tensors point into the outer file.
        guard case .file(let offset, _) = conv.storage else { Issue.record("conv.weight is not stored in the file"); return }
        #expect(offset > 0 && offset < m.fileSize)
    }

    @Test("a pickled module is refused by the class it names, never loaded")
    func wholeModuleIsRefusedByName() throws {
        #expect {
            _ = try Fixtures.read("pytorch/whole_module.pt")
        } throws: { e in
            let d = "\(e)"
            return d.contains("is a PyTorch archive whose pickle Slipway does not read") && d.contains("__main__.Net") && d.contains("would import and run that code") && d.contains("state_dict()")
        }
    }

    @Test("opcodes and globals outside the subset are refused with their names")
    func hostilePickles() throws {
        func run(_ bytes: [UInt8]) -> String {
            bytes.withUnsafeBytes { b in
                var p = Pickle(b)
                do {
                    _ = try p.run()
                    return "ok"
                } catch { return (error as? Pickle.Failure)?.message ?? "\(error)" }
            }
        }
        // GLOBAL os.system, then REDUCE: refused at the GLOBAL.
        #expect(run([0x80, 2] + Array("cos\nsystem\n".utf8) + [0x58, 2, 0, 0, 0] + Array("id".utf8) + [0x85, 0x52, 0x2E])
                    .contains("names os.system"))
        // INST (text opcode that imports and calls).
        #expect(run([0x80, 2, 0x69]).contains("opcode 0x69"))
        // Truncated, lying lengths, an empty stack, a memo never stored.
        #expect(run([0x80, 2, 0x58, 0xFF, 0xFF, 0xFF, 0x7F]).contains("runs past the end"))
        #expect(run([0x80, 2]).contains("without STOP"))
        #expect(run([0x80, 2, 0x52]).contains("empty stack"))
        #expect(run([0x80, 2, 0x68, 9]).contains("never stored"))
        #expect(run([0x80, 2, 0x4B, 7, 0x2E]) == "ok")
    }

    @Test("a tensor referred to again and again under long keys is refused by the bytes of its names, not paid for")
    func namesAreBounded() throws {
        // scripts/make_fuzz_seeds.py: one memoized tensor listed 18,000 times under a 240 KB key path (a 4 KB
        // key, memoized, at 60 levels of nested dicts). Each reference is a tensor of that name: 4.4 GB of names
        // from a 41 KB file before the walk counted them (fuzz-pytorch ran out of memory).
        let path = Fixtures.path("../fuzz/pytorch/oom-one-tensor-named-by-long-paths")
        #expect {
            _ = try ModelReader.read(path: path)
        } throws: { e in
            let d = "\(e)"
            return d.hasPrefix("\(path): kkkk") && d.hasSuffix(
                ": its tensors' and containers' names total over 67108864 bytes (values referred to again and again under long keys): not a state dict torch writes")
        }
    }
}
