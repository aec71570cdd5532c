import NIOCore

/// The bytes of one publish for a route, and the parsing of its acknowledgements.
enum PublishWire {
    case resp(channel: [UInt8])
    /// `FCALL wsbridge_publish 0 envelope`: the durable path.
    case fcall
    /// An app-socket `publish`; with `receipt`, `"receipt":true` (the ok waits for the receipt).
    case app(receipt: Bool)
    /// An app-socket `presence` query for `batch` users from the drawn one on.
    case appPresence(batch: Int, users: Int)
    case nchanHTTP(pathPrefix: [UInt8], host: [UInt8])

    enum Target {
        case user(Int)
        case all
    }

    /// Writes one publish of `target` whose payload starts with `stamp` and has `payloadBytes` bytes.
    func write(target: Target, stamp: UInt64, payloadBytes: Int, into buffer: inout ByteBuffer) {
        switch self {
        case .resp(let channel):
            let bodyLength = Self.envelopeLength(target: target, payloadBytes: payloadBytes)
            buffer.writeStaticString("*3\r\n$7\r\nPUBLISH\r\n$")
            Self.writeDecimal(channel.count, into: &buffer)
            buffer.writeStaticString("\r\n")
            buffer.writeBytes(channel)
            buffer.writeStaticString("\r\n$")
            Self.writeDecimal(bodyLength, into: &buffer)
            buffer.writeStaticString("\r\n")
            Self.writeEnvelope(target: target, stamp: stamp, payloadBytes: payloadBytes, into: &buffer)
            buffer.writeStaticString("\r\n")
        case .fcall:
            let bodyLength = Self.envelopeLength(target: target, payloadBytes: payloadBytes)
            buffer.writeStaticString("*4\r\n$5\r\nFCALL\r\n$16\r\nwsbridge_publish\r\n$1\r\n0\r\n$")
            Self.writeDecimal(bodyLength, into: &buffer)
            buffer.writeStaticString("\r\n")
            Self.writeEnvelope(target: target, stamp: stamp, payloadBytes: payloadBytes, into: &buffer)
            buffer.writeStaticString("\r\n")
        case .app(let receipt):
            // {"type":"publish", then the envelope with its opening brace written over by a space.
            let length = (receipt ? 33 : 18) + Self.envelopeLength(target: target, payloadBytes: payloadBytes)
            buffer.writeInteger(UInt32(length))
            if receipt {
                buffer.writeStaticString("{\"type\":\"publish\",\"receipt\":true,")
            } else {
                buffer.writeStaticString("{\"type\":\"publish\",")
            }
            let start = buffer.writerIndex
            Self.writeEnvelope(target: target, stamp: stamp, payloadBytes: payloadBytes, into: &buffer)
            buffer.setInteger(UInt8(ascii: " "), at: start)
        case .appPresence(let batch, let users):
            // {"type":"presence","users":["uA","uA+1",…]}: consecutive users from the drawn one.
            guard case .user(let first) = target else { return }
            let lengthAt = buffer.writerIndex
            buffer.writeInteger(UInt32(0))
            buffer.writeStaticString("{\"type\":\"presence\",\"users\":[")
            for index in 0..<batch {
                buffer.writeStaticString(index == 0 ? "\"u" : ",\"u")
                Self.writeDecimal((first + index) % max(users, 1), into: &buffer)
                buffer.writeStaticString("\"")
            }
            buffer.writeStaticString("]}")
            buffer.setInteger(UInt32(buffer.writerIndex - lengthAt - 4), at: lengthAt)
        case .nchanHTTP(let prefix, let host):
            buffer.writeStaticString("POST ")
            buffer.writeBytes(prefix)
            buffer.writeStaticString("/")
            switch target {
            case .user(let user):
                buffer.writeStaticString("u")
                Self.writeDecimal(user, into: &buffer)
            case .all:
                buffer.writeStaticString("all")
            }
            buffer.writeStaticString(" HTTP/1.1\r\nHost: ")
            buffer.writeBytes(host)
            buffer.writeStaticString("\r\nContent-Type: text/plain\r\nContent-Length: ")
            Self.writeDecimal(payloadBytes, into: &buffer)
            buffer.writeStaticString("\r\n\r\n")
            Self.writePayload(stamp: stamp, payloadBytes: payloadBytes, into: &buffer)
        }
    }

