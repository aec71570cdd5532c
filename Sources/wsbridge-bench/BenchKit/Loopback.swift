#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A problem with the tool's input, reported to the user as is.
public struct BenchError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// An IPv4 address in 127.0.0.0/8: the only kind of address the load tool talks to.
public struct LoopbackIPv4: Hashable, Sendable, CustomStringConvertible, Codable {
    /// Host byte order.
    public var value: UInt32

    public init(value: UInt32) { self.value = value }

    /// Parses dotted-quad text (or `localhost`); anything outside 127.0.0.0/8 is refused.
    public init(parsing text: String) throws {
        if text == "localhost" {
            self.value = 0x7F00_0001
            return
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { throw BenchError("not an IPv4 address: \(text)") }
        var value: UInt32 = 0
        for part in parts {
            guard part.count <= 3, let octet = UInt8(part) else { throw BenchError("not an IPv4 address: \(text)") }
            value = value << 8 | UInt32(octet)
        }
        guard value >> 24 == 127 else {
            throw BenchError("\(text) is not a loopback address: wsbridge-bench only talks to 127.0.0.0/8")
        }
        self.value = value
    }

    public var description: String {
        "\(value >> 24).\((value >> 16) & 0xFF).\((value >> 8) & 0xFF).\(value & 0xFF)"
    }
}

/// `host:port` on loopback.
public struct LoopbackEndpoint: Hashable, Sendable, CustomStringConvertible, Codable {
    public var host: LoopbackIPv4
    public var port: Int

    public init(host: LoopbackIPv4, port: Int) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String, defaultPort: Int? = nil) throws {
        if let colon = text.lastIndex(of: ":") {
            let host = String(text[..<colon])
            guard let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
                throw BenchError("bad port in \(text)")
            }
            self.init(host: try LoopbackIPv4(parsing: host), port: port)
        } else if let defaultPort {
            self.init(host: try LoopbackIPv4(parsing: text), port: defaultPort)
        } else {
            throw BenchError("expected HOST:PORT, got \(text)")
        }
    }

    public var description: String { "\(host):\(port)" }
}

/// `ws://host:port/path` (or `http://`, or `wss://` for TLS): where the load connects.
public struct LoopbackURL: Sendable, CustomStringConvertible, Codable {
    public var endpoint: LoopbackEndpoint
    /// `wss://` (or `https://`): connections speak TLS (the server's certificate is not checked: the
    /// load runs on loopback against a server the bench started).
    public var tls = false
    /// Starts with `/`; no query.
    public var path: String

    public init(endpoint: LoopbackEndpoint, path: String) {
        self.endpoint = endpoint
        self.path = path
    }

    public init(parsing text: String, schemes: [String]) throws {
        guard let schemeEnd = text.range(of: "://") else { throw BenchError("not a URL: \(text)") }
        let scheme = String(text[..<schemeEnd.lowerBound]).lowercased()
        guard schemes.contains(scheme) else {
            throw BenchError("\(text): expected a \(schemes.joined(separator: " or ")) URL")
        }
        let rest = text[schemeEnd.upperBound...]
        let authority: Substring
        let path: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[slash...]
        } else {
            authority = rest
            path = "/"
        }
        guard !path.contains("?"), !path.contains("#") else {
            throw BenchError("\(text): give the URL without a query; the tool adds the user itself")
        }
        self.tls = scheme == "wss" || scheme == "https"
        let defaultPort = scheme == "redis" ? 6379 : (self.tls ? 443 : 80)
        self.endpoint = try LoopbackEndpoint(parsing: String(authority), defaultPort: defaultPort)
        self.path = String(path)
    }

    public var description: String { "\(endpoint)\(path)" }
}

/// A range of source addresses such as `127.0.0.1-127.0.0.16`, or a single one.
public struct SourceRange: Sendable, Codable, CustomStringConvertible {
    public var first: LoopbackIPv4
    public var count: Int

    public init(first: LoopbackIPv4, count: Int) {
        self.first = first
        self.count = count
    }

    public init(parsing text: String) throws {
        let parts = text.split(separator: "-", maxSplits: 1)
        let first = try LoopbackIPv4(parsing: String(parts.first ?? ""))
        let last = parts.count == 2 ? try LoopbackIPv4(parsing: String(parts[1])) : first
        guard last.value >= first.value, last.value - first.value < 65536 else {
            throw BenchError("bad source range \(text): the last address must follow the first (at most 65536)")
        }
        self.first = first
        self.count = Int(last.value - first.value) + 1
    }

    /// The source address of connection `index`: connections are dealt round-robin over the range.
    public func address(for index: Int) -> LoopbackIPv4 {
        LoopbackIPv4(value: first.value + UInt32(index % count))
    }

    public var description: String {
        count == 1 ? "\(first)" : "\(first)-\(LoopbackIPv4(value: first.value + UInt32(count - 1)))"
    }
}
