import NIOCore

/// The answer of a probe (`/healthz`, `/readyz`): pass or fail, with one line for a human.
public struct ProbeResult: Sendable, Equatable {
    /// Whether the probe passes (HTTP 200) or fails (HTTP 503).
    public var passed: Bool
    /// One line of text for the response body, such as `ok` or `broker link down`.
    public var detail: String

    public static func pass(_ detail: String) -> ProbeResult { ProbeResult(passed: true, detail: detail) }
    public static func fail(_ detail: String) -> ProbeResult { ProbeResult(passed: false, detail: detail) }
}

/// What the admin listener asks the daemon. Every closure is called on an admin connection's event
/// loop and must not block.
public struct AdminEndpoints: Sendable {
    /// `/healthz`: is the process able to do its job (the broker link is up)?
    public var health: @Sendable () -> ProbeResult
    /// `/readyz`: should a load balancer send it new clients (listening, not draining)?
    public var readiness: @Sendable () -> ProbeResult
    /// `/metrics`: the Prometheus text exposition, rendered when the scrape arrives.
    public var metrics: @Sendable () -> EventLoopFuture<ByteBuffer>

    public init(
        health: @escaping @Sendable () -> ProbeResult,
        readiness: @escaping @Sendable () -> ProbeResult,
        metrics: @escaping @Sendable () -> EventLoopFuture<ByteBuffer>
    ) {
        self.health = health
        self.readiness = readiness
        self.metrics = metrics
    }
}
