import CheckedMath
import JSON

/// A JSON-RPC request id: a number or a string, echoed back unchanged.
public enum RequestID: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case string(String)

    init?(_ v: JSONValue?) {
        switch v {
        case .int(let i)?: self = .int(i)
        case .string(let s)?: self = .string(s)
        case .double(let d)? where d == d.rounded() && abs(d) < 9e15: self = .int(Int(saturating: d))
        default: return nil
        }
    }

    var json: JSONValue {
        switch self {
        case .int(let i): return .int(i)
        case .string(let s): return .string(s)
        }
    }

    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .string(let s): return "\"\(s)\""
        }
    }
}

/// JSON-RPC and LSP error codes.
public enum ErrorCode: Int, Sendable {
    case parseError = -32700
    case invalidRequest = -32600
    case methodNotFound = -32601
    case invalidParams = -32602
    case internalError = -32603
    case serverNotInitialized = -32002
    case requestFailed = -32803
    case serverCancelled = -32802
    case contentModified = -32801
    case requestCancelled = -32800
}

public struct ResponseError: Error, Sendable {
    public var code: ErrorCode
    public var message: String
    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    static func invalidParams(_ m: String) -> ResponseError { ResponseError(.invalidParams, m) }

    var json: JSONValue { ["code": .int(code.rawValue), "message": .string(message)] }
}

/// One decoded JSON-RPC message.
public enum Message: Sendable {
    case request(id: RequestID, method: String, params: JSONValue)
    case notification(method: String, params: JSONValue)
    case response(id: RequestID?, result: JSONValue?, error: JSONValue?)

    /// Classifies a parsed JSON value; a value that is no JSON-RPC message is an `invalidRequest` error
    /// (with the id when one can be read, so the client can be answered).
    public static func decode(_ v: JSONValue) -> Result<Message, InvalidMessage> {
        guard case .object(let o) = v else {
            return .failure(InvalidMessage(nil, ResponseError(.invalidRequest, "a JSON-RPC message is an object")))
        }
        let rawID = o["id"]
        let id = RequestID(rawID)
        if rawID != nil, rawID != .null, id == nil {
            return .failure(InvalidMessage(nil, ResponseError(.invalidRequest, "'id' must be a number or a string")))
        }
        if let method = o["method"] {
            guard case .string(let m) = method else {
                return .failure(InvalidMessage(id, ResponseError(.invalidRequest, "'method' must be a string")))
            }
            let params = o["params"] ?? .null
            switch params {
            case .object, .array, .null: break
            default: return .failure(InvalidMessage(id, ResponseError(.invalidRequest, "'params' must be an object or an array")))
            }
            if let id { return .success(.request(id: id, method: m, params: params)) }
            return .success(.notification(method: m, params: params))
        }
        if o["result"] != nil || o["error"] != nil {
            return .success(.response(id: id, result: o["result"], error: o["error"]))
        }
        return .failure(InvalidMessage(id, ResponseError(.invalidRequest, "a message needs 'method', 'result' or 'error'")))
    }
}

/// A message that could not be decoded, with the id to answer when one could be read.
public struct InvalidMessage: Error, Sendable {
    public var id: RequestID?
    public var error: ResponseError
    init(_ id: RequestID?, _ error: ResponseError) {
        self.id = id
        self.error = error
    }
}

enum Outgoing {
    static func response(_ id: RequestID, _ result: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": id.json, "result": result]
    }
    static func error(_ id: RequestID?, _ e: ResponseError) -> JSONValue {
        ["jsonrpc": "2.0", "id": id?.json ?? .null, "error": e.json]
    }
    static func notification(_ method: String, _ params: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "method": .string(method), "params": params]
    }
    static func request(_ id: RequestID, _ method: String, _ params: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": id.json, "method": .string(method), "params": params]
    }
}
