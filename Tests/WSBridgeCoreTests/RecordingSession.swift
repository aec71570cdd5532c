import NIOCore
import WSBridgeCore

/// A session that records what it is given.
final class RecordingSession: Session {
    var received: [String] = []
    var flushes = 0
    var writesSinceFlush = 0
    var writesPerFlush: [Int] = []

    override func deliver(_ delivery: Delivery) {
        self.received.append(String(buffer: delivery.payload))
        self.writesSinceFlush += 1
    }

    override func flush() {
        self.flushes += 1
        self.writesPerFlush.append(self.writesSinceFlush)
        self.writesSinceFlush = 0
    }
}

/// A delivery that arrived `arrivedAt` (now by default; an embedded loop's `now` in tests that advance it).
func makeDelivery(
    _ text: String, to target: DeliveryTarget, source: DeliverySource = .redis, arrivedAt: NIODeadline = .now()
) -> Delivery {
    Delivery(
        envelope: Envelope(target: target, payload: ByteBuffer(string: text), isBinary: false),
        source: source, arrivedAt: arrivedAt
    )
}
