import NIOCore
import NIOHTTP1

/// Reads the one request a client sends on the public listener (RFC 9112): the request line, the
/// header fields, and a `Content-Length` body, which no route reads and which is skipped.
///
/// It takes the place of NIOHTTP1's decoder and its pipeline handlers: the gateway gets the socket's
/// bytes, asks for the request's parts, and keeps what follows it (a WebSocket client's first frame,
/// sent in the same packet) for the connection it opens. A request to this listener is small and of a
/// fixed form, so the head is read whole once its blank line has arrived, in one pass.
///
/// Limits and refusals, each answered 400 `malformed HTTP request` by the gateway as NIOHTTP1's errors
/// were, but the first:
/// - the head (request line and header lines with their line ends) is at most ``maxHeadBytes``
///   (`max_request_head_bytes`, 80 KiB by default: NIOHTTP1's limit on the request target and the
///   header fields together); a longer one is answered 431 and counted as a limit hit;
/// - lines end in CRLF; a request line is `METHOD SP TARGET SP HTTP/1.1` (or `HTTP/1.0`), the method
///   a token, the target visible characters;
/// - a header line is a token name, a colon with nothing before it, and a value without control
///   characters; a line that starts with a space or tab (obsolete line folding) is refused (RFC 9112
///   §5.2 allows it), as is whitespace before the colon (§5.1);
/// - `Content-Length` is digits, the same in every field that gives it; `Transfer-Encoding` is refused,
///   since no route takes a body and a chunked one would have to be decoded to be skipped.
///
/// Empty lines before the request line are ignored (RFC 9112 §2.2).
struct HTTPRequestHeadParser {
    /// Why a request cannot be read: a short stable code each, for the log.
    enum Failure: String, Error, Equatable {
        /// The head did not end within ``HTTPRequestHeadParser/maxHeadBytes``.
        case headTooLarge = "head_too_large"
        case badRequestLine = "bad_request_line"
        /// Neither `HTTP/1.1` nor `HTTP/1.0`.
        case unsupportedVersion = "unsupported_version"
        case badHeaderLine = "bad_header_line"
        /// A header line that starts with whitespace, continuing the one before (obs-fold).
        case obsoleteLineFolding = "obsolete_line_folding"
        case badContentLength = "bad_content_length"
        case transferEncoding = "transfer_encoding"
    }

    /// A part of the request, in order: its head, then its end (after the body, if it had one).
    enum Part: Equatable {
        case head(HTTPRequestHead)
        case end
    }

    /// The most bytes the head may take by default, line ends included (`max_request_head_bytes`).
    static let defaultMaxHeadBytes = 80 * 1024

    /// The most bytes the head may take, line ends included.
    let maxHeadBytes: Int

    private enum State: Equatable {
        /// Waiting for the blank line that ends the head; the first `scanned` readable bytes hold none.
        case head(scanned: Int)
        /// The head was read; this many body bytes are still to be skipped before the end.
        case body(remaining: Int)
        case done
    }

    private var state = State.head(scanned: 0)

    init(maxHeadBytes: Int = Self.defaultMaxHeadBytes) {
        self.maxHeadBytes = maxHeadBytes
    }

    /// The next part of the request, taken from the front of `buffer`; nil when more bytes are needed
    /// (the bytes of an unfinished head stay in `buffer`), and after the end. What follows the request
    /// is left in `buffer`.
    mutating func read(_ buffer: inout ByteBuffer) throws(Failure) -> Part? {
        switch self.state {
        case .head(var scanned):
            if scanned == 0 {
                Self.skipLeadingEmptyLines(&buffer)
            }
            guard let length = Self.headLength(buffer, from: scanned, limit: self.maxHeadBytes) else {
                guard buffer.readableBytes <= self.maxHeadBytes else { throw .headTooLarge }
                // The end may straddle reads: its first three bytes are looked at again.
                scanned = max(0, buffer.readableBytes - 3)
                self.state = .head(scanned: scanned)
                return nil
            }
            let head = try buffer.withUnsafeReadableBytes { bytes throws(Failure) in
                try Self.parseHead(UnsafeRawBufferPointer(rebasing: bytes[..<length]))
            }
            buffer.moveReaderIndex(forwardBy: length)
            self.state = .body(remaining: try Self.bodyLength(head.headers))
            return .head(head)
        case .body(let remaining):
            let skipped = min(remaining, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: skipped)
            guard skipped == remaining else {
                self.state = .body(remaining: remaining - skipped)
                return nil
            }
            self.state = .done
            return .end
        case .done:
            return nil
        }
    }

    // MARK: The head

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")
    private static let colon = UInt8(ascii: ":")

    private static func skipLeadingEmptyLines(_ buffer: inout ByteBuffer) {
        while buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == UInt16(Self.cr) << 8 | UInt16(Self.lf) {
            buffer.moveReaderIndex(forwardBy: 2)
        }
    }

