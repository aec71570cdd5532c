import WSBridgeConfig

extension RedisConnectionTarget {
    /// The broker's view of a configured Redis endpoint (`redis`, `--redis`).
    public init(_ endpoint: RedisEndpoint) {
        let address: RedisConnectionTarget.Address
        switch endpoint.address {
        case .tcp(let host, let port): address = .tcp(host: host, port: port)
        case .unix(let path): address = .unix(path: path)
        }
        self.init(address: address, username: endpoint.username, password: endpoint.password, database: endpoint.db)
    }

    /// A target from a `redis://`, `unix://` or `redis+unix://` URL, read as the config file and
    /// `--redis` read it (``RedisEndpoint``); the error says what is wrong, never repeating a password.
    public init(url: String) throws(ConfigError) {
        self.init(try RedisEndpoint(url: url))
    }
}
