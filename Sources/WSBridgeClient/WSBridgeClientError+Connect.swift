import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The message for a socket that cannot be opened, worded for the operator who has to fix it.

extension WSBridgeClientError {
    /// ``cannotConnect(socketPath:reason:)`` for `error`, raised while connecting to `socketPath`:
    /// the system's text for the errno, and a hint at the usual cause.
    static func cannotConnect(socketPath: String, error: any Error) -> WSBridgeClientError {
        if case SocketAddressError.unixDomainSocketPathTooLong = error {
            return .cannotConnect(socketPath: socketPath, reason: "the path is too long for a Unix socket (at most 107 bytes)")
        }
        guard let error = error as? IOError else {
            return .cannotConnect(socketPath: socketPath, reason: "\(error)")
        }
        let text = String(cString: strerror(error.errnoCode))
        let hint: String
        switch error.errnoCode {
        case ENOENT: hint = " (is wsbridge running, and is this its app_socket?)"
        case ECONNREFUSED: hint = " (the socket file exists but no wsbridge is listening on it)"
        case EACCES, EPERM: hint = " (this user may not use the socket; see the app socket's mode and group)"
        case ENOTSOCK: hint = " (the path is not a socket)"
        default: hint = ""
        }
        return .cannotConnect(socketPath: socketPath, reason: text + hint)
    }
}
