import Compression
import JSON

/// One estimate: the JSON `slipway estimate --json` prints, and the figures the checks and the table use,
/// read back from that JSON (so a cached result and a fresh one are the same thing).
public struct EstimateResult: Sendable, Hashable {
    public struct Worst: Sendable, Hashable {
        public var name: String
        public var sqnrDB: Double
    }

    public var json: JSONValue
    /// The primary scheme's label (`int8-sym-per-channel`).
    public var scheme: String
    public var parameters: Int
    public var tensorCount: Int
    public var skippedCount: Int
    public var sqnrDBAggregate: Double?
    public var sqnrDBWeighted: Double?
    public var sqnrDBMin: Double?
    /// Lowest SQNR first.
    public var worst: [Worst]
    /// The measured tensors only, before and after.
    public var tensorBytesBefore: Int
    public var tensorBytesAfter: Int
    /// The whole model: the file (and its external data), and the same with the measured tensors replaced.
    public var modelBytesBefore: Int
    public var modelBytesAfter: Int
    public var findings: [Finding]
    /// The global magnitude threshold, the sparsity it reaches and the energy it keeps, when pruning was asked.
    public var pruningThreshold: Double?
    public var pruningSparsity: Double?
    public var pruningEnergyRetained: Double?
    /// True when read from the cache rather than computed.
    public var fromCache: Bool = false

    /// Nil when `json` is not a result this version wrote (a corrupt or foreign cache entry).
    public init?(json: JSONValue) {
        guard let total = json["total"], let model = json["model"], case .array(let tensors)? = json["tensors"],
            case .array(let fs)? = json["findings"], let scheme = total["scheme"]?.stringValue,
            let parameters = total["parameters"]?.intValue, let before = total["bytes_before"]?.intValue,
            let after = total["bytes_after"]?.intValue, let mBefore = model["bytes_before"]?.intValue,
            let mAfter = model["bytes_after"]?.intValue
        else { return nil }
        self.json = json
        self.scheme = scheme
        self.parameters = parameters
        tensorCount = tensors.count
        skippedCount = json["skipped"]?.arrayValue?.count ?? 0
        sqnrDBAggregate = total["sqnr_db_aggregate"]?.doubleValue
        sqnrDBWeighted = total["sqnr_db_weighted"]?.doubleValue
        sqnrDBMin = total["sqnr_db_min"]?.doubleValue
        worst = (total["worst"]?.arrayValue ?? []).compactMap { w in
            guard let n = w["name"]?.stringValue, let d = w["sqnr_db"]?.doubleValue else { return nil }
            return Worst(name: n, sqnrDB: d)
        }
        tensorBytesBefore = before
        tensorBytesAfter = after
        modelBytesBefore = mBefore
        modelBytesAfter = mAfter
        findings = fs.compactMap { f in
            guard let k = f["kind"]?.stringValue.flatMap(Finding.Kind.init(rawValue:)),
                let message = f["message"]?.stringValue
            else { return nil }
            return Finding(kind: k, tensors: (f["tensors"]?.arrayValue ?? []).compactMap(\.stringValue), message: message,
                           scheme: f["scheme"]?.stringValue, alternative: f["alternative"]?.stringValue,
                           fromDB: f["from_db"]?.doubleValue, toDB: f["to_db"]?.doubleValue, value: f["value"]?.doubleValue)
        }
        pruningThreshold = json["pruning"]?["threshold"]?.doubleValue
        pruningSparsity = json["pruning"]?["sparsity"]?.doubleValue
        pruningEnergyRetained = json["pruning"]?["energy_retained"]?.doubleValue
        // A target pruned per tensor (prune.scope's default) is converted with per-tensor thresholds: report
        // those figures (the threshold is their parameter-weighted mean).
        if json["settings"]?["prune"]?["scope"]?.stringValue == "per-tensor", let p = json["pruning"]?["per_tensor"],
           let s = p["sparsity"]?.doubleValue {
            pruningSparsity = s
            pruningEnergyRetained = p["energy_retained"]?.doubleValue
            pruningThreshold = p["threshold_weighted"]?.doubleValue ?? pruningThreshold
        }
    }

    /// The JSON with `cache: hit|miss` added (the CLI's output).
    public var outputJSON: JSONValue {
        guard case .object(var o) = json else { return json }
        o["cache"] = .string(fromCache ? "hit" : "miss")
        return .object(o)
    }
}
