/// A Redis Cluster redirection: the error reply `MOVED <slot> <host>:<port>` (the slot has a new
/// owner: update the topology, send there from now on) or `ASK <slot> <host>:<port>` (the slot is being
/// migrated and the key is already at the target: send `ASKING` and the command there, this once).
///
/// ```
///  MOVED 3999 127.0.0.1:6381     → moved, slot 3999, host "127.0.0.1", port 6381
///  ASK 3999 ::1:6381             → ask, slot 3999, host "::1" (the port follows the last ":")
///  MOVED 3999 :6381              → host .sameAsAsked  (cluster-preferred-endpoint-type unknown-endpoint)
///  MOVED 3999 ?:6381             → host .unknown      (endpoint type hostname, node without a hostname)
/// ```
///
/// Measured on Redis 7.0.15 (docs/scaling.md): `SSUBSCRIBE`, `SPUBLISH` and `SUNSUBSCRIBE` get `MOVED`
/// from a node that does not own the channel's slot, never `ASK` (a channel is not a key that can be
/// missing); `FCALL` with keys gets `ASK` while its keys' slot is migrating and a key is already gone.
public struct ClusterRedirect: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case moved
        case ask
    }

    /// The host part of the redirection.
    public enum Host: Sendable, Hashable {
        /// An IP address or hostname to connect to.
        case named(String)
        /// Empty: the node's endpoint is unknown to Redis; use the host the command was sent to.
        case sameAsAsked
        /// `?`: the node announced no hostname; only a topology refresh can tell its address.
        case unknown
    }

    public let kind: Kind
    public let slot: HashSlot
    public let host: Host
    public let port: Int

    public init(kind: Kind, slot: HashSlot, host: Host, port: Int) {
        self.kind = kind
        self.slot = slot
        self.host = host
        self.port = port
    }

    /// The redirection in an error reply (the text after `-`), nil when the reply is another error.
    /// Throws when the reply starts with `MOVED ` or `ASK ` but the rest is not `<slot> <host>:<port>`.
    public static func parse(_ errorReply: String) throws(ClusterReplyError) -> ClusterRedirect? {
        let words = errorReply.split(separator: " ", omittingEmptySubsequences: false)
        let kind: Kind
        switch words.first {
        case "MOVED": kind = .moved
        case "ASK": kind = .ask
        default: return nil
        }
        guard words.count == 3 else {
            throw .badRedirect("\(words.count - 1) words after \(words[0]), expected 2: \(errorReply)")
        }
        guard let number = Int(words[1]), let slot = HashSlot(number) else {
            throw .badRedirect("slot \"\(words[1])\" is not in 0...16383: \(errorReply)")
        }
        let address = words[2]
        guard let colon = address.lastIndex(of: ":") else {
            throw .badRedirect("no \":\" in \"\(address)\": \(errorReply)")
        }
        guard let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else {
            throw .badRedirect("port of \"\(address)\" is not in 1...65535: \(errorReply)")
        }
        let host: Host
        switch address[..<colon] {
        case "": host = .sameAsAsked
        case "?": host = .unknown
        case let name: host = .named(String(name))
        }
        return ClusterRedirect(kind: kind, slot: slot, host: host, port: port)
    }

    /// Where to send the command: the named host, or `askedHost` (the host the command went to) when
    /// Redis named none; nil when the address is unknown (refresh the topology instead).
    public func target(askedHost: String) -> (host: String, port: Int)? {
        switch self.host {
        case .named(let name): (name, self.port)
        case .sameAsAsked: (askedHost, self.port)
        case .unknown: nil
        }
    }
}
