#if canImport(Glibc)
import Glibc
#endif
import JSON

/// The instant-query API of a Prometheus server (`GET /api/v1/query`,
/// https://prometheus.io/docs/prometheus/latest/querying/api/), over plain HTTP/1.1 with a deadline and a
/// bounded response. Only what `monitor check` needs: no TLS (put a local proxy in front of an https
/// endpoint), no redirects.
enum PrometheusHTTP {
    struct Endpoint {
        var host: String
        var port: String
        var basePath: String
    }

    static func endpoint(_ url: String) -> Result<Endpoint, MonitorError> {
        guard url.hasPrefix("http://") else {
            return .failure(MonitorError(.source, "\(url): only http:// Prometheus URLs are read (https: query it through a local proxy)"))
        }
        let rest = url.dropFirst(7)
        let hostPort = rest.prefix { $0 != "/" }
        var base = String(rest.dropFirst(hostPort.count))
        while base.hasSuffix("/") { base.removeLast() }
        var host = String(hostPort), port = "80"
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return .failure(MonitorError(.source, "\(url): unterminated IPv6 address")) }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { port = String(after.dropFirst()) }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            port = String(host[host.index(after: colon)...])
            host = String(host[..<colon])
        }
        guard !host.isEmpty, !port.isEmpty, port.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return .failure(MonitorError(.source, "\(url): expected http://HOST[:PORT][/PATH]"))
        }
        return .success(Endpoint(host: host, port: port, basePath: base))
    }

    static func percentEncoded(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            let unreserved = (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == 45 || b == 46 || b == 95 || b == 126
            if unreserved { out.unicodeScalars.append(UnicodeScalar(b)) } else {
                let h = String(b, radix: 16, uppercase: true)
                out += "%" + (h.count == 1 ? "0" : "") + h
            }
        }
        return out
    }

    /// The result vector of an instant query: (labels, value) per series.
    static func query(_ e: Endpoint, _ promql: String, timeoutMS: Int32 = 10_000) -> Result<[([String: String], Double)], MonitorError> {
        let path = "\(e.basePath)/api/v1/query?query=\(percentEncoded(promql))"
        let body: [UInt8]
        switch get(e, path: path, timeoutMS: timeoutMS) {
        case .success(let b): body = b
        case .failure(let f): return .failure(f)
        }
        guard let json = try? JSONValue.parse(bytes: body) else {
            return .failure(MonitorError(.source, "http://\(e.host):\(e.port): the answer to \(promql) is not JSON"))
        }
        guard json["status"]?.stringValue == "success" else {
            return .failure(MonitorError(.source, "http://\(e.host):\(e.port): query \(promql) failed: \(json["error"]?.stringValue ?? "no error message")"))
        }
        var out: [([String: String], Double)] = []
        for r in json["data"]?["result"]?.arrayValue ?? [] {
            var labels: [String: String] = [:]
            for (k, v) in r["metric"]?.objectValue?.entries ?? [] { labels[k] = v.stringValue ?? "" }
            // An instant vector's value is [time, "number"] with the number as a string.
            guard let text = r["value"]?[1]?.stringValue else { continue }
            let v: Double
            switch text {
            case "+Inf": v = .infinity
            case "-Inf": v = -.infinity
            case "NaN": v = .nan
            default:
                guard let d = Double(text) else { continue }
                v = d
            }
            out.append((labels, v))
        }
        return .success(out)
    }

    static func get(_ e: Endpoint, path: String, timeoutMS: Int32, limit: Int = 32 << 20) -> Result<[UInt8], MonitorError> {
        let where_ = "http://\(e.host):\(e.port)"
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(e.host, e.port, &hints, &res) == 0, let first = res else {
            return .failure(MonitorError(.source, "\(where_): cannot resolve \(e.host)"))
        }
        defer { freeaddrinfo(res) }
        var fd: Int32 = -1
        var a: UnsafeMutablePointer<addrinfo>? = first
        while let ai = a {
            let s = socket(ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), ai.pointee.ai_protocol)
            if s >= 0 {
                if connect(s, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 || errno == EINPROGRESS {
                    var p = pollfd(fd: s, events: Int16(POLLOUT), revents: 0)
                    var err: Int32 = 0
                    var len = socklen_t(MemoryLayout<Int32>.size)
                    if poll(&p, 1, timeoutMS) == 1, getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0, err == 0 {
                        fd = s
                        break
                    }
                }
                close(s)
            }
            a = ai.pointee.ai_next
        }
        guard fd >= 0 else { return .failure(MonitorError(.source, "\(where_): cannot connect (is Prometheus running there?)")) }
        defer { close(fd) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(e.host):\(e.port)\r\nAccept: application/json\r\nConnection: close\r\nUser-Agent: slipway\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&p, 1, timeoutMS) == 1 else { return .failure(MonitorError(.source, "\(where_): timed out sending the query")) }
            let n = request.withUnsafeBytes { send(fd, $0.baseAddress.map { $0 + sent }, request.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            guard n > 0 else { return .failure(MonitorError(.source, "\(where_): the connection closed while sending")) }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, timeoutMS) == 1 else { return .failure(MonitorError(.source, "\(where_): no answer within \(timeoutMS) ms")) }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            if n <= 0 { break }
            response.append(contentsOf: buffer[0..<n])
            guard response.count <= limit else { return .failure(MonitorError(.source, "\(where_): the answer exceeds \(limit >> 20) MiB")) }
        }
        return decode(response, where_: where_)
    }

    /// Splits an HTTP/1.1 response; the body de-chunked when it was sent in chunks.
    static func decode(_ r: [UInt8], where_: String) -> Result<[UInt8], MonitorError> {
        var headerEnd = -1
        if r.count >= 4 {
            for k in 0...(r.count - 4) where r[k] == 13 && r[k + 1] == 10 && r[k + 2] == 13 && r[k + 3] == 10 { headerEnd = k; break }
        }
        guard headerEnd >= 0 else { return .failure(MonitorError(.source, "\(where_): not an HTTP response")) }
        let head = String(decoding: r[0..<headerEnd], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let status = lines.first.map { $0.split(separator: " ") } ?? []
        guard status.count >= 2, let code = Int(status[1]) else { return .failure(MonitorError(.source, "\(where_): not an HTTP response")) }
        var body = Array(r[(headerEnd + 4)...])
        let chunked = lines.dropFirst().contains { $0.lowercased().hasPrefix("transfer-encoding:") && $0.lowercased().contains("chunked") }
        if chunked {
            var out: [UInt8] = []
            var p = 0
            while p < body.count {
                var e = p
                while e + 1 < body.count && !(body[e] == 13 && body[e + 1] == 10) { e += 1 }
                let sizeText = String(decoding: body[p..<e], as: UTF8.self).split(separator: ";").first.map(String.init) ?? ""
                guard let size = Int(sizeText.trimmingCharacters(), radix: 16), size >= 0 else { break }
                if size == 0 { break }
                let s = e + 2
                guard s + size <= body.count else { return .failure(MonitorError(.source, "\(where_): truncated chunked answer")) }
                out.append(contentsOf: body[s..<(s + size)])
                p = s + size + 2
            }
            body = out
        }
        // Prometheus answers query errors with 400/422 and a JSON body that says why: keep it.
        guard (200..<300).contains(code) || code == 400 || code == 422 else {
            return .failure(MonitorError(.source, "\(where_): HTTP \(code)"))
        }
        return .success(body)
    }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
