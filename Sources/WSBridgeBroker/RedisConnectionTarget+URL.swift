extension RedisConnectionTarget {
    /// Parses `redis://[[user]:password@]host[:port][/db]` or `unix://[[user]:password@]/path[?db=N]`.
    ///
    /// - User info follows `redis-cli`: `user:password@`, `:password@`, or `password@` (no colon: the whole
    ///   user info is the password). Both parts may be percent-encoded (`%40` for `@`).
    /// - `rediss://` (TLS) is refused: this broker speaks plain TCP or Unix sockets only.
    /// - Throws ``RedisConnectionTargetError`` naming the faulty part.
    public init(url: String) throws {
        guard let schemeEnd = url.firstRange(of: "://") else {
            throw RedisConnectionTargetError(reason: "expected redis://host[:port][/db] or unix:///path")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        var rest = Substring(url[schemeEnd.upperBound...])
        if let fragment = rest.firstIndex(of: "#") {
            rest = rest[..<fragment]
        }
        switch scheme {
        case "redis":
            try self.init(tcpRemainder: rest)
        case "unix":
            try self.init(unixRemainder: rest)
        case "rediss":
            throw RedisConnectionTargetError(reason: "TLS (rediss://) is not supported; use redis:// or unix://")
        default:
            throw RedisConnectionTargetError(reason: "unknown scheme '\(scheme)'; expected redis or unix")
        }
    }

    private init(tcpRemainder: Substring) throws {
        let authorityEnd = tcpRemainder.firstIndex { $0 == "/" || $0 == "?" } ?? tcpRemainder.endIndex
        let (username, password, hostPort) = try Self.splitUserInfo(tcpRemainder[..<authorityEnd])
        let (host, port) = try Self.parseHostPort(hostPort)
        let tail = tcpRemainder[authorityEnd...]
        guard !tail.contains("?") else {
            throw RedisConnectionTargetError(reason: "query parameters are not supported in redis:// URLs")
        }
        let databaseText = tail.dropFirst()  // the leading "/", if any
        let database = databaseText.isEmpty ? 0 : try Self.parseDatabase(databaseText)
        self.init(address: .tcp(host: host, port: port), username: username, password: password, database: database)
    }

    private init(unixRemainder: Substring) throws {
        let pathStart = unixRemainder.firstIndex(of: "/") ?? unixRemainder.endIndex
        let (username, password, host) = try Self.splitUserInfo(unixRemainder[..<pathStart])
        guard host.isEmpty else {
            throw RedisConnectionTargetError(reason: "a unix:// URL has no host: write unix:///absolute/path")
        }
        var path = unixRemainder[pathStart...]
        var database = 0
        if let queryStart = path.firstIndex(of: "?") {
            database = try Self.parseUnixQuery(path[path.index(after: queryStart)...])
            path = path[..<queryStart]
        }
        guard path.count > 1 else {
            throw RedisConnectionTargetError(reason: "missing socket path in unix:// URL")
        }
        self.init(address: .unix(path: String(path)), username: username, password: password, database: database)
    }

    /// Splits `[[user]:password@]rest` into its parts, percent-decoding user and password.
    private static func splitUserInfo(
        _ authority: Substring
    ) throws -> (username: String?, password: String?, rest: Substring) {
        guard let at = authority.lastIndex(of: "@") else {
            return (nil, nil, authority)
        }
        let userInfo = authority[..<at]
        let rest = authority[authority.index(after: at)...]
        guard let colon = userInfo.firstIndex(of: ":") else {
            return (nil, try Self.percentDecoded(userInfo, part: "password"), rest)
        }
        let user = try Self.percentDecoded(userInfo[..<colon], part: "user name")
        let password = try Self.percentDecoded(userInfo[userInfo.index(after: colon)...], part: "password")
        return (user.isEmpty ? nil : user, password, rest)
    }

    private static func parseHostPort(_ hostPort: Substring) throws -> (host: String, port: Int) {
        var host: Substring
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                throw RedisConnectionTargetError(reason: "unclosed '[' in IPv6 host")
            }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else {
                    throw RedisConnectionTargetError(reason: "unexpected text after IPv6 host")
                }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort
        }
        guard !host.isEmpty else {
            throw RedisConnectionTargetError(reason: "missing host")
        }
        guard let portText else {
            return (String(host), Self.defaultPort)
        }
        guard let port = Int(portText), (1...65_535).contains(port) else {
            throw RedisConnectionTargetError(reason: "port must be a number from 1 to 65535, got '\(portText)'")
        }
        return (String(host), port)
    }

    private static func parseUnixQuery(_ query: Substring) throws -> Int {
        var database = 0
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == "db" else {
                throw RedisConnectionTargetError(reason: "unknown query parameter '\(parts[0])'; only db=N is allowed")
            }
            database = try Self.parseDatabase(parts[1])
        }
        return database
    }

    private static func parseDatabase(_ text: Substring) throws -> Int {
        guard let database = Int(text), database >= 0 else {
            throw RedisConnectionTargetError(reason: "database must be a non-negative number, got '\(text)'")
        }
        return database
    }

    /// Decodes `%XX` escapes; the error names the part but never echoes its (secret) text.
    private static func percentDecoded(_ text: Substring, part: String) throws -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard
                let high = iterator.next().flatMap(Self.hexValue),
                let low = iterator.next().flatMap(Self.hexValue)
            else {
                throw RedisConnectionTargetError(reason: "bad percent-encoding in the \(part)")
            }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
