/// Where the Redis broker is and how to log in (`redis`).
///
/// Accepted URLs:
/// - `redis://[[user]:password@]host[:port][/db]` — TCP; port 6379 and db 0 by default;
///   an IPv6 host goes in brackets.
/// - `unix:///path/to/redis.sock[?db=N]` and `redis+unix:///path/to/redis.sock[?db=N]` — a Unix
///   socket; the query may also carry `username=` and `password=`.
///
/// User name and password may be percent-encoded. ``description`` is ``redacted``, so an
/// endpoint interpolated into a log line never shows the password.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// How to reach the server.
    public enum Address: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    public var address: Address
    /// The ACL user for `AUTH`, if any.
    public var username: String?
    /// The password for `AUTH`, if any. Never logged: use ``redacted``.
    public var password: String?
    /// The logical database to `SELECT` (0 by default).
    public var db: Int

    public init(address: Address, username: String? = nil, password: String? = nil, db: Int = 0) {
        self.address = address
        self.username = username
        self.password = password
        self.db = db
    }

    /// The endpoint as a URL with the password replaced by `***`, for logs and status.
    public var redacted: String {
        let user = username.map(Self.percentEncoded) ?? ""
        let credentials: String
        switch (username, password) {
        case (nil, nil): credentials = ""
        case (_, nil): credentials = user
        case (_, .some): credentials = "\(user):***"
        }
        switch address {
        case let .tcp(host, port):
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "redis://\(credentials.isEmpty ? "" : credentials + "@")\(shownHost):\(port)/\(db)"
        case let .unix(path):
            var query = ["db=\(db)"]
            if username != nil { query.append("username=\(user)") }
            if password != nil { query.append("password=***") }
            return "unix://\(path)?\(query.joined(separator: "&"))"
        }
    }

    /// Same as ``redacted``.
    public var description: String {
        redacted
    }

    /// Percent-encodes everything but unreserved URL characters.
    static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, Character(scalar).isLetter || Character(scalar).isNumber || "-._~".unicodeScalars.contains(scalar) {
                result.unicodeScalars.append(scalar)
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}
