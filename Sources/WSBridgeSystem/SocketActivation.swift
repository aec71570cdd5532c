import CSystemd

#if canImport(Glibc)
import Glibc
#endif

/// The listening sockets systemd passed to this process (socket activation), by name.
///
/// wsbridge takes two, named in the socket units with `FileDescriptorName=`: `ws` (the WebSocket/HTTP
/// listener) and `app` (the app socket). Either may be absent (wsbridge binds that one itself); any
/// other name, or a name given twice, is a startup error.
public struct ActivatedSockets: Sendable, Equatable {
    public static let knownNames: Set<String> = ["ws", "app"]

    /// The WebSocket listener's descriptor.
    public var webSocket: CInt?
    /// The app socket's descriptor.
    public var app: CInt?

    public init(webSocket: CInt? = nil, app: CInt? = nil) {
        self.webSocket = webSocket
        self.app = app
    }

    public var isEmpty: Bool { self.webSocket == nil && self.app == nil }

    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Reads `LISTEN_FDS`/`LISTEN_FDNAMES` (and unsets them, so children do not inherit them).
    public static func fromEnvironment() throws(Failure) -> ActivatedSockets {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count >= 0 else {
            throw Failure(description: "socket activation: sd_listen_fds failed: \(String(cString: strerror(-count)))")
        }
        var pairs: [(String, CInt)] = []
        if let names {
            for index in 0..<Int(count) {
                let name = names[index].map { String(cString: $0) } ?? "unknown"
                pairs.append((name, SD_LISTEN_FDS_START + CInt(index)))
                free(names[index])
            }
            free(names)
        }
        return try Self.assign(pairs)
    }

    /// Matches named descriptors to roles. Separate from the environment so it can be tested.
    public static func assign(_ pairs: [(name: String, descriptor: CInt)]) throws(Failure) -> ActivatedSockets {
        var sockets = ActivatedSockets()
        for (name, descriptor) in pairs {
            switch name {
            case "ws":
                guard sockets.webSocket == nil else {
                    throw Failure(description: "socket activation: two sockets named \"ws\"; give each socket unit its own FileDescriptorName=")
                }
                sockets.webSocket = descriptor
            case "app":
                guard sockets.app == nil else {
                    throw Failure(description: "socket activation: two sockets named \"app\"; give each socket unit its own FileDescriptorName=")
                }
                sockets.app = descriptor
            default:
                throw Failure(
                    description: "socket activation: unexpected socket named \"\(name)\" (fd \(descriptor)); wsbridge takes FileDescriptorName=ws and FileDescriptorName=app"
                )
            }
        }
        return sockets
    }
}
