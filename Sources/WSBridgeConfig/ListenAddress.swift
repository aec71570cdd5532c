/// A TCP address to listen on (`listen`): `HOST:PORT`, or `[IPV6]:PORT` for IPv6.
///
/// ``host`` is stored without brackets (`::1`), ready for a socket bind; ``description`` puts
/// them back. Port 0 asks the kernel for a free port.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// Host name, IPv4 address or IPv6 address (without brackets).
    public var host: String
    /// 0...65535; 0 = any free port.
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with the host in brackets when it is an IPv6 address.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Reads `HOST:PORT` or `[IPV6]:PORT`.
    static func parse(_ text: String) throws(ConfigValueError) -> ListenAddress {
        let expected = "HOST:PORT (or [IPV6]:PORT)"
        guard let (host, portText) = HostSyntax.splitHostPort(text), !host.isEmpty else {
            throw .expected(expected, got: text)
        }
        guard HostSyntax.isValidHost(host) else {
            throw ConfigValueError("invalid host \(ConfigValue.quoted(host)) in \(ConfigValue.quoted(text))")
        }
        guard let port = HostSyntax.port(portText), port <= 65535 else {
            throw ConfigValueError("port must be a number from 0 to 65535, got \(ConfigValue.quoted(String(portText)))")
        }
        return ListenAddress(host: host, port: port)
    }
}
