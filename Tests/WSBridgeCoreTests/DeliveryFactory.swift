import NIOCore
import WSBridgeCore

/// Deliveries for state-machine tests: a text payload, a target, positions.
enum DeliveryFactory {
    static func make(_ text: String, to target: DeliveryTarget, at positions: [StreamPosition] = [], source: DeliverySource = .redis) -> Delivery {
        let envelope = Envelope(target: target, payload: ByteBuffer(string: text), isBinary: false, positions: positions)
        return Delivery(envelope: envelope, source: source, arrivedAt: .now())
    }

    static func user(_ user: String, _ text: String, _ epoch: String, _ offset: UInt64) -> Delivery {
        self.make(text, to: .user(user), at: [StreamPosition(epoch: epoch, offset: offset)])
    }

    static func all(_ text: String, _ epoch: String, _ offset: UInt64) -> Delivery {
        self.make(text, to: .all, at: [StreamPosition(epoch: epoch, offset: offset)])
    }
}

func pos(_ epoch: String, _ offset: UInt64) -> StreamPosition {
    StreamPosition(epoch: epoch, offset: offset)
}

extension Delivery {
    var text: String { String(buffer: self.payload) }
}