    /// Bytes of `{"user":"uN","data":"..."}` or `{"all":true,"data":"..."}`.
    static func envelopeLength(target: Target, payloadBytes: Int) -> Int {
        switch target {
        case .user(let user): return #"{"user":"u","data":""}"#.utf8.count + decimalDigits(user) + payloadBytes
        case .all: return #"{"all":true,"data":""}"#.utf8.count + payloadBytes
        }
    }

    static func writeEnvelope(target: Target, stamp: UInt64, payloadBytes: Int, into buffer: inout ByteBuffer) {
        switch target {
        case .user(let user):
            buffer.writeStaticString("{\"user\":\"u")
            writeDecimal(user, into: &buffer)
            buffer.writeStaticString("\",\"data\":\"")
        case .all:
            buffer.writeStaticString("{\"all\":true,\"data\":\"")
        }
        writePayload(stamp: stamp, payloadBytes: payloadBytes, into: &buffer)
        buffer.writeStaticString("\"}")
    }

    /// 16 hex digits of the stamp, then words up to `payloadBytes`: lowercase words of a small
    /// vocabulary drawn by a generator seeded with the stamp, so that every message differs and
    /// compresses about as well as English text or JSON does (2 to 3 times: what permessage-deflate
    /// sees in practice; a run of one byte would compress 100 times, and too cheaply). Nothing that
    /// needs escaping in a JSON string.
    static func writePayload(stamp: UInt64, payloadBytes: Int, into buffer: inout ByteBuffer) {
        let length = max(payloadBytes, 16)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
            StampHex.write(stamp, into: raw, at: 0)
            var state = stamp | 1
            var i = 16
            while i < length {
                // xorshift64: cheap, and the same words for the same stamp.
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                let word = Self.words[Int(state % UInt64(Self.words.count))]
                raw[i] = UInt8(ascii: " ")
                i += 1
                for byte in word where i < length {
                    raw[i] = byte
                    i += 1
                }
            }
            return length
        }
    }

    private static let words: [[UInt8]] = [
        "the", "user", "message", "order", "shipped", "price", "update", "status", "online", "room", "event",
        "id", "count", "name", "value", "time", "new", "item", "cart", "total", "read", "unread", "typing",
        "channel", "alert", "score", "level", "team", "match", "goal", "player", "chat", "reply", "thread",
        "like", "share", "view", "click", "open", "close", "stock", "quote", "bid", "ask", "trade", "volume",
        "and", "of", "to", "in", "for", "on", "with", "at", "by", "from", "is", "was", "has", "not", "a", "an",
    ].map { Array($0.utf8) }

    static func decimalDigits(_ value: Int) -> Int {
        var digits = 1
        var v = value
        while v >= 10 {
            v /= 10
            digits += 1
        }
        return digits
    }

    static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        let digits = decimalDigits(value)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: digits) { raw in
            var v = max(value, 0)
            var i = digits - 1
            while i >= 0 {
                raw[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                i -= 1
            }
            return digits
        }
    }
}

/// Counts acknowledgements in a stream of replies; keeps partial replies between reads.
struct ReplyCounter {
    enum Kind {
        case resp
        case app
        case http
    }

    struct Counts {
        var ok = 0
        var errors = 0
        var receivers = 0
        var firstError: String?
    }

    let kind: Kind
    private var pending: ByteBuffer?

    init(kind: Kind) { self.kind = kind }

    /// Adds `buffer` to what is pending and counts every complete reply. Throws on a reply it cannot read.
    mutating func consume(_ buffer: inout ByteBuffer) throws -> Counts {
        var work: ByteBuffer
        if var pending = self.pending {
            pending.writeBuffer(&buffer)
            work = pending
        } else {
            work = buffer
        }
        var counts = Counts()
        // Each pass consumes one whole reply or stops.
        while work.readableBytes > 0 {
            let consumed: Bool
            switch kind {
            case .resp: consumed = try Self.readRESP(&work, &counts)
            case .app: consumed = try Self.readApp(&work, &counts)
            case .http: consumed = try Self.readHTTP(&work, &counts)
            }
            if !consumed { break }
        }
        if work.readableBytes > 0 {
            work.discardReadBytes()
            pending = work
        } else {
            pending = nil
        }
        return counts
    }

    private static func lineEnd(_ buffer: ByteBuffer, from offset: Int = 0) -> Int? {
        let view = buffer.readableBytesView
        guard view.count >= offset + 2 else { return nil }
        var index = view.startIndex + offset
        let last = view.endIndex - 1
        while index < last {
            if view[index] == 13 && view[index + 1] == 10 { return index - view.startIndex }
            index += 1
        }
        return nil
    }

