#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

/// Connection errors in words, for logs and the CLI: "connection refused at 127.0.0.1:6391", not
/// NIO's `SingleConnectionFailure(target: [IPv4]127.0.0.1/127.0.0.1:6391, error: ...)`.
enum RedisConnectError {
    /// What went wrong connecting to `address`, naming the address.
    static func words(_ error: any Error, address: RedisConnectionTarget.Address) -> String {
        switch error {
        case let error as NIOConnectionError:
            if error.connectionErrors.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
                return "cannot resolve the host name \(error.host)"
            }
            // Every address the name resolved to was tried; name each with its own reason.
            let failures = error.connectionErrors.map { failure in
                "\(Self.reason(failure.error)) at \(Self.text(failure.target))"
            }
            return failures.isEmpty ? "cannot connect to \(Self.text(address))" : Self.unique(failures).joined(separator: "; ")
        case let error as ChannelError:
            if case .connectTimeout(let limit) = error {
                return "no connection within \(limit.nanoseconds / 1_000_000) ms to \(Self.text(address))"
            }
            return "\(error) (\(Self.text(address)))"
        default:
            return "\(Self.reason(error)) at \(Self.text(address))"
        }
    }

    /// An error on an established connection, in words.
    static func words(_ error: any Error) -> String {
        Self.reason(error)
    }

    /// The reason alone: `connection refused`, `no such file`, an errno's text, or the error itself.
    private static func reason(_ error: any Error) -> String {
        guard let error = error as? IOError else {
            if let error = error as? ChannelError, case .connectTimeout(let limit) = error {
                return "no connection within \(limit.nanoseconds / 1_000_000) ms"
            }
            return "\(error)"
        }
        switch error.errnoCode {
        case ECONNREFUSED: return "connection refused (nothing listens)"
        case ENOENT: return "no such socket file"
        case EACCES: return "permission denied"
        case ECONNRESET: return "connection reset by the server"
        case ETIMEDOUT: return "timed out"
        case EHOSTUNREACH: return "host unreachable"
        case ENETUNREACH: return "network unreachable"
        case EPIPE: return "connection closed by the server"
        default: return String(cString: strerror(error.errnoCode)).lowercased()
        }
    }

    /// `127.0.0.1:6390`, `[::1]:6390`, or a socket path.
    static func text(_ address: SocketAddress) -> String {
        switch address {
        case .v4, .v6:
            let ip = address.ipAddress ?? "?"
            let port = address.port.map(String.init) ?? "?"
            return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        case .unixDomainSocket:
            return address.pathname ?? "(unix socket)"
        }
    }

    static func text(_ address: RedisConnectionTarget.Address) -> String {
        switch address {
        case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): return path
        }
    }

    private static func unique(_ texts: [String]) -> [String] {
        var seen = Set<String>()
        return texts.filter { seen.insert($0).inserted }
    }
}
