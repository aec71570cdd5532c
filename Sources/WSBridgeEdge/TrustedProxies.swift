#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import WSBridgeJSON

/// The proxies whose `X-Forwarded-For` is believed (`trusted_proxies`), and the client address that
/// follows from a request.
///
/// A proxy appends the address it got the request from to `X-Forwarded-For`; everything to the left
/// of what a trusted proxy appended may have been written by the client itself. So the client is the
/// rightmost address that is not a trusted proxy, read from the right, and only when the TCP peer is
/// a trusted proxy in the first place.
public struct TrustedProxies: Sendable, Equatable {
    /// One network: its leading `prefixLength` bits of `address` (4 or 16 bytes).
    public struct Network: Sendable, Equatable {
        public var address: [UInt8]
        public var prefixLength: Int

        public init(address: [UInt8], prefixLength: Int) {
            self.address = address
            self.prefixLength = prefixLength
        }

        func contains(_ bytes: [UInt8]) -> Bool {
            guard bytes.count == self.address.count else { return false }
            var remaining = self.prefixLength
            for (mine, theirs) in zip(self.address, bytes) where remaining > 0 {
                let bits = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if mine & mask != theirs & mask { return false }
                remaining -= bits
            }
            return true
        }
    }

    public var networks: [Network]

    public init(_ networks: [Network] = []) {
        self.networks = networks
    }

    /// The client's address when `peer` forwarded the request with these `X-Forwarded-For` values
    /// (one per header field, each a comma-separated list); nil when the peer is not a trusted proxy
    /// (or none are configured): then the peer is the client.
    public func forwardedClient(peer: SocketAddress?, forwardedFor fields: [String]) -> String? {
        guard !self.networks.isEmpty, let peerIP = peer?.ipAddress, self.trusts(peerIP) else { return nil }
        let hops = fields.flatMap { $0.split(separator: ",") }.map { $0.trimmingWhitespace() }.reversed()
        var client: String?
        for hop in hops {
            guard let ip = Self.address(of: hop) else { break }  // a trusted proxy wrote no such thing
            client = ip
            if !self.trusts(ip) { break }
        }
        return client
    }

    /// Whether `ip` (text) is in one of the networks.
    public func trusts(_ ip: String) -> Bool {
        guard let bytes = Self.bytes(of: ip) else { return false }
        return self.networks.contains { $0.contains(bytes) }
    }

    /// The address in an `X-Forwarded-For` entry: `203.0.113.7`, `203.0.113.7:51234`, `2001:db8::1`
    /// or `[2001:db8::1]:443`; nil for anything else (`unknown`, an obfuscated name).
    static func address(of entry: String) -> String? {
        var text = Substring(entry)
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            text = text[text.index(after: text.startIndex)..<close]
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            text = text[..<colon]
        }
        return Self.bytes(of: String(text)) == nil ? nil : String(text)
    }

    static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
