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

    /// The value that turns an optional listener off (`admin_listen = off`); an empty value does too.
    static let off = "off"

    /// Reads an optional listener: `nil` for an empty value or `off` (any case), else ``parse(_:)``.
    static func parseOptional(_ text: String) throws(ConfigValueError) -> ListenAddress? {
        if text.isEmpty || text.lowercased() == Self.off {
            return nil
        }
        return try self.parse(text)
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
