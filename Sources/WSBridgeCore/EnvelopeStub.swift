// TEMPORARY: replaced by the envelope branch.
import NIOCore
public enum DeliveryTarget: Sendable, Equatable { case user(String), users([String]), all }
public struct Envelope: Sendable { public var target: DeliveryTarget; public var payload: ByteBuffer; public var isBinary: Bool
  public init(target: DeliveryTarget, payload: ByteBuffer, isBinary: Bool) { self.target = target; self.payload = payload; self.isBinary = isBinary } }
public struct EnvelopeError: Error, Sendable, Equatable { public var code: Code; public var detail: String
    public enum Code: String, Sendable { case invalidJSON = "invalid_json" } }
public struct EnvelopeParser: Sendable {
    public init(compatUserField: String? = nil) {}
    public func parse(_ message: ByteBuffer) -> Result<Envelope, EnvelopeError> { .failure(EnvelopeError(code: .invalidJSON, detail: "stub")) }
}
