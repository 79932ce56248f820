// compression-bench INDEX.json DATA.f32 [--repeat N] [--workers N] [--only-primary] [--channel-last] [--type T]
// Maps DATA.f32 (little-endian float32 tensors, laid out as INDEX.json says: [{"name","shape","offset"}]) and
// times, on the mapped bytes: a plain parallel sum (the memory floor), the engine on symmetric int8
// per-channel plus the 50 % magnitude threshold, and the engine on the reference's four schemes. Prints JSON.
import Compression
import Dispatch
import JSON
#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String) -> Never {
    let line = Array("compression-bench: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

var args = Array(CommandLine.arguments.dropFirst())
var repeats = 5
var workers: Int? = nil
var onlyPrimary = false
var channelLast = false
var primaryType = QuantizationType.int8
if let i = args.firstIndex(of: "--type"), i + 1 < args.count {
    guard let t = QuantizationType(rawValue: args[i + 1]) else { fail("unknown type \(args[i + 1])") }
    primaryType = t
    args.removeSubrange(i...(i + 1))
}
if let i = args.firstIndex(of: "--channel-last") { channelLast = true; args.remove(at: i) }
if let i = args.firstIndex(of: "--only-primary") { onlyPrimary = true; args.remove(at: i) }
if let i = args.firstIndex(of: "--repeat"), i + 1 < args.count { repeats = Int(args[i + 1]) ?? 5; args.removeSubrange(i...(i + 1)) }
if let i = args.firstIndex(of: "--workers"), i + 1 < args.count { workers = Int(args[i + 1]); args.removeSubrange(i...(i + 1)) }
guard args.count == 2 else { fail("usage: compression-bench INDEX.json DATA.f32 [--repeat N] [--workers N]") }

guard let f = fopen(args[0], "rb") else { fail("cannot open \(args[0])") }
var text = [UInt8]()
var buf = [UInt8](repeating: 0, count: 65536)
while true {
    let n = fread(&buf, 1, buf.count, f)
    if n <= 0 { break }
    text.append(contentsOf: buf[0..<n])
}
fclose(f)
guard let index = try? JSONValue.parse(bytes: text), case .array(let rows) = index else { fail("bad index") }

let fd = open(args[1], O_RDONLY)
guard fd >= 0 else { fail("cannot open \(args[1])") }
var st = stat()
guard fstat(fd, &st) == 0 else { fail("cannot stat \(args[1])") }
let size = Int(st.st_size)
guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else { fail("mmap failed") }
let floats = UnsafeBufferPointer(start: map.assumingMemoryBound(to: Float.self), count: size / 4)

var tensors: [WeightTensor] = []
for row in rows {
    guard let name = row["name"]?.stringValue, case .array(let dims)? = row["shape"], let off = row["offset"]?.intValue
    else { fail("bad index row") }
    let shape = dims.compactMap(\.intValue)
    let n = shape.reduce(1, *)
    guard off >= 0, off + n <= floats.count else { fail("tensor \(name) is outside the data file") }
    // Default: [out, in] weights (channel axis 0); --channel-last: [in, out] as MatMul reads them.
    tensors.append(WeightTensor(name: name, shape: shape, channelAxis: channelLast ? shape.count - 1 : 0,
                                reductionAxis: channelLast ? 0 : shape.count - 1,
                                values: .buffer(UnsafeBufferPointer(rebasing: floats[off..<(off + n)]))))
}
let totalBytes = tensors.reduce(0) { $0 + $1.values.count } * 4
let cores = workers ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))

/// The floor: every core sums its share of the mapped floats, vectorised, nothing else.
struct Shared: @unchecked Sendable {
    let base: UnsafePointer<Float>
    let out: UnsafeMutablePointer<Float>
}

func plainSum(_ floats: UnsafeBufferPointer<Float>, cores: Int) -> Float {
    guard let base = floats.baseAddress else { return 0 }
    let out = UnsafeMutablePointer<Float>.allocate(capacity: cores)
    defer { out.deallocate() }
    let shared = Shared(base: base, out: out)
    let n = floats.count
    let per = (n / cores + 7) & ~7
    DispatchQueue.concurrentPerform(iterations: cores) { w in
        let base = shared.base
        let lo = min(w * per, n), hi = w == cores - 1 ? n : min(lo + per, n)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
        var i = lo
        while i + 16 <= hi {
            a0 += UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self)
            a1 += UnsafeRawPointer(base + i + 8).loadUnaligned(as: SIMD8<Float>.self)
            i += 16
        }
        var s = (a0 + a1).sum()
        while i < hi { s += base[i]; i += 1 }
        shared.out[w] = s
    }
    return (0..<cores).reduce(Float(0)) { $0 + out[$1] }
}

func time(_ repeats: Int, _ body: () throws -> Void) rethrows -> [Double] {
    var out: [Double] = []
    for _ in 0..<repeats {
        let t0 = now()
        try body()
        out.append(now() - t0)
    }
    return out
}

var sink: Float = 0
_ = plainSum(floats, cores: cores)  // fault the pages in
let floor = time(repeats) { sink += plainSum(floats, cores: cores) }

let primary = CompressionOptions(schemes: [QuantizationScheme(primaryType, granularity: .perChannel)],
                                 pruning: PruningOptions(targetSparsity: 0.5, patterns: []), workers: workers)
var primaryReport: CompressionReport?
let engine = try time(repeats) { primaryReport = try CompressionEngine.analyze(tensors, options: primary) }

let full = CompressionOptions(
    schemes: [QuantizationScheme(.int8), QuantizationScheme(.int8, granularity: .perChannel),
              QuantizationScheme(.uint8, symmetric: false, widenRangeToZero: false), QuantizationScheme(.uint8, symmetric: false)],
    pruning: PruningOptions(targetSparsity: 0.5, patterns: [.twoFour]), workers: workers)
var fullReport: CompressionReport?
let fullTimes = try time(onlyPrimary ? 0 : repeats) { fullReport = try CompressionEngine.analyze(tensors, options: full) }

func stats(_ t: [Double]) -> JSONValue {
    let s = t.sorted()
    guard !s.isEmpty else { return .null }
    return ["best_s": .double(s[0]), "median_s": .double(s[s.count / 2]),
            "gb_per_s_best": .double(Double(totalBytes) / s[0] / 1e9),
            "gb_per_s_median": .double(Double(totalBytes) / s[s.count / 2] / 1e9)]
}

var out: JSONObject = [
    "bytes": .int(totalBytes), "tensors": .int(tensors.count), "workers": .int(cores), "repeats": .int(repeats),
    "plain_sum": stats(floor), "int8_per_channel_t50": stats(engine), "reference_schemes_t50_2of4": stats(fullTimes),
    "sink": .double(Double(sink)),
]
if let r = primaryReport {
    out["int8_per_channel_sqnr_db_aggregate"] = r.totals.first?.sqnrDBAggregate.map(JSONValue.double) ?? .null
    out["t50_global"] = r.pruning?.global.threshold.map { .double(Double($0)) } ?? .null
}
if let r = fullReport {
    out["per_tensor_sqnr"] = .array(r.tensors.map { t in
        .object(["name": .string(t.name), "sqnr_db": .array(t.schemes.map { $0.sqnrDB.map(JSONValue.double) ?? .null }),
                 "t50": t.pruning?.perTensor.threshold.map { .double(Double($0)) } ?? .null])
    })
}
// Written with write(2), like every tool here: only the `slipway` executable uses print.
let report = Array((JSONValue.object(out).serialized(pretty: true) + "\n").utf8)
_ = report.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
munmap(map, size)
close(fd)
