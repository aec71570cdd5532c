import Foundation
import Logging
import NIOCore
import NIOEmbedded
import WSBridgeCore
import WSBridgeProtocol
import WSBridgeTestSupport
import XCTest
@testable import WSBridgeAppLink

/// One app attached through an EmbeddedChannel, wired as the app server wires it.
final class AppHarness {
    let channel: EmbeddedChannel
    let link: AppLinkContext
    let router: Router
    /// What the app published; `publishResult` decides how the broker answers.
    var published: [String] = []
    var publishResult: Result<Void, Error> = .success(())
    private var pendingPublishes: [EventLoopPromise<Void>] = []
    var holdPublishes = false

    /// - Parameter first: another app of the same daemon: this one shares its link, its router and its
    ///   event loop (the router has one shard, on that loop).
    init(settings: AppLinkSettings = AppLinkSettings(), sharingWith first: AppHarness? = nil) throws {
        self.channel = EmbeddedChannel(loop: first?.channel.embeddedEventLoop ?? EmbeddedEventLoop())
        let loop = self.channel.embeddedEventLoop
        self.router = first?.router ?? Router(eventLoops: [loop], parser: EnvelopeParser(), logger: Logger(label: "test"))
        let box = PublishBox()
        self.link = first?.link ?? AppLinkContext(
            settings: settings, router: self.router, version: "test", logger: Logger(label: "test"),
            publish: { publication in box.harness!.publish(publication.envelope).map { AppPublication.Outcome(positions: nil) } },
            status: { loop.makeSucceededFuture(ByteBuffer(string: #"{"ok":true}"#)) }
        )
        box.harness = self
        let sync = self.channel.pipeline.syncOperations
        try sync.addHandler(ByteToMessageHandler(AppFrameDecoder(maxFrameBytes: self.link.settings.maxFrameBytes)))
        try sync.addHandler(AppConnection(link: self.link, peer: nil))
        try self.channel.connect(to: SocketAddress(unixDomainSocketPath: "/tmp/test.sock")).wait()
    }

    private func publish(_ envelope: ByteBuffer) -> EventLoopFuture<Void> {
        self.published.append(String(buffer: envelope))
        let promise = self.channel.eventLoop.makePromise(of: Void.self)
        if self.holdPublishes {
            self.pendingPublishes.append(promise)
        } else {
            promise.completeWith(self.publishResult)
        }
        return promise.futureResult
    }

    func releasePublishes() {
        let pending = self.pendingPublishes
        self.pendingPublishes = []
        pending.forEach { $0.completeWith(self.publishResult) }
    }

    /// Sends one frame holding `json`.
    func send(_ json: String) throws {
        try self.sendRaw(Array(json.utf8))
    }

    func sendRaw(_ body: [UInt8]) throws {
        var frame = ByteBuffer()
        frame.writeInteger(UInt32(body.count))
        frame.writeBytes(body)
        try self.channel.writeInbound(frame)
    }

    /// Every event written so far, decoded.
    func events() throws -> [[String: Any]] {
        var all = ByteBuffer()
        while var part = try self.channel.readOutbound(as: ByteBuffer.self) {
            all.writeBuffer(&part)
        }
        var events: [[String: Any]] = []
        while let length = all.readInteger(as: UInt32.self) {
            guard let body = all.readBytes(length: Int(length)) else {
                XCTFail("truncated event frame")
                break
            }
            let object = try JSONSerialization.jsonObject(with: Data(body))
            events.append(try XCTUnwrap(object as? [String: Any]))
        }
        return events
    }

    func hello(paths: [String] = ["/ws"]) throws {
        let list = paths.map { "\"\($0)\"" }.joined(separator: ",")
        try self.send(#"{"type":"hello","protocol":1,"name":"test-app","paths":[\#(list)],"id":0}"#)
        XCTAssertEqual(try self.events().first?["type"] as? String, "welcome")
    }
}

extension XCTestCase {
    /// An ``AppHarness`` whose channel must finish clean when the test ends: every event written read by
    /// the test (`finishesClean`).
    func appHarness(
        settings: AppLinkSettings = AppLinkSettings(), sharingWith first: AppHarness? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> AppHarness {
        let harness = try AppHarness(settings: settings, sharingWith: first)
        self.finishesClean(harness.channel, file: file, line: line)
        return harness
    }
}

private final class PublishBox: @unchecked Sendable {
    // Set once before any publish; touched only on the EmbeddedEventLoop (the test's thread).
    var harness: AppHarness?
}

extension Array where Element == [String: Any] {
    var types: [String] { self.map { $0["type"] as? String ?? "?" } }
    var codes: [String] { self.map { $0["code"] as? String ?? "-" } }
}
