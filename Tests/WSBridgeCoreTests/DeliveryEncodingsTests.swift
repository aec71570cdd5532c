import NIOCore
import NIOPosix
import XCTest

@testable import WSBridgeCore

final class DeliveryEncodingsTests: XCTestCase {
    func testThePrimaryEncodingIsMadeOnceAndSharedByTheCopies() {
        let delivery = makeDelivery("hello", to: .all)
        let copy = delivery.restricted(to: .all, at: StreamPosition(epoch: "e", offset: 1))
        var made = 0
        let first = delivery.encodings.primary {
            made += 1
            return ByteBuffer(string: "frame")
        }
        let second = copy.encodings.primary {
            made += 1
            return ByteBuffer(string: "other")
        }
        XCTAssertEqual(made, 1)
        XCTAssertEqual(first, ByteBuffer(string: "frame"))
        XCTAssertEqual(second, first, "a copy of the delivery shares its encodings")
    }

    func testOtherFormsAreMadeOnceEachApartFromThePrimary() {
        let encodings = makeDelivery("hello", to: .all).encodings
        var made: [String] = []
        for _ in 0..<2 {
            _ = encodings.primary { made.append("primary"); return ByteBuffer(string: "p") }
            _ = encodings.encoded(EncodedForm(rawValue: 1)) { made.append("one"); return ByteBuffer(string: "1") }
            _ = encodings.encoded(EncodedForm(rawValue: 2)) { made.append("two"); return ByteBuffer(string: "2") }
        }
        XCTAssertEqual(made, ["primary", "one", "two"])
    }

    func testEventLoopsRacingForThePrimaryAllGetTheOneKept() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 4)
        defer { try? group.syncShutdownGracefully() }
        for round in 0..<50 {
            let encodings = makeDelivery("m\(round)", to: .all).encodings
            let futures = (0..<8).map { index in
                group.next().submit { encodings.primary { ByteBuffer(string: "made by \(index)") } }
            }
            let results = try EventLoopFuture.whenAllSucceed(futures, on: group.next()).wait()
            XCTAssertEqual(Set(results).count, 1, "round \(round): \(Set(results.map { String(buffer: $0) }))")
        }
    }
}