    /// Integer (`:N`), simple string (`+OK`) or error (`-ERR`) replies, one line each, or a bulk
    /// string (`$N`, the positions `FCALL wsbridge_publish` answers with).
    private static func readRESP(_ buffer: inout ByteBuffer, _ counts: inout Counts) throws -> Bool {
        guard let end = lineEnd(buffer) else { return false }
        if buffer.readableBytesView.first == UInt8(ascii: "$") {
            guard let header = buffer.getString(at: buffer.readerIndex, length: end),
                let length = Int(header.dropFirst()), length >= 0
            else {
                throw BenchError("unexpected RESP reply: \(buffer.getString(at: buffer.readerIndex, length: min(end, 80)) ?? "")")
            }
            guard buffer.readableBytes >= end + 2 + length + 2 else { return false }
            buffer.moveReaderIndex(forwardBy: end + 2 + length + 2)
            counts.ok += 1
            return true
        }
        guard let line = buffer.readString(length: end) else { return false }
        buffer.moveReaderIndex(forwardBy: 2)
        switch line.first {
        case ":":
            counts.ok += 1
            counts.receivers += Int(line.dropFirst()) ?? 0
        case "+":
            counts.ok += 1
        case "-":
            counts.errors += 1
            if counts.firstError == nil { counts.firstError = line }
        default:
            throw BenchError("unexpected RESP reply: \(line.prefix(80))")
        }
        return true
    }

    /// 4-byte length, then JSON: `{"type":"ok",...}` counts as ok, anything else as an error.
    private static func readApp(_ buffer: inout ByteBuffer, _ counts: inout Counts) throws -> Bool {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return false }
        guard buffer.readableBytes >= 4 + Int(length) else { return false }
        buffer.moveReaderIndex(forwardBy: 4)
        let body = buffer.readableBytesView.prefix(Int(length))
        if body.starts(with: #"{"type":"ok""#.utf8) || body.starts(with: #"{"type":"presence""#.utf8) {
            counts.ok += 1
        } else if body.starts(with: #"{"type":"error""#.utf8) {
            counts.errors += 1
            if counts.firstError == nil { counts.firstError = String(decoding: body.prefix(200), as: UTF8.self) }
        }
        // Other events (a `shutdown`, say) are not replies.
        buffer.moveReaderIndex(forwardBy: Int(length))
        return true
    }

    /// An HTTP/1.1 response with a Content-Length body; 2xx is ok.
    private static func readHTTP(_ buffer: inout ByteBuffer, _ counts: inout Counts) throws -> Bool {
        let view = buffer.readableBytesView
        var headEnd: Int?
        var contentLength = 0
        var index = view.startIndex
        var lineStart = index
        var status = 0
        // One pass over the head, line by line.
        while index + 1 < view.endIndex {
            if view[index] == 13 && view[index + 1] == 10 {
                let line = view[lineStart..<index]
                if lineStart == view.startIndex {
                    let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2)
                    guard parts.count >= 2, let code = Int(String(decoding: parts[1], as: UTF8.self)) else {
                        throw BenchError("bad HTTP status line: \(String(decoding: line.prefix(80), as: UTF8.self))")
                    }
                    status = code
                } else if line.isEmpty {
                    headEnd = index + 2 - view.startIndex
                    break
                } else {
                    let text = String(decoding: line, as: UTF8.self)
                    if let colon = text.firstIndex(of: ":") {
                        let name = text[..<colon].lowercased()
                        let value = text[text.index(after: colon)...].trimmingCharacters(in: " ")
                        if name == "content-length" { contentLength = Int(value) ?? 0 }
                        if name == "transfer-encoding" && value.lowercased() != "identity" {
                            throw BenchError("chunked HTTP responses are not supported by the publisher")
                        }
                    }
                }
                index += 2
                lineStart = index
            } else {
                index += 1
            }
        }
        guard let headEnd, buffer.readableBytes >= headEnd + contentLength else { return false }
        if (200..<300).contains(status) {
            counts.ok += 1
        } else {
            counts.errors += 1
            if counts.firstError == nil {
                let body = buffer.getString(at: buffer.readerIndex + headEnd, length: min(contentLength, 200)) ?? ""
                counts.firstError = "HTTP \(status): \(body)"
            }
        }
        buffer.moveReaderIndex(forwardBy: headEnd + contentLength)
        return true
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var slice = Substring(self)
        while slice.first == set { slice.removeFirst() }
        while slice.last == set { slice.removeLast() }
        return String(slice)
    }
}
