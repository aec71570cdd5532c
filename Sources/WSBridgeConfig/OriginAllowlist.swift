/// Which browser origins may open a WebSocket (`allowed_origins`).
///
/// Origins are stored normalized: scheme and host in lower case, the default port (80 for
/// http, 443 for https) left out — the form browsers send in the `Origin` header.
public enum OriginAllowlist: Sendable, Equatable {
    /// Any origin (`*`).
    case any
    /// Only these normalized origins, such as `https://app.example` or `http://localhost:3000`.
    case only(Set<String>)

    /// Whether a request's `Origin` header value is allowed.
    ///
    /// A request without the header (`nil`) is always allowed: browsers always send it on a
    /// WebSocket handshake, so its absence means a non-browser client (a native app, a script),
    /// which the allowlist — a defence against cross-site pages — is not about.
    public func allows(_ origin: String?) -> Bool {
        guard let origin else {
            return true
        }
        switch self {
        case .any:
            return true
        case let .only(origins):
            guard let normalized = try? Self.normalize(origin) else {
                return false
            }
            return origins.contains(normalized)
        }
    }

    /// Reads the comma-separated list of the config file.
    static func parse(_ text: String) throws(ConfigValueError) -> OriginAllowlist {
        let entries = try ConfigValue.list(text)
        if entries == ["*"] {
            return .any
        }
        var origins = Set<String>()
        for entry in entries {
            guard entry != "*" else {
                throw ConfigValueError("* (any origin) cannot be combined with other origins")
            }
            origins.insert(try normalize(entry))
        }
        return .only(origins)
    }

    /// `scheme://host[:port]` in normalized form, or an error naming what is wrong.
    static func normalize(_ origin: String) throws(ConfigValueError) -> String {
        let lowered = origin.lowercased()
        let scheme: String
        let defaultPort: Int
        if lowered.hasPrefix("https://") {
            (scheme, defaultPort) = ("https", 443)
        } else if lowered.hasPrefix("http://") {
            (scheme, defaultPort) = ("http", 80)
        } else {
            throw .expected("an origin such as https://app.example (http or https)", got: origin)
        }
        let authority = lowered.dropFirst(scheme.count + 3)
        guard !authority.contains(where: { "/?#@".contains($0) }) else {
            throw ConfigValueError("an origin is scheme://host[:port] with no path, query or user, got \(ConfigValue.quoted(origin))")
        }
        guard let (host, portText) = HostSyntax.splitHostOptionalPort(authority), HostSyntax.isValidHost(host) else {
            throw ConfigValueError("invalid host in origin \(ConfigValue.quoted(origin))")
        }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        guard let portText else {
            return "\(scheme)://\(shownHost)"
        }
        guard let port = HostSyntax.port(portText), (1...65535).contains(port) else {
            throw ConfigValueError("invalid port in origin \(ConfigValue.quoted(origin))")
        }
        return port == defaultPort ? "\(scheme)://\(shownHost)" : "\(scheme)://\(shownHost):\(port)"
    }
}
