import NIOCore
import WSBridgeAppLink

#if canImport(Glibc)
import Glibc
#endif

/// A listener the daemon could not open, in words an operator can act on: which listener, which
/// address, why (in words, not `bind(descriptor:ptr:bytes:)`), and the config key and flag that move it.
/// For example: `cannot open the admin listener on 127.0.0.1:9188: the address is in use (another
/// wsbridge on this host?); stop what holds it, or set admin_listen (--admin-listen) to a free address
/// or "off"`.
public struct ListenerStartError: Error, CustomStringConvertible {
    public enum Listener: String, Sendable {
        case webSocket = "WebSocket listener"
        case admin = "admin listener"
        case app = "app socket"

        var key: String {
            switch self {
            case .webSocket: "listen"
            case .admin: "admin_listen"
            case .app: "app_socket"
            }
        }

        var flag: String {
            switch self {
            case .webSocket: "--listen"
            case .admin: "--admin-listen"
            case .app: "--app-socket"
            }
        }

        var alternative: String {
            switch self {
            case .webSocket: "a free address"
            case .admin: "a free address or \"off\""
            case .app: "another path"
            }
        }
    }

    public var listener: Listener
    public var address: String
    /// The cause in words.
    public var reason: String
    /// What would fix it, if more than moving the listener.
    public var remedy: String

    public init(_ listener: Listener, address: String, cause: any Error) {
        self.listener = listener
        self.address = address
        let moveIt = "set \(listener.key) (\(listener.flag)) to \(listener.alternative)"
        switch Self.errno(of: cause) {
        case EADDRINUSE?:
            self.reason = "the address is in use (another wsbridge on this host?)"
            self.remedy = "stop what holds it (ss -ltnp shows it), or \(moveIt)"
        case EACCES?:
            self.reason = listener == .app ? "permission denied" : "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)"
            self.remedy = listener == .app ? "check the directory's owner and mode, or \(moveIt)" : "grant the capability, or \(moveIt)"
        case EADDRNOTAVAIL?:
            self.reason = "the address is not one of this host's"
            self.remedy = "set \(listener.key) (\(listener.flag)) to one of this host's addresses (0.0.0.0 for all)"
        case ENOENT?:
            self.reason = "the directory does not exist"
            self.remedy = "create it, or \(moveIt)"
        default:
            if cause is AppLinkServer.AddressInUse {
                self.reason = "another process is listening on it (another wsbridge on this host?)"
                self.remedy = "stop it, or \(moveIt)"
            } else {
                self.reason = "\(cause)"
                self.remedy = moveIt
            }
        }
    }

    public var description: String {
        "cannot open the \(self.listener.rawValue) on \(self.address): \(self.reason); \(self.remedy)"
    }

    private static func errno(of error: any Error) -> CInt? {
        (error as? IOError)?.errnoCode
    }
}

extension ListenerStartError {
    /// Runs `open`, turning its failure into a `ListenerStartError` for `listener` on `address`.
    static func naming<Result>(_ listener: Listener, address: String, _ open: () async throws -> Result) async throws -> Result {
        do {
            return try await open()
        } catch {
            throw ListenerStartError(listener, address: address, cause: error)
        }
    }
}
