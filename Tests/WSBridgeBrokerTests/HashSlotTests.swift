import NIOCore
import WSBridgeBroker
import XCTest

final class HashSlotTests: XCTestCase {
    /// Every expected slot below was read from a real server: `redis-cli CLUSTER KEYSLOT <key>` on
    /// redis-server 7.0.15 with cluster-enabled (the cluster of docs/scaling.md's measurements).
    private let slotsFromClusterKeyslot: [(key: String, slot: Int)] = [
        ("", 0),
        ("a", 15495),
        ("b", 3300),
        ("foo", 12182),
        ("bar", 5061),
        ("42", 8000),
        ("123456789", 12739),  // CRC-16/XMODEM's check value 0x31C3
        ("websocket:sendMsgTopic", 6119),
        ("wsb:u:42", 5883),
        ("ключ", 10303),  // hashed as its UTF-8 bytes
        // Hash tags: only what is between the first "{" and the first "}" after it, when not empty.
        ("{user1000}.following", 3443),
        ("u:{alice}", 749),
        ("{u:alice}", 5797),
        ("wsb:{u:alice}:m", 5797),
        ("websocket:sendMsgTopic:u:{alice}", 749),
        ("wsb:{all}:m", 3894),
        ("{p:0}", 1029),
        ("{p:1023}", 13795),
        ("{ü}x", 9552),
        ("{ }", 9314),
        ("a{b}", 3300),  // = "b"
        ("foo{bar}{zap}", 5061),  // = "bar": only the first tag counts
        ("{a}{}", 15495),  // = "a"
        ("a}b{c}", 7365),  // a "}" before the "{" does not close it: = "c"
        ("foo{{bar}}zap", 4015),  // = "{bar"
        ("{{}}", 4092),  // = "{"
        // No usable tag: the whole key.
        ("{}", 15257),
        ("{}x", 10595),
        ("foo{}{bar}", 8363),  // the first "{" is closed at once: no tag, even though "{bar}" follows
        ("{}{a}", 13650),
        ("a{}b}", 14284),
        ("{", 4092),
        ("x{", 3596),
        ("{a", 10276),
        ("}", 12090),
        ("}{", 12793),
    ]

    func testSlotsAreThoseRedisComputes() {
        for (key, slot) in self.slotsFromClusterKeyslot {
            XCTAssertEqual(HashSlot(key: key).rawValue, UInt16(slot), "CLUSTER KEYSLOT \(key)")
        }
    }

    func testByteBufferAndBytesGiveTheSameSlotAsText() {
        for (key, slot) in self.slotsFromClusterKeyslot {
            XCTAssertEqual(HashSlot(key: ByteBuffer(string: key)).rawValue, UInt16(slot), key)
            XCTAssertEqual(HashSlot(bytes: Array(key.utf8)).rawValue, UInt16(slot), key)
            XCTAssertEqual(HashSlot(bytes: Array(key.utf8)[...]).rawValue, UInt16(slot), key)
        }
    }

    func testASliceIsHashedByItsOwnIndices() {
        // A slice that does not start at index 0: the tag search must use the slice's indices.
        let bytes = Array("xx{u:alice}".utf8)
        XCTAssertEqual(HashSlot(bytes: bytes[2...]).rawValue, 5797)
    }

    func testSlotNumbersOutsideTheRangeAreRefused() {
        XCTAssertEqual(HashSlot(0)?.rawValue, 0)
        XCTAssertEqual(HashSlot(16383)?.rawValue, 16383)
        XCTAssertNil(HashSlot(16384))
        XCTAssertNil(HashSlot(-1))
        XCTAssertEqual(HashSlot.first.rawValue, 0)
        XCTAssertEqual(HashSlot.last.rawValue, 16383)
        XCTAssertEqual(HashSlot.count, 16384)
    }

    func testSlotsOrderAndPrintAsTheirNumbers() {
        XCTAssertLessThan(HashSlot(5)!, HashSlot(6)!)
        XCTAssertEqual("\(HashSlot(5797)!)", "5797")
    }
}
