/// The host and port syntax shared by `listen`, `redis` and `allowed_origins`.
enum HostSyntax {
    /// Splits `host:port` or `[v6]:port` into the host (without brackets) and the port text.
    /// Returns `nil` when there is no port separator or an IPv6 address lacks brackets.
    static func splitHostPort<S: StringProtocol>(_ text: S) -> (host: String, port: Substring)? {
        guard let (host, port) = splitHostOptionalPort(text), let port else {
            return nil
        }
        return (host, port)
    }

    /// Splits `host`, `host:port`, `[v6]` or `[v6]:port`. Returns `nil` on bad bracketing or an
    /// unbracketed IPv6 address.
    static func splitHostOptionalPort<S: StringProtocol>(_ text: S) -> (host: String, port: Substring?)? {
        let text = Substring(text)
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                return nil
            }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                return (host, nil)
            }
            guard rest.hasPrefix(":") else {
                return nil
            }
            return (host, rest.dropFirst())
        }
        guard let colon = text.lastIndex(of: ":") else {
            return (String(text), nil)
        }
        let host = text[..<colon]
        guard !host.contains(":") else {
            return nil
        }
        return (String(host), text[text.index(after: colon)...])
    }

    /// A host name, an IPv4 address, or an IPv6 address (given without brackets, optionally
    /// with a `%zone`).
    static func isValidHost(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253 else {
            return false
        }
        if host.contains(":") {
            let parts = host.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)
            let address = parts[0]
            let zoneIsValid = parts.count == 1 || (!parts[1].isEmpty && parts[1].allSatisfy(isNameCharacter))
            return zoneIsValid && address.count >= 2
                && address.allSatisfy { $0 == ":" || $0 == "." || ($0.isASCII && $0.isHexDigit) }
        }
        return host.allSatisfy(isNameCharacter) && !host.hasPrefix("-") && !host.hasPrefix(".")
    }

    /// A port number written with 1 to 5 ASCII digits (the caller checks the range).
    static func port(_ text: Substring) -> Int? {
        guard (1...5).contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return nil
        }
        return Int(text)
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "-._".contains(character))
    }
}
