#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One entry of `trusted_proxies`: an IPv4 or IPv6 address, or a network in CIDR form
/// (`10.0.0.0/8`, `2001:db8::/32`). Host bits below the prefix are cleared, so `10.1.2.3/8` is
/// `10.0.0.0/8`.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6), network order, host bits zero.
    public let address: [UInt8]
    /// Leading bits that must match: 0...32 or 0...128.
    public let prefixLength: Int

    /// Parses `text`, or throws naming what is wrong.
    static func parse(_ text: String) throws(ConfigValueError) -> IPNetwork {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bytes = Self.bytes(of: String(parts[0])) else {
            throw .expected("an IP address or a CIDR network such as 10.0.0.0/8 or ::1", got: text)
        }
        let width = bytes.count * 8
        var prefix = width
        if parts.count == 2 {
            guard let number = Int(parts[1]), (0...width).contains(number), parts[1].allSatisfy(\.isNumber) else {
                throw ConfigValueError("the prefix of \(ConfigValue.quoted(text)) must be a number from 0 to \(width)")
            }
            prefix = number
        }
        var masked = bytes
        for index in masked.indices {
            let keep = max(0, min(8, prefix - index * 8))
            masked[index] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
        return IPNetwork(address: masked, prefixLength: prefix)
    }

    /// The address's bytes: 4 for IPv4, 16 for IPv6; nil if `text` is neither.
    static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: 64)
        let family = self.address.count == 4 ? AF_INET : AF_INET6
        _ = self.address.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
        let shown = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return self.prefixLength == self.address.count * 8 ? shown : "\(shown)/\(self.prefixLength)"
    }
}
