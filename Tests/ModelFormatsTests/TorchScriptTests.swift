import Foundation
import Testing

@testable import ModelFormats

/// A TorchScript archive's code is parsed (never run) and its `forward` evaluated on shapes: calls on tensors
/// become ATen nodes with their shapes, integers and lists are computed, control flow on an unknown value is
/// left out and named.
@Suite("TorchScript code")
struct TorchScriptSpec {
    static func program(_ files: [String: String]) throws(TorchScriptProgram.Failure) -> TorchScriptProgram {
        var p = TorchScriptProgram()
        for (path, text) in files.sorted(by: { $0.key < $1.key }) {
            let module = path.dropFirst("code/".count).dropLast(".py".count).split(separator: "/").joined(separator: ".")
            try p.parse(Array(text.utf8), path: path, module: module)
        }
        return p
    }

    static func evaluate(_ source: String, weights: [String: [Int]] = [:], attributes: [String: TorchScriptConstant] = [:],
                         input: [Int]?) throws -> (TorchScriptEvaluator, TorchScriptEvaluator.Value) {
        let p = try program(["code/__torch__.py": source])
        let archive = TorchScriptArchive(program: p, rootClass: "__torch__.M", attributes: attributes)
        var e = TorchScriptEvaluator(archive: archive, weights: weights)
        if let input { e.shapes["x"] = input }
        let forward = try #require(p.classes["__torch__.M"]?.methods["forward"])
        let r = try e.call(forward, arguments: [.tensor("x", scalar: nil)], keywords: [], selfValue: .module(path: "", type: "__torch__.M"))
        return (e, r)
    }

    @Test("the traced fixture's classes, declared submodules and forward are read from its deflated code files")
    func readsTheArchiveCode() throws {
        let m = try Fixtures.read("pytorch/traced_cnn.pt")
        let script = try #require(m.torchScript)
        #expect(script.failure == nil)
        #expect(script.rootClass == "__torch__.TracedCNN")
        let root = try #require(script.program.classes["__torch__.TracedCNN"])
        #expect(root.attributeTypes["stem"] == "__torch__.torch.nn.modules.container.Sequential")
        #expect(root.methods["forward"]?.parameters == ["self", "x"])
        // A Sequential names its children by `__annotations__["0"] = …`.
        let seq = try #require(script.program.classes["__torch__.torch.nn.modules.container.Sequential"])
        #expect(seq.attributeTypes["0"] == "__torch__.torch.nn.modules.conv.Conv2d")
        #expect(m.hasTorchScriptCode && m.torchScriptFailure == nil)
    }

    @Test("a scripted module's plain attributes come from data.pkl")
    func attributesFromThePickle() throws {
        let m = try Fixtures.read("pytorch/scripted_branches.pt")
        guard case .bool(true)? = m.torchScript?.attributes["use_norm"] else { Issue.record("use_norm not read"); return }
        guard case .bool(false)? = m.torchScript?.attributes["norm.training"] else { Issue.record("norm.training not read"); return }
    }

