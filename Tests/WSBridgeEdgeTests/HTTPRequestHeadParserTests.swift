import NIOCore
import NIOHTTP1
import XCTest
@testable import WSBridgeEdge

/// The request reader of the public listener, on bytes alone: what it takes, what it leaves for the
/// connection, and what it refuses.
final class HTTPRequestHeadParserTests: XCTestCase {
    typealias Parser = HTTPRequestHeadParser

    private static let handshake =
        "GET /ws?user=alice HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

    /// Every part `text` yields, read in one go, and what is left of it.
    private func parts(_ text: String) throws(Parser.Failure) -> (parts: [Parser.Part], left: String) {
        var parser = Parser()
        var buffer = ByteBuffer(string: text)
        var parts: [Parser.Part] = []
        while let part = try parser.read(&buffer) {
            parts.append(part)
        }
        return (parts, String(buffer: buffer))
    }

    private func failure(_ text: String) -> Parser.Failure? {
        do {
            _ = try self.parts(text)
            return nil
        } catch {
            return error
        }
    }

    func testAHandshakeIsReadWithItsHeadersAsSentAndTheBytesAfterItAreLeft() throws {
        let (parts, left) = try self.parts(Self.handshake + "\u{81}\u{85}frame")
        let headers: [(String, String)] = [
            ("Host", "localhost"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
        ]
        XCTAssertEqual(
            parts, [.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/ws?user=alice", headers: HTTPHeaders(headers))), .end])
        XCTAssertEqual(left, "\u{81}\u{85}frame")
        guard case .head(let head) = parts.first else { return XCTFail("no head") }
        XCTAssertEqual(head.headers.map(\.name), headers.map(\.0), "names as the client wrote them, in order")
    }

    func testAHeadArrivingByteByByteIsReadOnceItsBlankLineArrives() throws {
        var parser = Parser()
        var buffer = ByteBuffer()
        var parts: [Parser.Part] = []
        for byte in Self.handshake.utf8 {
            buffer.writeInteger(byte)
            while let part = try parser.read(&buffer) {
                parts.append(part)
            }
            if parts.isEmpty {
                XCTAssertEqual(buffer.readableBytes, buffer.writerIndex, "an unfinished head stays in the buffer")
            }
        }
        XCTAssertEqual(parts, try self.parts(Self.handshake).parts)
        XCTAssertEqual(buffer.readableBytes, 0)
    }

    func testTheEndIsFoundWhereverTheReadsCutIt() throws {
        let expected = try self.parts(Self.handshake).parts
        let bytes = Array(Self.handshake.utf8)
        for cut in 1..<bytes.count {
            var parser = Parser()
            var buffer = ByteBuffer(bytes: bytes[..<cut])
            var parts: [Parser.Part] = []
            while let part = try parser.read(&buffer) { parts.append(part) }
            buffer.writeBytes(bytes[cut...])
            while let part = try parser.read(&buffer) { parts.append(part) }
            XCTAssertEqual(parts, expected, "cut at \(cut)")
        }
    }

    func testValuesLoseTheirSurroundingWhitespaceAndMayBeEmptyOrHoldUTF8() throws {
        let (parts, _) = try self.parts("GET / HTTP/1.0\r\nX-A:  \t spaced  value \t\r\nX-B:\r\nX-C: café\r\n\r\n")
        guard case .head(let head) = parts.first else { return XCTFail("no head") }
        XCTAssertEqual(head.version, .http1_0)
        XCTAssertEqual(head.headers.map(\.value), ["spaced  value", "", "café"])
    }

    func testAnyTokenIsAMethodAndEmptyLinesBeforeTheRequestAreIgnored() throws {
        let (parts, _) = try self.parts("\r\n\r\nPURGE /x HTTP/1.1\r\n\r\n")
        XCTAssertEqual(parts, [.head(HTTPRequestHead(version: .http1_1, method: .RAW(value: "PURGE"), uri: "/x")), .end])
    }

    func testABodyIsSkippedBeforeTheEndAcrossReadsAndWhatFollowsIsLeft() throws {
        var parser = Parser()
        var buffer = ByteBuffer(string: "POST /ws HTTP/1.1\r\nContent-Length: 10\r\n\r\nhello")
        guard case .head = try parser.read(&buffer) else { return XCTFail("no head") }
        XCTAssertNil(try parser.read(&buffer), "5 of the 10 body bytes arrived")
        XCTAssertEqual(buffer.readableBytes, 0)
        buffer.writeString("worldAFTER")
        XCTAssertEqual(try parser.read(&buffer), .end)
        XCTAssertEqual(String(buffer: buffer), "AFTER")
        XCTAssertNil(try parser.read(&buffer), "one request only")
        XCTAssertEqual(String(buffer: buffer), "AFTER")
        XCTAssertEqual(try self.parts("GET / HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nokX").left, "X")
    }

    func testAHeadOfTheLimitIsReadAndOneByteMoreIsRefusedBeforeItEnds() throws {
        let start = "GET / HTTP/1.1\r\nX: "
        let filler = String(repeating: "a", count: Parser.defaultMaxHeadBytes - start.utf8.count - 4)
        XCTAssertEqual(try self.parts(start + filler + "\r\n\r\n").parts.count, 2)
        XCTAssertEqual(self.failure(start + filler + "a\r\n\r\n"), .headTooLarge)
        // Refused as soon as more than the limit arrived without an end, not after the end arrives.
        XCTAssertEqual(self.failure(start + filler + "aaaaa"), .headTooLarge)
        XCTAssertNil(self.failure(start + filler + "aaaa"), "the limit, still waiting for the end")
    }

    func testTheLimitIsTheOneGiven() throws {
        let request = "GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 1000) + "\r\n\r\n"
        var small = Parser(maxHeadBytes: 1024)
        var buffer = ByteBuffer(string: request)
        XCTAssertEqual(small.maxHeadBytes, 1024)
        XCTAssertNotNil(try small.read(&buffer), "1,022 bytes: within")
        var smaller = Parser(maxHeadBytes: 1021)
        buffer = ByteBuffer(string: request)
        XCTAssertThrowsError(try smaller.read(&buffer)) { XCTAssertEqual($0 as? Parser.Failure, .headTooLarge) }
    }

    func testMalformedRequestLinesAreRefused() {
        let cases: [(String, Parser.Failure)] = [
            ("NOT HTTP AT ALL\r\n\r\n", .badRequestLine),
            ("GET /  HTTP/1.1\r\n\r\n", .badRequestLine),
            ("GET / HTTP/1.1 \r\n\r\n", .badRequestLine),
            ("GET /\r\n\r\n", .badRequestLine),
            (" GET / HTTP/1.1\r\n\r\n", .badRequestLine),
            ("G(T / HTTP/1.1\r\n\r\n", .badRequestLine),
            ("GET /a\u{7F}b HTTP/1.1\r\n\r\n", .badRequestLine),
            ("GET /a\tb HTTP/1.1\r\n\r\n", .badRequestLine),
            ("GET / HTTP/1.1\nHost: x\r\n\r\n", .badRequestLine),
            ("GET / HTTP/2.0\r\n\r\n", .unsupportedVersion),
            ("GET / HTTP/1.2\r\n\r\n", .unsupportedVersion),
            ("GET / http/1.1\r\n\r\n", .badRequestLine),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(self.failure(text), expected, text.debugDescription)
        }
    }

    func testMalformedHeaderLinesAndFoldedOnesAreRefused() {
        let cases: [(String, Parser.Failure)] = [
            ("Host : x", .badHeaderLine),
            ("Host x", .badHeaderLine),
            (": x", .badHeaderLine),
            ("Ho(st: x", .badHeaderLine),
            ("X: a\u{1}b", .badHeaderLine),
            ("X: a\u{7F}", .badHeaderLine),
            ("X: a\rb", .badHeaderLine),
            ("X: a\nb", .badHeaderLine),
            ("X: a\r\n b", .obsoleteLineFolding),
            ("X: a\r\n\tb", .obsoleteLineFolding),
        ]
        for (line, expected) in cases {
            XCTAssertEqual(self.failure("GET / HTTP/1.1\r\n\(line)\r\n\r\n"), expected, line.debugDescription)
        }
    }

    func testBodiesOtherThanAValidContentLengthAreRefused() {
        let cases: [(String, Parser.Failure)] = [
            ("Content-Length: abc", .badContentLength),
            ("Content-Length: -1", .badContentLength),
            ("Content-Length: +1", .badContentLength),
            ("Content-Length: 1, 1", .badContentLength),
            ("Content-Length:", .badContentLength),
            ("Content-Length: 99999999999999999999", .badContentLength),
            ("Content-Length: 1\r\nContent-Length: 2", .badContentLength),
            ("Transfer-Encoding: chunked", .transferEncoding),
            ("transfer-encoding: identity", .transferEncoding),
        ]
        for (lines, expected) in cases {
            XCTAssertEqual(self.failure("POST / HTTP/1.1\r\n\(lines)\r\n\r\n"), expected, lines.debugDescription)
        }
    }
}
