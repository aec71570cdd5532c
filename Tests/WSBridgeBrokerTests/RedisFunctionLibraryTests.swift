import Foundation
import Logging
import NIOCore
import NIOPosix
@testable import WSBridgeBroker
import WSBridgeTestSupport
import XCTest

/// The `wsbridge` function library in a real redis-server: positions, history, the channel message,
/// and a clear error for each kind of bad envelope.
final class RedisFunctionLibraryTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var brokers: [RedisBroker] = []
    private let channelName = "websocket:sendMsgTopic"

    override func setUp() {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    override func tearDown() {
        for broker in self.brokers {
            XCTAssertNoThrow(try broker.shutdown().wait())
        }
        self.brokers = []
        XCTAssertNoThrow(try self.group.syncShutdownGracefully())
    }

    private func library(size: Int = 3, compat: String? = nil) -> RedisFunctionLibrary {
        RedisFunctionLibrary(
            channel: self.channelName, historySize: size, historyTTLMilliseconds: 60_000, metaTTLMilliseconds: 600_000,
            compatUserField: compat)
    }

    private func started(_ redis: RedisServer, library: RedisFunctionLibrary) throws -> (RedisBroker, MessageCollector) {
        let broker = RedisBroker(
            target: try RedisConnectionTarget(url: redis.url), channel: self.channelName, library: library,
            eventLoopGroup: self.group, reconnectMax: .milliseconds(50),
            logger: Logger(label: "wsb.test", factory: { _ in SwiftLogNoOpLogHandler() }))
        self.brokers.append(broker)
        let collector = MessageCollector()
        broker.start(handler: collector.handler)
        eventually("linked and durable") { broker.isLinked && broker.isDurable }
        return (broker, collector)
    }

    private func publish(_ broker: RedisBroker, _ envelope: String) throws -> String? {
        try broker.publish(ByteBuffer(string: envelope)).wait().positions
    }

    private func rejection(_ broker: RedisBroker, _ envelope: String) -> String? {
        do {
            _ = try broker.publish(ByteBuffer(string: envelope)).wait()
            return nil
        } catch {
            return (error as? RedisBrokerError)?.detail
        }
    }

    func testADurablePublishGetsAPositionPerStreamAndTravelsWithIt() throws {
        let redis = try RedisServer.started()
        let (broker, received) = try self.started(redis, library: self.library())
        let first = try XCTUnwrap(try self.publish(broker, #"{"user":"A","data":"one"}"#))
        let epoch = String(first.split(separator: "-")[0])
        XCTAssertEqual(first, "\(epoch)-1")
        XCTAssertEqual(try self.publish(broker, #"{"user":"A","data":"two"}"#), "\(epoch)-2")
        let both = try XCTUnwrap(try self.publish(broker, #"{"users":["B","A",7,"B","7"],"data":{"n":1}}"#))
        let parts = both.split(separator: ",").map(String.init)
        XCTAssertEqual(parts.count, 3, "one per distinct user: B, A, 7")
        XCTAssertEqual(parts[1], "\(epoch)-3")
        eventually("three messages") { received.strings.count == 3 }
        XCTAssertEqual(received.strings[0], #"{"wsb":"\#(epoch)-1","user":"A","data":"one"}"#)
        XCTAssertEqual(received.strings[2], #"{"wsb":"\#(both)","users":["B","A",7,"B","7"],"data":{"n":1}}"#)
    }

    func testTheHistoryKeepsTheLastMessagesOfEachStream() throws {
        let redis = try RedisServer.started()
        let (broker, _) = try self.started(redis, library: self.library(size: 3))
        var positions: [String] = []
        for index in 1...5 {
            positions.append(try XCTUnwrap(try self.publish(broker, #"{"user":"A","data":"\#(index)"}"#)))
        }
        let epoch = String(positions[0].split(separator: "-")[0])
        let slices = try broker.history([
            HistoryQuery(stream: "u:A", since: "\(epoch)-3"), HistoryQuery(stream: "u:A", since: "\(epoch)-1"),
            HistoryQuery(stream: "u:A", since: nil), HistoryQuery(stream: "u:nobody", since: "x-9"),
            HistoryQuery(stream: "u:A", since: "other-2"), HistoryQuery(stream: "u:A", since: "\(epoch)-5"),
        ]).wait()
        XCTAssertEqual(slices[5], HistorySlice(epoch: epoch, top: 5, first: 6, entries: []), "nothing after the top")
        XCTAssertEqual(slices[0].first, 4)
        XCTAssertEqual(slices[0].entries.map { String(buffer: $0) }, [#"{"user":"A","data":"4"}"#, #"{"user":"A","data":"5"}"#])
        XCTAssertEqual(slices[1].first, 3, "offset 2 is no longer kept")
        XCTAssertEqual(slices[1].entries.count, 3)
        XCTAssertEqual(slices[2], HistorySlice(epoch: epoch, top: 5, first: 6, entries: []))
        XCTAssertEqual(slices[3].top, 0, "a stream nobody published to gets an epoch and offset 0")
        XCTAssertNotEqual(slices[3].epoch, "x")
        XCTAssertEqual(slices[4].first, 3, "another epoch: everything retained")
    }

    func testBadEnvelopesAreRefusedWithTheirCode() throws {
        let redis = try RedisServer.started()
        let (broker, received) = try self.started(redis, library: self.library())
        let cases: [(String, String)] = [
            ("not json", "invalid_json"),
            ("[1,2]", "not_an_object"),
            (#"{"user":"A","all":true,"data":1}"#, "conflicting_targets"),
            (#"{"user":"","data":1}"#, "bad_target"),
            (#"{"user":1.5,"data":1}"#, "bad_target"),
            (#"{"users":[],"data":1}"#, "bad_target"),
            (#"{"all":false,"data":1}"#, "bad_target"),
            (#"{"data":1}"#, "no_target"),
            (#"{"user":"A"}"#, "missing_data"),
            (#"{"user":"A","binary":1,"data":"AA"}"#, "bad_data"),
            (#"{"user":"A","binary":true,"data":"not base64!"}"#, "bad_data"),
            (#"{"wsb":"x-1","user":"A","data":1}"#, "bad_field"),
        ]
        for (envelope, code) in cases {
            let detail = self.rejection(broker, envelope)
            XCTAssertTrue(detail?.hasPrefix("WSBRIDGE \(code): ") ?? false, "\(envelope): \(String(describing: detail))")
        }
        XCTAssertEqual(redis.run(["KEYS", "wsb:*"]).trimmingCharacters(in: .whitespacesAndNewlines), "", "nothing was stored for a refused envelope")
        XCTAssertEqual(received.messages.count, 0, "nor published")
    }

    func testTheClusterFormTakesTheKeyOfTheEnvelopesOneStreamAndChecksItBeforeWriting() throws {
        let redis = try RedisServer.started()
        let (broker, received) = try self.started(redis, library: self.library())
        func fcall(_ arguments: [String]) throws -> RESPValue {
            try broker.send(RedisCommand(arguments: arguments.map { ByteBuffer(string: $0) })).wait()
        }
        let alice = try fcall(["FCALL", "wsbridge_publish", "1", "wsb:{u:alice}:m", #"{"user":"alice","data":"one"}"#])
        XCTAssertEqual(alice.text?.hasSuffix("-1"), true, "\(alice)")
        let all = try fcall(["FCALL", "wsbridge_publish", "1", "wsb:{all}:m", #"{"all":true,"data":"two"}"#])
        XCTAssertEqual(all.text?.hasSuffix("-1"), true, "\(all)")
        for (key, envelope) in [
            ("wsb:{u:alice}:m", #"{"user":"bob","data":"x"}"#), ("wsb:{u:alice}:m", #"{"users":["alice","bob"],"data":"x"}"#),
            ("wsb:{all}:m", #"{"user":"alice","data":"x"}"#), ("wsb:{u:alice}:h", #"{"user":"alice","data":"x"}"#),
        ] {
            guard case .error(let message) = try fcall(["FCALL", "wsbridge_publish", "1", key, envelope]) else {
                return XCTFail("\(key) \(envelope) was accepted")
            }
            XCTAssertTrue(message.hasPrefix("WSBRIDGE wrong_key: "), message)
        }
        guard case .error(let usage) = try fcall(["FCALL", "wsbridge_publish", "2", "a", "b", #"{"user":"alice","data":"x"}"#])
        else { return XCTFail("two keys were accepted") }
        XCTAssertTrue(usage.hasPrefix("WSBRIDGE usage: "), usage)
        XCTAssertEqual(redis.run(["LLEN", "wsb:{u:bob}:h"]).trimmingCharacters(in: .whitespacesAndNewlines), "0", "nothing written for bob")
        XCTAssertEqual(redis.run(["LLEN", "wsb:{u:alice}:h"]).trimmingCharacters(in: .whitespacesAndNewlines), "1", "nor more for alice")
        eventually("two messages") { received.strings.count == 2 }
        let history = try fcall(["FCALL", "wsbridge_history", "1", "wsb:{u:alice}:m", "u:alice", ""])
        XCTAssertEqual(try HistorySlice.parse(history, queries: [HistoryQuery(stream: "u:alice", since: nil)]).first?.top, 1)
        guard case .error(let wrong) = try fcall(["FCALL", "wsbridge_history", "1", "wsb:{u:alice}:m", "u:bob", ""]) else {
            return XCTFail("a history read of another stream was accepted")
        }
        XCTAssertTrue(wrong.hasPrefix("WSBRIDGE wrong_key: "), wrong)
    }

    func testASeedStyleMessageIsDurableWithTheCompatibilityField() throws {
        let redis = try RedisServer.started()
        let (broker, received) = try self.started(redis, library: self.library(compat: "userId"))
        let position = try XCTUnwrap(try self.publish(broker, #"{"userId":42,"msg":"hi"}"#))
        eventually("delivered") { received.strings.count == 1 }
        XCTAssertEqual(received.strings[0], #"{"wsb":"\#(position)","userId":42,"msg":"hi"}"#)
        let slice = try broker.history([HistoryQuery(stream: "u:42", since: nil)]).wait()[0]
        XCTAssertEqual(slice.top, 1)
    }

    func testTheLibraryIsLoadedOnceAndOtherSettingsReplaceIt() throws {
        let redis = try RedisServer.started()
        let (first, _) = try self.started(redis, library: self.library(size: 3))
        XCTAssertTrue(redis.run(["FCALL_RO", "wsbridge_version", "0"]).hasPrefix("\(RedisFunctionLibrary.version).\(RedisFunctionLibrary.revision) size=3 "))
        _ = try self.started(redis, library: self.library(size: 7))
        XCTAssertTrue(redis.run(["FCALL_RO", "wsbridge_version", "0"]).hasPrefix("\(RedisFunctionLibrary.version).\(RedisFunctionLibrary.revision) size=7 "), "the later daemon's settings win")
        XCTAssertNotNil(try self.publish(first, #"{"all":true,"data":1}"#), "and the first still publishes durably")
    }
}
