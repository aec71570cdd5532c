import NIOCore
import NIOEmbedded
import WSBridgeBroker
import XCTest

final class RESPCommandEncoderTests: XCTestCase {
    private func encode(_ command: RedisCommand) throws -> [UInt8] {
        var out = ByteBuffer()
        try RESPCommandEncoder().encode(data: command, out: &out)
        return Array(out.readableBytesView)
    }

    func testASimpleCommandIsAnArrayOfBulkStrings() throws {
        XCTAssertEqual(try self.encode(RedisCommand("PING")), Array("*1\r\n$4\r\nPING\r\n".utf8))
        XCTAssertEqual(
            try self.encode(RedisCommand("AUTH", "user", "p@ss word")),
            Array("*3\r\n$4\r\nAUTH\r\n$4\r\nuser\r\n$9\r\np@ss word\r\n".utf8)
        )
    }

    func testBinaryArgumentsAreSentWithTheirExactLength() throws {
        let payload: [UInt8] = [0, 13, 10, 36, 255, 42, 13, 10]
        let command = RedisCommand(arguments: [
            ByteBuffer(string: "PUBLISH"), ByteBuffer(string: "ch"), ByteBuffer(bytes: payload),
        ])
        let expected = Array("*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$8\r\n".utf8) + payload + Array("\r\n".utf8)
        XCTAssertEqual(try self.encode(command), expected)
    }

    func testEmptyArgumentsAndSlicedBuffersEncode() throws {
        var sliced = ByteBuffer(string: "xxPUBLISHyy")
        sliced.moveReaderIndex(forwardBy: 2)
        sliced.moveWriterIndex(to: 9)
        let command = RedisCommand(arguments: [sliced, ByteBuffer(string: "c"), ByteBuffer()])
        XCTAssertEqual(try self.encode(command), Array("*3\r\n$7\r\nPUBLISH\r\n$1\r\nc\r\n$0\r\n\r\n".utf8))
    }

    func testACommandWithThousandsOfArgumentsEncodesEachInPlace() throws {
        let arguments = (0..<5000).map { ByteBuffer(string: "a\($0)") }
        let encoded = try self.encode(RedisCommand(arguments: arguments))
        var expected = Array("*5000\r\n".utf8)
        for index in 0..<5000 {
            let text = "a\(index)"
            expected += Array("$\(text.utf8.count)\r\n\(text)\r\n".utf8)
        }
        XCTAssertEqual(encoded, expected)
    }

    func testACommandWithoutArgumentsIsRefused() {
        XCTAssertThrowsError(try self.encode(RedisCommand(arguments: [])))
    }

    func testTheEncoderWritesThroughAPipeline() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(RESPCommandEncoder()))
        XCTAssertNoThrow(try channel.writeOutbound(RedisCommand("SUBSCRIBE", "websocket:sendMsgTopic")))
        let written = try channel.readOutbound(as: ByteBuffer.self)
        XCTAssertEqual(written.map { String(buffer: $0) }, "*2\r\n$9\r\nSUBSCRIBE\r\n$22\r\nwebsocket:sendMsgTopic\r\n")
        XCTAssertTrue(try channel.finish().isClean)
    }
}