    /// The length of the head (through its blank line) when all of it has arrived, looking for its end
    /// from `offset` on.
    private static func headLength(_ buffer: ByteBuffer, from offset: Int, limit: Int) -> Int? {
        buffer.withUnsafeReadableBytes { bytes in
            let count = min(bytes.count, limit)
            var index = offset
            // Most bytes are not a line end: the byte that would be the last LF tells how far the
            // next place the end could start is (a CR there could be its second CR, an LF its first LF).
            while index + 3 < count {
                switch bytes[index + 3] {
                case Self.lf:
                    if bytes[index] == Self.cr, bytes[index + 1] == Self.lf, bytes[index + 2] == Self.cr {
                        return index + 4
                    }
                    index += 2
                case Self.cr:
                    index += 1
                default:
                    index += 4
                }
            }
            return nil
        }
    }

    /// Parses a whole head: the request line, the header lines, the blank line.
    private static func parseHead(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> HTTPRequestHead {
        var lines = Lines(bytes)
        guard let requestLine = lines.next() else { throw .badRequestLine }
        let (method, uri, version) = try Self.parseRequestLine(requestLine)
        var fields: [(String, String)] = []
        while let line = lines.next(), !line.isEmpty {
            fields.append(try Self.parseHeaderLine(line))
        }
        return HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(fields))
    }

    private static func parseRequestLine(_ line: Slice<UnsafeRawBufferPointer>) throws(Failure) -> (HTTPMethod, String, HTTPVersion) {
        guard let firstSpace = line.firstIndex(of: Self.space),
            let secondSpace = line[(firstSpace + 1)...].firstIndex(of: Self.space)
        else { throw .badRequestLine }
        let method = line[..<firstSpace]
        let target = line[(firstSpace + 1)..<secondSpace]
        let version = line[(secondSpace + 1)...]
        guard !method.isEmpty, method.allSatisfy(Self.isTokenByte), !target.isEmpty, target.allSatisfy(Self.isTargetByte)
        else { throw .badRequestLine }
        let httpVersion: HTTPVersion
        if version.elementsEqual("HTTP/1.1".utf8) {
            httpVersion = .http1_1
        } else if version.elementsEqual("HTTP/1.0".utf8) {
            httpVersion = .http1_0
        } else {
            throw Self.isVersion(version) ? .unsupportedVersion : .badRequestLine
        }
        return (HTTPMethod(rawValue: String(decoding: method, as: UTF8.self)), String(decoding: target, as: UTF8.self), httpVersion)
    }

    /// `HTTP/DIGIT.DIGIT`.
    private static func isVersion(_ text: Slice<UnsafeRawBufferPointer>) -> Bool {
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        let bytes = Array(text)
        return bytes.count == 8 && bytes.starts(with: "HTTP/".utf8) && digits.contains(bytes[5]) && bytes[6] == UInt8(ascii: ".")
            && digits.contains(bytes[7])
    }

    private static func parseHeaderLine(_ line: Slice<UnsafeRawBufferPointer>) throws(Failure) -> (String, String) {
        guard let first = line.first, first != Self.space, first != Self.tab else { throw .obsoleteLineFolding }
        guard let colon = line.firstIndex(of: Self.colon) else { throw .badHeaderLine }
        let name = line[..<colon]
        guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else { throw .badHeaderLine }
        var value = line[(colon + 1)...]
        while let byte = value.first, byte == Self.space || byte == Self.tab { value = value.dropFirst() }
        while let byte = value.last, byte == Self.space || byte == Self.tab { value = value.dropLast() }
        guard value.allSatisfy(Self.isFieldValueByte) else { throw .badHeaderLine }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// The length of the body the headers announce: 0 without `Content-Length`.
    private static func bodyLength(_ headers: HTTPHeaders) throws(Failure) -> Int {
        guard !headers.contains(name: "transfer-encoding") else { throw .transferEncoding }
        var length: Int?
        for value in headers["content-length"] {
            guard !value.isEmpty, value.utf8.count <= 18, value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let parsed = Int(value), length == nil || length == parsed
            else { throw .badContentLength }
            length = parsed
        }
        return length ?? 0
    }

    // MARK: Characters (RFC 9110 §5.6.2, §5.5; RFC 9112 §3.2)

    /// `tchar`: the characters of a method and of a header name.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// A request target's bytes: visible ASCII, and bytes above it (a client's raw UTF-8, as NIOHTTP1 took it).
    private static func isTargetByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte != 0x7F
    }

    /// A field value's bytes: visible characters, spaces and tabs, and `obs-text`; no other control character.
    private static func isFieldValueByte(_ byte: UInt8) -> Bool {
        (byte >= 0x20 && byte != 0x7F) || byte == Self.tab
    }
}

/// The CRLF-ended lines of a head, without their line ends. A line holding a CR or LF alone is given
/// whole, line end included, for the character checks to refuse.
private struct Lines {
    private let bytes: UnsafeRawBufferPointer
    private var start = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    mutating func next() -> Slice<UnsafeRawBufferPointer>? {
        var index = self.start
        while index + 1 < self.bytes.count {
            if self.bytes[index] == UInt8(ascii: "\r"), self.bytes[index + 1] == UInt8(ascii: "\n") {
                let line = self.bytes[self.start..<index]
                self.start = index + 2
                return line
            }
            index += 1
        }
        return nil
    }
}
