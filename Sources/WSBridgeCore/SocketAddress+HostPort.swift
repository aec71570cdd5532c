import NIOCore

extension SocketAddress {
    /// The address as logs, status and the app protocol show it: `203.0.113.7:51234`,
    /// `[2001:db8::1]:443`, or a Unix socket's path; never NIO's `[IPv4]host/ip:port` form.
    public var hostPort: String {
        if let ip = self.ipAddress, let port = self.port {
            return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        }
        return self.pathname ?? "(unknown address)"
    }
}
