/// Where the Redis broker connects and how it logs in: the broker's own view of a Redis endpoint.
///
/// URLs are parsed by the configuration module (`RedisEndpoint`, which has no dependencies of its own);
/// `init(_:)` and `init(url:)` map an endpoint or a URL onto this type.
public struct RedisConnectionTarget: Sendable, Hashable {
    /// How to reach the server.
    public enum Address: Sendable, Hashable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    /// The default Redis TCP port.
    public static let defaultPort = 6379

    public var address: Address
    /// The ACL user for `AUTH user password`; `nil` sends `AUTH password` (the `default` user).
    public var username: String?
    /// The password; `nil` sends no `AUTH` at all.
    public var password: String?
    /// The database the publisher `SELECT`s (pub/sub itself ignores databases). 0 sends no `SELECT`.
    public var database: Int

    public init(address: Address, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.address = address
        self.username = username
        self.password = password
        self.database = database
    }

    /// The target as a URL for logs and status, with the user name but never the password.
    public var displayName: String {
        let user = self.username.map { "\($0)@" } ?? ""
        switch self.address {
        case .tcp(let host, let port):
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "redis://\(user)\(shownHost):\(port)/\(self.database)"
        case .unix(let path):
            let prefix = user.isEmpty ? "unix://" : "unix://\(user)"
            return "\(prefix)\(path)?db=\(self.database)"
        }
    }
}

extension RedisConnectionTarget: CustomStringConvertible {
    public var description: String { self.displayName }
}
