import Atomics

/// Identifies one WebSocket connection on this node, for the lifetime of the process.
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "c\(self.rawValue)" }

    /// Parses the text form (`c42`).
    public init?(_ text: Substring) {
        guard text.first == "c", let value = UInt64(text.dropFirst()) else { return nil }
        self.rawValue = value
    }
}

/// Hands out connection ids. Thread safe.
public final class ConnectionIDGenerator: Sendable {
    private let next = ManagedAtomic<UInt64>(1)
    public init() {}
    public func make() -> ConnectionID {
        ConnectionID(rawValue: self.next.loadThenWrappingIncrement(ordering: .relaxed))
    }
}
