import NIOCore
import WSBridgeCore

extension EdgeContext {
    /// The node is shutting down: every client connection the shards hold is ended the way its client
    /// understands (a WebSocket closes with 1001, an event stream gets its `close` event), spread over
    /// `window` (``Shard/drain(over:close:)``). The future succeeds when the last of them has closed:
    /// it is their channels' close futures, so it completes in the same event-loop turn as the last
    /// close, with no polling. Whoever waits bounds the wait (a client that never answers is reset after
    /// `close_timeout`).
    ///
    /// Connections still in their handshake are waited for too, and none of them opens any more: one
    /// whose request has not arrived is closed, one being decided about is answered 503 `server
    /// shutting down` (``HTTPGatewayStateMachine/draining()``).
    public func drainConnections(over window: TimeAmount) -> EventLoopFuture<Void> {
        self.router.collect { shard in
            let closing =
                shard.allSessions.compactMap { ($0 as? any OutboundWriter)?.context?.channel.closeFuture }
                + shard.pendingHandshakes.compactMap(\.closeFuture)
            shard.drain(over: window) { session in
                session.drain()
            }
            return closing
        }.flatMap { perShard in
            let closing = perShard.flatMap { $0 }
            return EventLoopFuture.andAllComplete(closing, on: self.router.eventLoops[0])
        }
    }
}
