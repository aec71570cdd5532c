import NIOCore
import XCTest
@testable import WSBridgeDeflate

final class MessageDeflateTests: XCTestCase {
    private func compressed(_ text: String, windowBits: Int = 15) -> [UInt8] {
        var output = ByteBuffer()
        MessageDeflater(windowBits: windowBits).compress(ByteBuffer(string: text), into: &output)
        return Array(output.readableBytesView)
    }

    private func inflated(_ bytes: [UInt8], limit: Int = 1 << 20, inflater: MessageInflater = MessageInflater()) throws -> String {
        var output = ByteBuffer()
        try inflater.inflate(ByteBuffer(bytes: bytes), into: &output, limit: limit)
        try inflater.finish(into: &output, limit: limit)
        return String(buffer: output)
    }

    func testHelloIsCompressedAsRFC7692Shows() {
        // RFC 7692 §7.2.3.1: "Hello" in one compressed frame, the sync flush's 00 00 ff ff removed.
        XCTAssertEqual(self.compressed("Hello"), [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
    }

    func testTheRFCsExamplesInflate() throws {
        XCTAssertEqual(try self.inflated([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]), "Hello")
        // §7.2.3.3: a stored (uncompressed) block.
        XCTAssertEqual(try self.inflated([0x00, 0x05, 0x00, 0xFA, 0xFF, 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x00]), "Hello")
        // The same block with BFINAL set: a sender may end the message's DEFLATE stream.
        XCTAssertEqual(try self.inflated([0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]), "Hello")
    }

    func testEachMessageStandsAlone() throws {
        // No context takeover: the second message's bytes are the first's, because nothing is carried.
        let deflater = MessageDeflater()
        var first = ByteBuffer()
        var second = ByteBuffer()
        let text = String(repeating: "wsbridge fans out ", count: 40)
        deflater.compress(ByteBuffer(string: text), into: &first)
        deflater.compress(ByteBuffer(string: text), into: &second)
        XCTAssertEqual(first, second)
        XCTAssertLessThan(first.readableBytes, text.utf8.count / 5)
        let inflater = MessageInflater()
        XCTAssertEqual(try self.inflated(Array(first.readableBytesView), inflater: inflater), text)
        XCTAssertEqual(try self.inflated(Array(second.readableBytesView), inflater: inflater), text)
    }

    func testLargeAndIncompressibleMessagesRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        for count in [0, 1, 300, 70_000, 1 << 20] {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var output = ByteBuffer()
            MessageDeflater(windowBits: 9).compress(ByteBuffer(bytes: bytes), into: &output)
            var back = ByteBuffer()
            let inflater = MessageInflater()
            try inflater.inflate(output, into: &back, limit: count)
            try inflater.finish(into: &back, limit: count)
            XCTAssertEqual(Array(back.readableBytesView), bytes, "\(count) bytes")
        }
    }

    func testAMessageSplitAcrossFramesInflatesPieceByPiece() throws {
        let text = String(repeating: "0123456789abcdef", count: 500)
        let bytes = self.compressed(text)
        let inflater = MessageInflater()
        var output = ByteBuffer()
        for start in stride(from: 0, to: bytes.count, by: 7) {
            try inflater.inflate(ByteBuffer(bytes: bytes[start..<min(start + 7, bytes.count)]), into: &output, limit: 8000)
        }
        try inflater.finish(into: &output, limit: 8000)
        XCTAssertEqual(String(buffer: output), text)
    }

    func testABombStopsAtTheLimit() {
        // 16 MiB of zeros compress to about 16 KiB; with a 64 KiB limit, inflating must stop at 64 KiB + 1.
        var bomb = ByteBuffer()
        MessageDeflater().compress(ByteBuffer(repeating: 0, count: 16 << 20), into: &bomb)
        XCTAssertLessThan(bomb.readableBytes, 20_000)
        var output = ByteBuffer()
        let inflater = MessageInflater()
        XCTAssertThrowsError(try inflater.inflate(bomb, into: &output, limit: 65_536)) { error in
            XCTAssertEqual(error as? MessageInflater.Failure, .tooLarge)
        }
        XCTAssertLessThanOrEqual(output.readableBytes, 65_537)
        // Exactly at the limit is allowed.
        inflater.reset()
        var exact = ByteBuffer()
        MessageDeflater().compress(ByteBuffer(repeating: 7, count: 65_536), into: &exact)
        var fits = ByteBuffer()
        XCTAssertNoThrow(try inflater.inflate(exact, into: &fits, limit: 65_536))
        XCTAssertNoThrow(try inflater.finish(into: &fits, limit: 65_536))
        XCTAssertEqual(fits.readableBytes, 65_536)
    }

    func testGarbageIsReportedAsCorrupt() {
        let inflater = MessageInflater()
        var output = ByteBuffer()
        XCTAssertThrowsError(try inflater.inflate(ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF]), into: &output, limit: 100)) { error in
            guard case .corrupt = error as? MessageInflater.Failure else { return XCTFail("\(error)") }
        }
        // And the inflater is usable again after a reset.
        inflater.reset()
        XCTAssertEqual(try self.inflated([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], inflater: inflater), "Hello")
    }
}

final class DeflateNegotiationTests: XCTestCase {
    func testAPlainOfferIsAcceptedWithNoContextTakeoverBothWays() {
        let agreement = DeflateAgreement.negotiate(["permessage-deflate"])
        XCTAssertEqual(agreement, DeflateAgreement(serverWindowBits: 15))
        XCTAssertEqual(agreement?.responseHeader, "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
    }

    func testBrowsersOfferIsAccepted() {
        // What Chromium and Firefox send.
        let agreement = DeflateAgreement.negotiate(["permessage-deflate; client_max_window_bits"])
        XCTAssertEqual(agreement?.serverWindowBits, 15)
    }

    func testServerMaxWindowBitsIsHonouredAndAnswered() {
        let agreement = DeflateAgreement.negotiate(["permessage-deflate; server_max_window_bits=10; client_max_window_bits=12"])
        XCTAssertEqual(agreement?.serverWindowBits, 10)
        XCTAssertEqual(
            agreement?.responseHeader,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10")
        XCTAssertEqual(DeflateAgreement.negotiate(["permessage-deflate; server_max_window_bits=\"9\""])?.serverWindowBits, 9)
    }

    func testTheFirstAcceptableOfferWins() {
        // A window of 8 cannot be honoured by zlib: declined, the fallback offer taken.
        let agreement = DeflateAgreement.negotiate(["permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=11"])
        XCTAssertEqual(agreement?.serverWindowBits, 11)
        XCTAssertEqual(
            DeflateAgreement.negotiate(["x-webkit-deflate-frame", "permessage-deflate; server_no_context_takeover"])?.serverWindowBits, 15)
    }

    func testOffersBreakingTheRFCAreDeclined() {
        for offer in [
            "permessage-deflate; server_max_window_bits=8",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=010",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; client_max_window_bits=7",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; unknown_parameter",
            "permessage-deflate; server_max_window_bits=\"1\\0\"",
            "deflate-frame",
        ] {
            XCTAssertNil(DeflateAgreement.negotiate([offer]), offer)
        }
        XCTAssertNil(DeflateAgreement.negotiate([]))
    }

    func testSeparatorsInsideQuotesDoNotSplit() {
        XCTAssertNil(DeflateAgreement.negotiate(["permessage-deflate; client_max_window_bits=\"10, permessage-deflate\""]))
    }
}
