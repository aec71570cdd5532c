#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where `wsbridge publish` and `wsbridge status` look for the daemon's app socket, so that they find
/// a running daemon without flags where they can (wsbridge(8), "Finding the daemon"):
///
/// 1. `--app-socket PATH`, as given;
/// 2. the `app_socket` of `--config FILE`, as given;
/// 3. otherwise the first of these that is a socket: `$WSBRIDGE_APP_SOCKET`, `/run/wsbridge/app.sock`
///    (the package), the socket of `make run` (`$XDG_RUNTIME_DIR/wsbridge-demo-UID/app.sock`, or under
///    `/tmp`), and `wsbridge-app.sock` in the current directory (the default `app_socket`).
enum AppSocketSearch {
    /// The places of step 3, in order.
    static func candidates(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var places: [String] = []
        if let explicit = environment["WSBRIDGE_APP_SOCKET"], !explicit.isEmpty {
            places.append(explicit)
        }
        places.append("/run/wsbridge/app.sock")
        let runtime = environment["XDG_RUNTIME_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        places.append("\(runtime)/wsbridge-demo-\(getuid())/app.sock")
        places.append("wsbridge-app.sock")
        return places
    }

    /// The socket to use: the flag's, the config file's, or the first candidate that exists.
    static func resolve(flag: String?, config: String?, configured: String) -> Result<String, SearchFailure> {
        if let flag { return .success(flag) }
        if config != nil { return .success(configured) }
        let places = Self.candidates()
        if let found = places.first(where: Self.isSocket) {
            return .success(found)
        }
        return .failure(SearchFailure(tried: places))
    }

    static func isSocket(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFSOCK
    }

    struct SearchFailure: Error, CustomStringConvertible {
        var tried: [String]
        var description: String {
            "no running wsbridge found: no app socket at \(self.tried.joined(separator: ", ")); "
                + "give --app-socket PATH (the daemon's app_socket) or --config FILE"
        }
    }
}
