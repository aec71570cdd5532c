import WSBridgeBroker
import WSBridgeConfig
import WSBridgeDaemon

extension RedisConnectionTarget {
    /// A target from a `redis://` or `unix://` URL, parsed as the config file and `--redis` are.
    init(url: String) throws {
        self.init(try RedisEndpoint(url: url))
    }
}