    @Test("a construct outside the subset fails the file with its name and line; the weights are read all the same")
    func parseErrorsNameFileAndLine() throws {
        let source = "class M(Module):\n  def forward(self, x):\n    def g(y):\n      return y\n    return x\n"
        #expect(throws: TorchScriptProgram.Failure.self) { try Self.program(["code/__torch__/m.py": source]) }
        do { _ = try Self.program(["code/__torch__/m.py": source]) } catch { #expect(error.message == "code/__torch__/m.py:3: a nested definition (not read)") }
        do { _ = try Self.program(["code/__torch__/m.py": "def f(x):\n  return x[\n"]) } catch {
            #expect(error.message.hasPrefix("code/__torch__/m.py:"))
        }
        let deep = "def f(x):\n  return " + String(repeating: "(", count: 500) + "x" + String(repeating: ")", count: 500) + "\n"
        do { _ = try Self.program(["code/__torch__/m.py": deep]) } catch { #expect(error.message.contains("deeper than 100")) }
    }

    @Test("a while loop that never ends is refused by file and line after a bounded number of iterations")
    func endlessWhileIsBounded() {
        let source = "class M(Module):\n  def forward(self, x):\n    while True:\n      x = torch.relu(x)\n    return x\n"
        let r = TorchScriptSourceCheck.run(Array(source.utf8), shape: [1, 4])
        #expect(r.failure == "code/__torch__.py:3: a while loop runs past \(TorchScriptEvaluator.maxTrips) iterations at these inputs")
        // `pass` alone: the statement count bounds it just the same.
        let idle = TorchScriptSourceCheck.run(Array("class M(Module):\n  def forward(self, x):\n    while True:\n      pass\n".utf8), shape: [1])
        #expect(idle.failure == "code/__torch__.py:3: a while loop runs past \(TorchScriptEvaluator.maxTrips) iterations at these inputs")
    }

    @Test("nested loops of a hostile file stop at the statement bound, named by file and line")
    func nestedLoopsStopAtTheStatementBound() throws {
        // fuzz-torchscript's finds (session 29): 60,000 × 60,000 iterations over a call on an unknown name took 30 s
        // in the fuzzer's ASan build at 2^21 statements; the bound is 2^16.
        for name in ["crash-66a8a7a8081744a9", "crash-c1916f2fbc9f5ffa"] {
            let path = KerasFixtures.directory + "/../fuzz/torchscript/" + name
            let source = Array(try #require(FileManager.default.contents(atPath: path)))
            let r = TorchScriptSourceCheck.run(source, shape: [1, 3, 8, 8])
            #expect(r.failure?.hasPrefix("code/__torch__.py:") == true, "\(name): \(r.failure ?? "")")
            #expect(r.failure?.hasSuffix(": the evaluation exceeds 65536 statements") == true, "\(name): \(r.failure ?? "")")
        }
    }

    @Test("DEFLATE streams inflate; a malformed one fails without trapping")
    func inflate() throws {
        let fixed: [UInt8] = [75, 206, 73, 44, 46, 86, 112, 212, 240, 205, 79, 41, 205, 73, 213, 180, 226, 82, 80, 168, 80, 176, 82, 200,
                              204, 43, 225, 74, 30, 149, 26, 217, 82, 0]
        let out = try fixed.withUnsafeBytes { b throws(Inflate.Failure) in try Inflate.decode(b, limit: 1 << 20) }
        #expect(out == Array(String(repeating: "class A(Module):\n  x : int\n", count: 20).utf8))
        let stored: [UInt8] = [1, 6, 0, 249, 255, 115, 116, 111, 114, 101, 100]
        #expect(try stored.withUnsafeBytes { b throws(Inflate.Failure) in try Inflate.decode(b, limit: 100) } == Array("stored".utf8))
        #expect(throws: Inflate.Failure.self) { try fixed.withUnsafeBytes { b throws(Inflate.Failure) in try Inflate.decode(b, limit: 100) } }
        #expect(throws: Inflate.Failure.self) { try Array(fixed.prefix(10)).withUnsafeBytes { b throws(Inflate.Failure) in try Inflate.decode(b, limit: 1 << 20) } }
        #expect(throws: Inflate.Failure.self) { try [UInt8]([7]).withUnsafeBytes { b throws(Inflate.Failure) in try Inflate.decode(b, limit: 100) } }
    }

    @Test("sizes flow through integers: NumToTensor, int(), view with a computed shape")
    func sizesAsValues() throws {
        let source = """
        class M(Module):
          fc : __torch__.L
          def forward(self: __torch__.M, x: Tensor) -> Tensor:
            fc = self.fc
            n = ops.prim.NumToTensor(torch.size(x, 0))
            c = torch.floordiv(torch.size(x, 1), 2)
            y = torch.view(x, [int(n), c, -1])
            z = torch.permute(y, [0, 2, 1])
            return (fc).forward(torch.flatten(z, 1), )
        class L(Module):
          def forward(self: __torch__.L, input: Tensor) -> Tensor:
            weight = self.weight
            return torch.linear(input, weight, None)
        """
        let (e, r) = try Self.evaluate(source, weights: ["fc.weight": [10, 96]], input: [2, 8, 12])
        #expect(e.nodes.map(\.opType) == ["aten.view", "aten.permute", "aten.flatten", "aten.linear"])
        #expect(e.shape(r) == [2, 10])
        #expect(e.nodes.map { e.shapes[$0.outputs[0]] ?? [] } == [[2, 4, 24], [2, 24, 4], [2, 96], [2, 10]])
        #expect(e.nodes[3].inputs == [e.nodes[2].outputs[0], "fc.weight"])
    }

    @Test("an if on a value not known before the run is left out, each of its calls named; a raising branch is not taken")
    func unknownBranches() throws {
        let source = """
        class M(Module):
          def forward(self: __torch__.M, x: Tensor) -> Tensor:
            if torch.gt(torch.size(x, 1), 4):
              ops.prim.RaiseException("too wide", "builtins.ValueError")
            else:
              pass
            s = torch.sum(x)
            if bool(torch.gt(s, 0.)):
              y = torch.relu(x)
            else:
              y = torch.sigmoid(torch.neg(x))
            return torch.add(y, 1)
        """
        let (e, _) = try Self.evaluate(source, input: [1, 3])
        let ops = e.nodes.map(\.opType)
        #expect(ops.first == "aten.sum")
        #expect(ops.contains("relu (in an if on a value not known before the run)"))
        #expect(ops.contains("sigmoid (in an if on a value not known before the run)"))
        #expect(ops.contains("neg (in an if on a value not known before the run)"))
        // y is unknown after the branch: the add's output has no shape.
        let add = try #require(e.nodes.last)
        #expect(add.opType == "aten.add" && e.shapes[add.outputs[0]] == nil)
    }

    @Test("a submodule called in a branch not walked is opened: its own calls are named, not one node for all")
    func unwalkedSubmodulesAreOpened() throws {
        let source = """
        class M(Module):
          fc : __torch__.L
          def forward(self: __torch__.M, x: Tensor) -> Tensor:
            if bool(torch.gt(torch.sum(x), 0.)):
              fc = self.fc
              y = (fc).forward(x, )
            else:
              y = x
            return y
        class L(Module):
          def forward(self: __torch__.L, input: Tensor) -> Tensor:
            return torch.relu(torch.linear(input, self.weight, None))
        """
        let (e, _) = try Self.evaluate(source, weights: ["fc.weight": [2, 3]], input: [1, 3])
        #expect(e.nodes.map(\.opType) == ["aten.sum", "aten.gt", "linear (in an if on a value not known before the run)",
                                          "relu (in an if on a value not known before the run)"])
    }

    @Test("a loop over a known range is unrolled; over an unknown count it is left out")
    func loops() throws {
        let source = """
        class M(Module):
          def forward(self: __torch__.M, x: Tensor) -> Tensor:
            y = x
            for i in range(torch.size(x, 0)):
              y = torch.mul(y, 2)
            for j in range(int(torch.sum(x))):
              y = torch.exp(y)
            return y
        """
        let (e, _) = try Self.evaluate(source, input: [3, 2])
        #expect(e.nodes.filter { $0.opType == "aten.mul" }.count == 3)
        #expect(e.nodes.contains { $0.opType == "exp (in a loop of a trip count not known before the run)" })
    }

    @Test("arithmetic on values from the file is checked: an overflow is an unknown value, not a trap")
    func checkedArithmetic() throws {
        let source = """
        class M(Module):
          def forward(self: __torch__.M, x: Tensor) -> Tensor:
            n = torch.mul(9223372036854775807, 2)
            return torch.view(x, [n, -1])
        """
        let (e, r) = try Self.evaluate(source, input: [4, 4])
        #expect(e.shape(r) == nil)
    }

    @Test("an evaluation past its limits stops and says which limit")
    func evaluationIsBounded() {
        let source = "class M(Module):\n  def forward(self, x):\n    for i in range(60000):\n      for j in range(60000):\n        x = torch.relu(x)\n    return x\n"
        let r = TorchScriptSourceCheck.run(Array(source.utf8), shape: [1])
        // One relu per statement: the statement bound (2^16) is met before the graph's (2^18 calls).
        #expect(r.failure?.hasPrefix("code/__torch__.py:") == true)
        #expect(r.failure?.hasSuffix(": the evaluation exceeds \(TorchScriptEvaluator.maxSteps) statements") == true, "\(r.failure ?? "")")
        #expect(r.calls > 0 && r.calls <= TorchScriptEvaluator.maxNodes)
    }

    @Test("a range's values are made as the loop runs: bounds near Int.max neither trap nor allocate, and the values are exact")
    func rangeLoopsAreLazyAndExact() throws {
        let source = """
        class M(Module):
          def forward(self: __torch__.M, x: Tensor) -> Tensor:
            n = 0
            for i in range(9223372036854775790, 9223372036854775807, 5):
              n = i
            k = 0
            for j in range(-9223372036854775807, 9223372036854775807):
              k = torch.add(k, 1)
              if torch.eq(k, 3):
                break
            return torch.view(x, [torch.sub(n, 9223372036854775800), k, -1])
        """
        let (e, r) = try Self.evaluate(source, input: [5, 3, 2])
        // 9223372036854775790 + 3 × 5 is the last value below the end; the second loop leaves after three turns.
        #expect(e.shape(r) == [5, 3, 2])
        #expect(e.steps < 40)
    }

    @Test("loops whose bodies leave at once, or lists that double, stop at the work bound in time")
    func workOtherThanStatementsIsBounded() {
        // Before: each outer turn built the inner range's 65,536 values, and a list doubled in 40 turns.
        let leaving = "class M(Module):\n  def forward(self, x):\n    for i in range(60000):\n      for j in range(9223372036854775807):\n        break\n    return x\n"
        let r = TorchScriptSourceCheck.run(Array(leaving.utf8), shape: [1])
        #expect(r.failure == "code/__torch__.py:5: the evaluation exceeds \(TorchScriptEvaluator.maxSteps) statements")
        let doubling = "class M(Module):\n  def forward(self, x):\n    l = [1]\n    for i in range(40):\n      l = torch.add(l, l)\n    return torch.view(x, l)\n"
        let d = TorchScriptSourceCheck.run(Array(doubling.utf8), shape: [4])
        #expect(d.failure == nil)
        let appending = "class M(Module):\n  def forward(self, x):\n    l = [1]\n    for i in range(60000):\n      torch.append(l, i)\n    return x\n"
        let a = TorchScriptSourceCheck.run(Array(appending.utf8), shape: [4])
        // 60,000 appends copy ~1.8 × 10^9 elements: the copies are counted as work.
        #expect(a.failure == "code/__torch__.py:5: the evaluation exceeds \(TorchScriptEvaluator.maxSteps) statements")
    }

    @Test("a path the inputs decide that raises stops the evaluation and says where, not costing the calls before it as the model")
    func aRaiseReachedStops() {
        // silero-vad's `if x.shape[1] != num_samples: raise ValueError(...)`, here on a known width.
        let source = """
        class M(Module):
          def forward(self: __torch__.M, x: Tensor) -> Tensor:
            y = torch.relu(x)
            if torch.eq(torch.size(x, 1), 512):
              pass
            else:
              ops.prim.RaiseException("Exception")
            return y
        """
        let raised = TorchScriptSourceCheck.run(Array(source.utf8), shape: [1, 256])
        #expect(raised.failure == "code/__torch__.py:2: forward raises at these inputs")
        let fine = TorchScriptSourceCheck.run(Array(source.utf8), shape: [1, 512])
        #expect(fine.failure == nil && fine.calls == 1)
    }

    @Test("recursion is bounded")
    func recursionIsBounded() throws {
        let source = """
        class M(Module):
          def forward(self: __torch__.M, x: Tensor) -> Tensor:
            return (self).forward(x, )
        """
        #expect(throws: TorchScriptEvaluator.Failure.self) { _ = try Self.evaluate(source, input: [1]) }
    }
}
