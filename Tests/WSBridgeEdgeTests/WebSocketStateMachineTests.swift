import NIOCore
import NIOWebSocket
import WSBridgeCore
import WSBridgeDeflate
@testable import WSBridgeEdge
import XCTest

/// The connection's life without a channel: frames in, actions out, time passed in.
final class WebSocketStateMachineTests: XCTestCase {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func machine(messagesPerSecond: Int? = nil) -> WebSocketStateMachine {
        WebSocketStateMachine(
            assembler: MessageAssembler(maxMessageBytes: 1024, maxFragments: 4), now: self.start, messagesPerSecond: messagesPerSecond)
    }

    /// A client frame, masked as clients must (unless `masked` is false).
    private func frame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, masked: Bool = true) -> WebSocketFrame {
        let key: WebSocketMaskingKey = [1, 2, 3, 4]
        var data = ByteBuffer(bytes: payload)
        if masked {
            data.webSocketMask(key)
        }
        return WebSocketFrame(fin: fin, opcode: opcode, maskKey: masked ? key : nil, data: data)
    }

    private func text(_ text: String) -> WebSocketFrame { self.frame(.text, Array(text.utf8)) }

    private func close(_ code: UInt16?, _ reason: String = "") -> WebSocketFrame {
        guard let code else { return self.frame(.connectionClose, []) }
        return self.frame(.connectionClose, [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8))
    }

    private func receive(_ machine: inout WebSocketStateMachine, _ frame: WebSocketFrame, at seconds: Int64 = 0, rate: Int? = nil)
        -> WebSocketStateMachine.Action
    {
        machine.receive(frame, now: self.start + .seconds(seconds), messagesPerSecond: rate) { MessageInflater() }
    }

    func testMessagesArriveAndPingsAreAnswered() {
        var machine = self.machine()
        XCTAssertEqual(self.receive(&machine, self.text("hi")), .deliver(ByteBuffer(string: "hi"), isBinary: false))
        XCTAssertEqual(self.receive(&machine, self.frame(.ping, [7])), .sendPong(ByteBuffer(bytes: [7])))
        XCTAssertEqual(self.receive(&machine, self.frame(.pong, [])), .none)
        XCTAssertEqual(self.receive(&machine, self.frame(.binary, [1, 2], fin: false)), .none)
        XCTAssertEqual(self.receive(&machine, self.frame(.continuation, [3])), .deliver(ByteBuffer(bytes: [1, 2, 3]), isBinary: true))
        XCTAssertTrue(machine.isOpen && machine.readsFrames)
    }

    func testTheClientsCloseIsEchoedAndNothingAfterItIsRead() {
        var machine = self.machine()
        XCTAssertEqual(self.receive(&machine, self.close(1000, "bye")), .echoClose(.normal))
        XCTAssertEqual(machine.state, .closing)
        XCTAssertFalse(machine.readsFrames, "a client sends nothing after its close frame")
        XCTAssertEqual(self.receive(&machine, self.text("late")), .none)
        XCTAssertEqual(machine.closed(), .init(code: .normal, reason: "bye", label: "1000"))
        XCTAssertNil(machine.closed(), "the end is reported once")
    }

    func testACloseFrameWithoutACodeEndsAs1005AndADroppedSocketAs1006() {
        var withoutCode = self.machine()
        XCTAssertEqual(self.receive(&withoutCode, self.close(nil)), .echoClose(nil))
        XCTAssertEqual(withoutCode.closed()?.label, "1005")

        var dropped = self.machine()
        XCTAssertEqual(dropped.closed(), .init(code: nil, reason: "", label: "1006"))
    }

    func testOurCloseWaitsForTheClientsAnswerThenClosesTheChannel() {
        var machine = self.machine()
        XCTAssertEqual(machine.close(.goingAway, reason: "server shutting down"),
                       .sendClose(.goingAway, reason: "server shutting down", limit: nil, shutOutput: false))
        XCTAssertEqual(machine.close(.normal, reason: "again"), .none, "one close handshake")
        XCTAssertEqual(self.receive(&machine, self.text("in flight")), .none, "no message is delivered while closing")
        XCTAssertEqual(self.receive(&machine, self.close(1001)), .closeChannel)
        XCTAssertEqual(machine.closed(), .init(code: .goingAway, reason: "server shutting down", label: "1001"))
    }

    func testABrokenFrameFailsTheConnectionAndStopsReading() {
        var machine = self.machine()
        XCTAssertEqual(self.receive(&machine, self.frame(.text, Array("x".utf8), masked: false)),
                       .sendClose(.protocolError, reason: "client frames must be masked", limit: nil, shutOutput: true))
        XCTAssertFalse(machine.readsFrames)
        XCTAssertEqual(self.receive(&machine, self.close(1000)), .none, "not even a close frame is read after a failure")
        XCTAssertEqual(machine.closed()?.label, "1002")
    }

    func testAFailureWhileClosingOnlyStopsReading() {
        var machine = self.machine()
        _ = machine.close(.normal, reason: "")
        XCTAssertEqual(machine.invalidText(), .none)
        XCTAssertFalse(machine.readsFrames)
    }

    func testFramesThatCannotBeCutOrTextThatIsNotUTF8FailWithTheirCodes() {
        var tooLarge = self.machine()
        XCTAssertEqual(tooLarge.unreadable(.frameTooLarge, maxMessageBytes: 1024),
                       .sendClose(.messageTooBig, reason: "frame exceeds 1024 bytes", limit: .messageTooBig, shutOutput: true))
        var broken = self.machine()
        XCTAssertEqual(broken.unreadable(.protocolError("bad length"), maxMessageBytes: 1024),
                       .sendClose(.protocolError, reason: "bad length", limit: nil, shutOutput: true))
        var text = self.machine()
        XCTAssertEqual(text.invalidText(), .sendClose(.invalidPayload, reason: "text message is not valid UTF-8", limit: nil, shutOutput: true))
    }

    func testAMessageInMoreFragmentsThanTheLimitIsClosedWith1008() {
        var machine = self.machine()
        XCTAssertEqual(self.receive(&machine, self.frame(.binary, [1], fin: false)), .none)
        for _ in 0..<3 {
            XCTAssertEqual(self.receive(&machine, self.frame(.continuation, [1], fin: false)), .none)
        }
        XCTAssertEqual(self.receive(&machine, self.frame(.continuation, [1], fin: false)),
                       .sendClose(.policyViolation, reason: "message in more than 4 frames", limit: .messageFragments, shutOutput: true))
    }

    func testAClientOverItsMessageRateIsClosedWith1008() {
        var machine = self.machine(messagesPerSecond: 2)
        XCTAssertEqual(self.receive(&machine, self.text("1"), rate: 2), .deliver(ByteBuffer(string: "1"), isBinary: false))
        XCTAssertEqual(self.receive(&machine, self.text("2"), rate: 2), .deliver(ByteBuffer(string: "2"), isBinary: false))
        XCTAssertEqual(self.receive(&machine, self.text("3"), rate: 2),
                       .sendClose(.policyViolation, reason: "more than 2 messages per second", limit: .clientMessageRate, shutOutput: false))
        var later = self.machine(messagesPerSecond: 2)
        for second in 0..<5 {
            XCTAssertEqual(self.receive(&later, self.text("m"), at: Int64(second), rate: 2), .deliver(ByteBuffer(string: "m"), isBinary: false))
        }
    }

    func testASilentClientIsPingedEveryIntervalThenClosedWhenIdle() {
        var machine = self.machine()
        let ping = TimeAmount.seconds(10)
        let idle = TimeAmount.seconds(30)
        XCTAssertEqual(machine.heartbeat(now: self.start + .seconds(9), pingInterval: ping, idleTimeout: idle), .none)
        XCTAssertEqual(machine.heartbeat(now: self.start + .seconds(10), pingInterval: ping, idleTimeout: idle), .sendPing)
        XCTAssertEqual(machine.heartbeat(now: self.start + .seconds(15), pingInterval: ping, idleTimeout: idle), .none, "one ping per interval")
        XCTAssertEqual(machine.heartbeat(now: self.start + .seconds(20), pingInterval: ping, idleTimeout: idle), .sendPing)
        XCTAssertEqual(machine.heartbeat(now: self.start + .seconds(30), pingInterval: ping, idleTimeout: idle),
                       .close(.sendClose(.goingAway, reason: "idle timeout", limit: .idleTimeout, shutOutput: false)))
        XCTAssertEqual(machine.heartbeat(now: self.start + .seconds(40), pingInterval: ping, idleTimeout: idle), .none, "closing already")
    }

    func testAClientThatIsHeardFromIsNeitherPingedNorClosed() {
        var machine = self.machine()
        for second in stride(from: 8, through: 80, by: 8) {
            machine.heard(at: self.start + .seconds(Int64(second)))
            XCTAssertEqual(machine.heartbeat(now: self.start + .seconds(Int64(second) + 1), pingInterval: .seconds(10), idleTimeout: .seconds(30)), .none)
        }
        XCTAssertEqual(machine.heartbeat(now: self.start + .seconds(90), pingInterval: nil, idleTimeout: nil), .none, "both off")
    }
}
