extension RedisEndpoint {
    static let defaultPort = 6379

    /// Reads a `redis://`, `unix://` or `redis+unix://` URL. Error messages never repeat a password.
    static func parse(_ text: String) throws(ConfigValueError) -> RedisEndpoint {
        if text.hasPrefix("redis://") {
            return try parseTCP(text.dropFirst("redis://".count))
        }
        if text.hasPrefix("unix://") {
            return try parseUnix(text.dropFirst("unix://".count))
        }
        if text.hasPrefix("redis+unix://") {
            return try parseUnix(text.dropFirst("redis+unix://".count))
        }
        if text.hasPrefix("rediss://") {
            throw ConfigValueError("TLS (rediss://) is not supported; use redis:// or a Unix socket")
        }
        let shown = text.contains("@") ? "" : ", got \(ConfigValue.quoted(text))"
        throw ConfigValueError("expected a redis://, unix:// or redis+unix:// URL\(shown)")
    }

    /// The seed nodes of a Redis Cluster: comma-separated `redis://` URLs (TCP: a cluster has no Unix
    /// sockets), database 0 (a cluster has no other), one set of credentials for all (every node of a
    /// cluster has the same users). Error messages never repeat a password.
    static func parseCluster(_ text: String) throws(ConfigValueError) -> [RedisEndpoint] {
        var seeds: [RedisEndpoint] = []
        for (index, part) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let url = ConfigValue.trimmed(part)
            guard !url.isEmpty else { throw ConfigValueError("seed node \(index + 1) is empty (a stray comma?)") }
            guard url.hasPrefix("redis://") else {
                let shown = url.contains("@") ? "" : ", got \(ConfigValue.quoted(String(url)))"
                throw ConfigValueError("seed node \(index + 1): expected a redis://host:port URL\(shown)")
            }
            let seed: RedisEndpoint
            do {
                seed = try parseTCP(url.dropFirst("redis://".count))
            } catch {
                throw ConfigValueError("seed node \(index + 1): \(error.message)")
            }
            guard seed.db == 0 else {
                throw ConfigValueError("seed node \(index + 1): a Redis Cluster has database 0 only, got /\(seed.db)")
            }
            if let first = seeds.first, first.username != seed.username || first.password != seed.password {
                throw ConfigValueError("seed node \(index + 1) has other credentials than seed node 1: every node of a cluster has the same users")
            }
            seeds.append(seed)
        }
        return seeds
    }

    /// `[[user]:password@]host[:port][/db]`.
    private static func parseTCP(_ rest: Substring) throws(ConfigValueError) -> RedisEndpoint {
        var username: String?
        var password: String?
        var hostAndPath = rest
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            hostAndPath = rest[rest.index(after: at)...]
            guard let colon = userInfo.firstIndex(of: ":") else {
                throw ConfigValueError("expected [user]:password@ before the host (a name alone is ambiguous)")
            }
            let user = try percentDecoded(userInfo[..<colon], what: "user name")
            username = user.isEmpty ? nil : user
            password = try percentDecoded(userInfo[userInfo.index(after: colon)...], what: "password")
            guard password?.isEmpty == false else {
                throw ConfigValueError("empty password after \"\(username ?? ""):\"; leave out \"user:@\" for none")
            }
        }
        guard !hostAndPath.contains("?"), !hostAndPath.contains("#") else {
            throw ConfigValueError("a redis:// URL takes no query or fragment; put the database in the path, as in redis://host:6379/2")
        }
        let slash = hostAndPath.firstIndex(of: "/") ?? hostAndPath.endIndex
        let authority = hostAndPath[..<slash]
        guard let (host, portText) = HostSyntax.splitHostOptionalPort(authority), HostSyntax.isValidHost(host) else {
            throw ConfigValueError("invalid host \(ConfigValue.quoted(String(authority))) in redis:// URL")
        }
        var port = defaultPort
        if let portText {
            guard let number = HostSyntax.port(portText), (1...65535).contains(number) else {
                throw ConfigValueError("port must be a number from 1 to 65535, got \(ConfigValue.quoted(String(portText)))")
            }
            port = number
        }
        var db = 0
        if slash != hostAndPath.endIndex {
            let dbText = hostAndPath[hostAndPath.index(after: slash)...]
            if !dbText.isEmpty {
                db = try database(dbText)
            }
        }
        return RedisEndpoint(address: .tcp(host: host, port: port), username: username, password: password, db: db)
    }

    /// `/path/to/redis.sock[?db=N&username=U&password=P]`.
    private static func parseUnix(_ rest: Substring) throws(ConfigValueError) -> RedisEndpoint {
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        guard path.hasPrefix("/"), path.count > 1 else {
            throw ConfigValueError("expected an absolute socket path, as in unix:///run/redis/redis.sock")
        }
        guard path.utf8.count <= UnixSocketPath.maximumBytes else {
            throw ConfigValueError("socket path is longer than \(UnixSocketPath.maximumBytes) bytes")
        }
        var endpoint = RedisEndpoint(address: .unix(path: path))
        guard parts.count == 2 else {
            return endpoint
        }
        for parameter in parts[1].split(separator: "&") {
            let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let value = pair.count == 2 ? pair[1] : ""
            switch pair[0] {
            case "db":
                endpoint.db = try database(value)
            case "username":
                endpoint.username = try percentDecoded(value, what: "user name")
            case "password":
                endpoint.password = try percentDecoded(value, what: "password")
            default:
                throw ConfigValueError("unknown parameter \(ConfigValue.quoted(String(pair[0]))); expected db, username or password")
            }
        }
        return endpoint
    }

    private static func database(_ text: Substring) throws(ConfigValueError) -> Int {
        guard text.count <= 9, !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let db = Int(text) else {
            throw ConfigValueError("database must be a number such as 0, got \(ConfigValue.quoted(String(text)))")
        }
        return db
    }

    /// Decodes `%XX` escapes; the result must be UTF-8.
    private static func percentDecoded(_ text: Substring, what: String) throws(ConfigValueError) -> String {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let first = utf8.index(after: index)
                guard first != utf8.endIndex, utf8.index(after: first) != utf8.endIndex,
                    let high = hexValue(utf8[first]), let low = hexValue(utf8[utf8.index(after: first)])
                else {
                    throw ConfigValueError("bad percent escape in the \(what)")
                }
                bytes.append(high << 4 | low)
                index = utf8.index(first, offsetBy: 2)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw ConfigValueError("the \(what) is not UTF-8 after percent-decoding")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension RedisEndpoint {
    /// Reads a Redis URL given on its own, as `wsbridge publish --redis URL` does; errors read
    /// `command line: --redis: ...` and never repeat the password.
    public init(url: String) throws(ConfigError) {
        do {
            self = try Self.parse(url)
        } catch {
            throw ConfigError(source: ConfigError.commandLine, key: ConfigKey.redis.rawValue, message: error.message)
        }
    }
}
