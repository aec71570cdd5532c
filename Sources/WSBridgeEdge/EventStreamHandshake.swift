import NIOCore
import NIOHTTP1
import WSBridgeCore

/// Checks a request for the server-sent-events fallback and builds its response.
///
/// ```
///  GET /sse?token=… HTTP/1.1              HTTP/1.1 200 OK
///  Accept: text/event-stream      ──▶     Content-Type: text/event-stream; charset=utf-8
///  Last-Event-ID: <pos>                   Cache-Control: no-cache, no-transform
///  Origin: https://app.example            X-Accel-Buffering: no
///                                         Connection: close
///                                         Access-Control-Allow-Origin: https://app.example
///                                         (events until either side closes)
/// ```
///
/// The body has no length and no chunks: it ends when the connection does (RFC 9112 §6.3), which
/// every `EventSource` and HTTP client reads. `X-Accel-Buffering: no` keeps nginx from buffering it.
enum EventStreamHandshake {
    /// The media type of the stream.
    static let mediaType = "text/event-stream"

    /// Whether the client takes an event stream: its `Accept` names `text/event-stream`, `text/*` or
    /// `*/*` (with a q-value above 0), or it sent no `Accept` at all (RFC 9110 §12.5.1).
    static func accepts(_ headers: HTTPHeaders) -> Bool {
        let values = headers[canonicalForm: "accept"]
        guard !values.isEmpty else { return true }
        return values.contains { range in
            let parts = range.split(separator: ";").map { $0.trimmingSpaces().lowercased() }
            guard let type = parts.first, type == Self.mediaType || type == "text/*" || type == "*/*" else { return false }
            let refused = parts.dropFirst().contains { parameter in
                guard parameter.hasPrefix("q=") else { return false }
                return Double(parameter.dropFirst(2)) == 0
            }
            return !refused
        }
    }

    /// Where the client resumes: `Last-Event-ID` (what a reconnecting `EventSource` sends), else the
    /// `since` query parameter; nil for "from now". The text of a value that is not a position is the
    /// failure.
    static func since(headers: HTTPHeaders, query: [(name: String, value: String)]) -> Result<SessionPosition?, BadPosition> {
        let text =
            headers.first(name: "last-event-id").map { $0.trimmingSpaces() }.flatMap { $0.isEmpty ? nil : $0 }
            ?? query.first(where: { $0.name == "since" }).flatMap { $0.value.isEmpty ? nil : $0.value }
        guard let text else { return .success(nil) }
        guard let position = SessionPosition(text) else { return .failure(BadPosition(text: text)) }
        return .success(position)
    }

    struct BadPosition: Error {
        var text: String
    }

    /// The raw bytes of the 200 response that starts the stream. With an `Origin` (already allowed by
    /// `allowed_origins`), the CORS headers that let a page of that origin read it, cookies included,
    /// as it could read a WebSocket.
    static func response(origin: String?, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256)
        buffer.writeString(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache, no-transform\r\n"
                + "X-Accel-Buffering: no\r\nConnection: close\r\n")
        if let origin {
            buffer.writeString(Self.corsHeaderLines(origin: origin))
        }
        buffer.writeString("\r\n")
        return buffer
    }

    /// The headers of the answer to a CORS preflight (`OPTIONS`): a page may send the headers an
    /// `EventSource` or a fetch-based client sends.
    static func preflightHeaders(origin: String?) -> [(String, String)] {
        var headers = [
            ("Allow", "GET, OPTIONS"),
            ("Access-Control-Allow-Methods", "GET"),
            ("Access-Control-Allow-Headers", "Accept, Authorization, Cache-Control, Last-Event-ID"),
            ("Access-Control-Max-Age", "600"),
        ]
        if let origin {
            headers += [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true"), ("Vary", "Origin")]
        }
        return headers
    }

    private static func corsHeaderLines(origin: String) -> String {
        "Access-Control-Allow-Origin: \(origin)\r\nAccess-Control-Allow-Credentials: true\r\nVary: Origin\r\n"
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
