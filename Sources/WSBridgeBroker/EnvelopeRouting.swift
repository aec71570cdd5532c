import NIOCore
import WSBridgeJSON

/// Where a durable publish goes on a Redis Cluster: the streams of an envelope, as the function library
/// reads them (`user`, `users`, `all`, or the seed-compatibility field), each with the envelope to
/// publish for it. A `users` envelope is cut into one envelope per user, `{"user":<id>,<its other
/// members>}`, because the streams of several users are in several slots and a function call may only
/// touch one (see docs/scaling.md).
///
/// Nothing here validates more than routing needs: an envelope it cannot route (not JSON, no target,
/// two targets, a bad id) is sent whole to any master, whose function library answers with its usual
/// error (`WSBRIDGE no_target: …`) before it writes anything.
public enum EnvelopeRouting {
    /// One call of the cluster form: `FCALL wsbridge_publish 1 <key> <envelope>`.
    public struct Piece: Sendable, Equatable {
        /// `u:<user>` or `all`.
        public var stream: String
        public var envelope: ByteBuffer

        /// The key the call names: the stream's meta key.
        public var key: String { RedisFunctionLibrary.streamKey(self.stream) }

        public init(stream: String, envelope: ByteBuffer) {
            self.stream = stream
            self.envelope = envelope
        }
    }

    /// The pieces of `envelope`, in the order of its users (deduplicated, as the library does); nil when
    /// it cannot be routed (the library will say why).
    public static func pieces(of envelope: ByteBuffer, compatUserField: String?) -> [Piece]? {
        envelope.withUnsafeReadableBytes { bytes -> [Piece]? in
            guard let members = try? JSONScanner.scanObject(bytes) else { return nil }
            let targets = members.filter { $0.key == "user" || $0.key == "users" || $0.key == "all" }
            guard targets.count <= 1 else { return nil }
            guard let target = targets.first else {
                guard let field = compatUserField, let member = members.first(where: { $0.key == field }),
                    let id = Self.userID(bytes, member.value, member.kind)
                else { return nil }
                return [Piece(stream: "u:" + id, envelope: envelope)]
            }
            switch target.key {
            case "user":
                guard let id = Self.userID(bytes, target.value, target.kind) else { return nil }
                return [Piece(stream: "u:" + id, envelope: envelope)]
            case "all":
                guard target.kind == .true else { return nil }
                return [Piece(stream: "all", envelope: envelope)]
            default:
                guard target.kind == .array, let elements = try? JSONScanner.scanArray(bytes, target.value), !elements.isEmpty
                else { return nil }
                var seen = Set<String>()
                var pieces: [Piece] = []
                for element in elements {
                    guard let id = Self.userID(bytes, element.value, element.kind) else { return nil }
                    guard seen.insert(id).inserted else { continue }
                    pieces.append(
                        Piece(stream: "u:" + id, envelope: Self.envelope(bytes, user: element.value, others: members, except: target)))
                }
                return pieces
            }
        }
    }

    /// A user id as the library reads it: a non-empty string of at most 256 bytes, or an integer as its
    /// decimal text.
    private static func userID(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ kind: JSONValueKind) -> String? {
        switch kind {
        case .string:
            guard let id = try? JSONScanner.decodeString(bytes, range), !id.isEmpty, id.utf8.count <= 256 else { return nil }
            return id
        case .number:
            return try? JSONScanner.integerText(bytes, range)
        default:
            return nil
        }
    }

    /// `{"user":<the id's raw text>,<every other member as written>}`.
    private static func envelope(
        _ bytes: UnsafeRawBufferPointer, user: Range<Int>, others members: [JSONMember], except target: JSONMember
    ) -> ByteBuffer {
        var envelope = ByteBuffer()
        envelope.reserveCapacity(bytes.count)
        envelope.writeStaticString("{\"user\":")
        envelope.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[user]))
        for member in members where member.value != target.value {
            envelope.writeInteger(UInt8(ascii: ","))
            _ = JSONText.writeQuoted(member.key, into: &envelope)
            envelope.writeInteger(UInt8(ascii: ":"))
            envelope.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[member.value]))
        }
        envelope.writeInteger(UInt8(ascii: "}"))
        return envelope
    }
}
