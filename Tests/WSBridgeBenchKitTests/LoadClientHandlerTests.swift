import NIOCore
import NIOEmbedded
import WSBridgeFrameHeader
import XCTest

@testable import WSBridgeBenchKit

final class LoadClientHandlerTests: XCTestCase {
    private func frame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
        var header = ByteBuffer()
        WebSocketFrameHeader.write(first: (fin ? 0x80 : 0) | opcode, payloadLength: payload.count, into: &header)
        return Array(header.readableBytesView) + payload
    }

    private func stamped(_ stamp: UInt64, length: Int) -> [UInt8] {
        var payload = [UInt8](repeating: UInt8(ascii: "."), count: length)
        payload.withUnsafeMutableBytes { StampHex.write(stamp, into: $0, at: 0) }
        return payload
    }

    /// The server's bytes: a 101, two stamped messages (one of 200 bytes), a fragmented one, a ping.
    private func serverBytes(stamp: UInt64) -> [UInt8] {
        var bytes = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".utf8)
        bytes += frame(1, stamped(stamp, length: 100))
        bytes += frame(1, stamped(stamp, length: 200))
        bytes += frame(1, stamped(stamp, length: 20), fin: false)
        bytes += frame(0, Array("rest".utf8))
        bytes += frame(9, Array("hi".utf8))
        return bytes
    }

    func testFramesAreCountedAndStampsReadHoweverTheBytesAreSplit() throws {
        let stamp = monotonicNanoseconds()
        let bytes = serverBytes(stamp: stamp)
        for split in stride(from: 1, to: bytes.count, by: 1) {
            let channel = EmbeddedChannel()
            let state = LoopState(recordLatency: true)
            let handshake = channel.eventLoop.makePromise(of: Void.self)
            let request = Array("GET /ws?user=u1 HTTP/1.1\r\n\r\n".utf8)
            try channel.pipeline.syncOperations.addHandler(
                LoadClientHandler(state: state, request: request, handshake: handshake, recordLatency: true))
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            XCTAssertEqual(try channel.readOutbound(as: ByteBuffer.self).map { Array($0.readableBytesView) }, request)

            try channel.writeInbound(ByteBuffer(bytes: bytes[..<split]))
            try channel.writeInbound(ByteBuffer(bytes: bytes[split...]))
            try handshake.futureResult.wait()

            XCTAssertEqual(state.snapshot.opened, 1, "split at \(split)")
            XCTAssertEqual(state.snapshot.messages, 3, "split at \(split)")
            XCTAssertEqual(state.snapshot.payloadBytes, 324, "split at \(split)")
            XCTAssertEqual(state.snapshot.latency?.totalCount, 3, "split at \(split)")
            XCTAssertEqual(state.snapshot.badStamps, 0, "split at \(split)")
            XCTAssertEqual(state.snapshot.pingsAnswered, 1, "split at \(split)")
            // The pong: masked (zero mask), with the ping's payload.
            let pong = try XCTUnwrap(channel.readOutbound(as: ByteBuffer.self))
            XCTAssertEqual(Array(pong.readableBytesView), [0x8A, 0x82, 0, 0, 0, 0] + Array("hi".utf8))
            _ = try? channel.finish()
        }
    }

    func testARefusedUpgradeFailsTheHandshake() throws {
        let channel = EmbeddedChannel()
        let state = LoopState(recordLatency: false)
        let handshake = channel.eventLoop.makePromise(of: Void.self)
        try channel.pipeline.syncOperations.addHandler(
            LoadClientHandler(state: state, request: [], handshake: handshake, recordLatency: false))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"))
        XCTAssertThrowsError(try handshake.futureResult.wait()) { error in
            XCTAssertTrue("\(error)".contains("401"), "\(error)")
        }
        XCTAssertEqual(state.snapshot.opened, 0)
    }

    func testACloseFrameIsAnsweredAndCountedByCode() throws {
        let channel = EmbeddedChannel()
        let state = LoopState(recordLatency: false)
        let handshake = channel.eventLoop.makePromise(of: Void.self)
        try channel.pipeline.syncOperations.addHandler(
            LoadClientHandler(state: state, request: [], handshake: handshake, recordLatency: false))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        var bytes = Array("HTTP/1.1 101 Switching Protocols\r\n\r\n".utf8)
        bytes += frame(8, [0x03, 0xF0] + Array("slow".utf8))
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        XCTAssertEqual(state.snapshot.closeCodes, ["1008": 1])
        XCTAssertEqual(state.snapshot.dropped, 0)
    }
}
