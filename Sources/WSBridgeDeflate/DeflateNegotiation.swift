/// The server's side of negotiating permessage-deflate (RFC 7692 §5, §7.1): reads the client's offers
/// from `Sec-WebSocket-Extensions` and answers the first one it can accept.
///
/// wsbridge always answers `server_no_context_takeover` (each message is compressed on its own, so one
/// compression serves every recipient) and `client_no_context_takeover` (the client starts each message
/// from an empty window, so a connection keeps no inflate window between messages: no 32 KiB per
/// idle connection). Both may be sent whether or not the client offered them (§7.1.1.1, §7.1.1.2).
///
/// An offer is declined, and the next one tried, when it breaks §7.1: an unknown parameter, a
/// parameter twice, a bad value; and when it asks `server_max_window_bits=8`, which zlib's raw deflate
/// cannot honour (it would use 9).
public struct DeflateAgreement: Sendable, Equatable {
    /// The LZ77 window the server compresses with: 15, or what the client's `server_max_window_bits`
    /// asked (9 to 15).
    public var serverWindowBits: Int

    public init(serverWindowBits: Int) {
        self.serverWindowBits = serverWindowBits
    }

    /// The extension's name in the header.
    public static let name = "permessage-deflate"

    /// The `Sec-WebSocket-Extensions` value of the 101 response.
    public var responseHeader: String {
        var header = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
        if self.serverWindowBits != 15 {
            header += "; server_max_window_bits=\(self.serverWindowBits)"
        }
        return header
    }

    /// The first acceptable offer among the header's values (each a comma-separated list of
    /// extensions), nil when there is none.
    public static func negotiate(_ headerValues: [String]) -> DeflateAgreement? {
        for value in headerValues {
            for offer in Self.split(value, on: ",") {
                if let agreement = Self.accept(offer) {
                    return agreement
                }
            }
        }
        return nil
    }

    /// One extension offer: `permessage-deflate` and its parameters, or nil to decline it.
    static func accept(_ offer: Substring) -> DeflateAgreement? {
        let parts = Self.split(offer, on: ";")
        guard let name = parts.first, name.lowercased() == Self.name else { return nil }
        var seen = Set<String>()
        var agreement = DeflateAgreement(serverWindowBits: 15)
        for parameter in parts.dropFirst() {
            let pieces = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = pieces[0].trimmed.lowercased()
            guard seen.insert(key).inserted else { return nil }
            let value = pieces.count == 2 ? Self.unquoted(pieces[1].trimmed) : nil
            if pieces.count == 2 && value == nil { return nil }
            switch key {
            case "server_no_context_takeover", "client_no_context_takeover":
                guard value == nil else { return nil }
            case "server_max_window_bits":
                guard let value, let bits = Self.windowBits(value), bits >= 9 else { return nil }
                agreement.serverWindowBits = bits
            case "client_max_window_bits":
                // Without a value: the client can limit its window if asked. wsbridge does not ask;
                // it inflates with a 15-bit window, which every client window fits.
                if let value, Self.windowBits(value) == nil { return nil }
            default:
                return nil
            }
        }
        return agreement
    }

    /// A window size: 8 to 15, in decimal digits without a leading zero (§7.1.2.1).
    private static func windowBits(_ text: Substring) -> Int? {
        guard text.count <= 2, text.first != "0", text.allSatisfy({ $0.isASCII && $0.isNumber }),
            let bits = Int(text), (8...15).contains(bits)
        else { return nil }
        return bits
    }

    /// A token, or a quoted string without escapes; nil for anything else.
    private static func unquoted(_ text: Substring) -> Substring? {
        if text.hasPrefix("\"") {
            guard text.count >= 2, text.hasSuffix("\"") else { return nil }
            let inner = text.dropFirst().dropLast()
            return inner.contains("\\") || inner.contains("\"") ? nil : inner
        }
        return text.isEmpty ? nil : text
    }

    /// Splits on `separator` outside quoted strings, trimming spaces and tabs; empty pieces dropped.
    private static func split(_ text: some StringProtocol, on separator: Character) -> [Substring] {
        var pieces: [Substring] = []
        let text = Substring(text)
        var start = text.startIndex
        var quoted = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "\"" {
                quoted.toggle()
            } else if character == separator && !quoted {
                pieces.append(text[start..<index].trimmed)
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        pieces.append(text[start...].trimmed)
        return pieces.filter { !$0.isEmpty }
    }
}

extension Substring {
    fileprivate var trimmed: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
