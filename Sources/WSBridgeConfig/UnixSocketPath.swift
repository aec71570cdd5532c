/// The limit of a Unix socket path: `sun_path` holds 108 bytes including the terminating NUL.
enum UnixSocketPath {
    static let maximumBytes = 107

    /// Checks a socket path from the config (`app_socket`, the path of a `unix://` Redis URL).
    static func validate(_ path: String) throws(ConfigValueError) {
        guard !path.isEmpty else {
            throw ConfigValueError("expected a socket path, got an empty value")
        }
        guard path.utf8.count <= maximumBytes else {
            throw ConfigValueError("socket path is \(path.utf8.count) bytes long; Unix socket paths are limited to \(maximumBytes) bytes")
        }
        guard !path.contains("\0") else {
            throw ConfigValueError("socket path contains a NUL character")
        }
    }
}
