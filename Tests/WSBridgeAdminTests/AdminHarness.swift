import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import XCTest

@testable import WSBridgeAdmin

/// An `EmbeddedChannel` wired as the admin server wires a connection, with probes and a metrics body
/// the test controls.
final class AdminHarness {
    struct State {
        var healthy = true
        var ready = ProbeResult.pass("ready")
        /// The next `/metrics` answer; `nil` leaves the scrape pending until `pending` is completed.
        var metricsBody: Result<String, any Error & Sendable>? = .success("wsbridge_up 1\n")
        var pending: EventLoopPromise<ByteBuffer>?
        var scrapes = 0
    }

    let channel = EmbeddedChannel()
    let state = NIOLockedValueBox(State())

    init() throws {
        let loop = self.channel.embeddedEventLoop
        let state = self.state
        let endpoints = AdminEndpoints(
            health: { state.withLockedValue { $0.healthy } ? .pass("ok") : .fail("broker link down") },
            readiness: { state.withLockedValue { $0.ready } },
            metrics: {
                state.withLockedValue { state in
                    state.scrapes += 1
                    switch state.metricsBody {
                    case .success(let text): return loop.makeSucceededFuture(ByteBuffer(string: text))
                    case .failure(let error): return loop.makeFailedFuture(error)
                    case nil:
                        let promise = loop.makePromise(of: ByteBuffer.self)
                        state.pending = promise
                        return promise.futureResult
                    }
                }
            }
        )
        try AdminServer.initialize(self.channel, endpoints: endpoints)
        try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 50000)).wait()
    }

    /// Sends raw request bytes and returns everything written back so far.
    func exchange(_ request: String) throws -> String {
        try self.channel.writeInbound(ByteBuffer(string: request))
        self.channel.embeddedEventLoop.run()
        return try self.readOutbound()
    }

    func readOutbound() throws -> String {
        var all = ByteBuffer()
        while var part = try self.channel.readOutbound(as: ByteBuffer.self) {
            all.writeBuffer(&part)
        }
        return String(buffer: all)
    }

    static func get(_ path: String, method: String = "GET", headers: String = "") -> String {
        "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n\(headers)\r\n"
    }
}

/// One parsed HTTP response: status line, headers (lower-cased names), body.
struct ParsedResponse {
    var status: Int
    var headers: [String: String]
    var body: String

    /// Splits `text` into the responses it holds, using Content-Length.
    static func all(_ text: String) -> [ParsedResponse] {
        var responses: [ParsedResponse] = []
        var rest = Substring(text)
        while let end = rest.range(of: "\r\n\r\n") {
            let lines = rest[..<end.lowerBound].components(separatedBy: "\r\n")
            guard let statusLine = lines.first, statusLine.split(separator: " ").count >= 2,
                let status = Int(statusLine.split(separator: " ")[1])
            else { break }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            let bodyStart = end.upperBound
            let bodyEnd = rest.utf8.index(bodyStart, offsetBy: length, limitedBy: rest.endIndex) ?? rest.endIndex
            responses.append(ParsedResponse(status: status, headers: headers, body: String(rest[bodyStart..<bodyEnd])))
            rest = rest[bodyEnd...]
        }
        return responses
    }

    static func one(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> ParsedResponse {
        let responses = Self.all(text)
        XCTAssertEqual(responses.count, 1, text, file: file, line: line)
        return try XCTUnwrap(responses.first, file: file, line: line)
    }
}
