import NIOCore
import WSBridgeProtocol

// One method per request of protocol 1 (`docs/protocol.md`, "Requests"). Each returns when wsbridge
// answers; an `error` reply throws `WSBridgeClientError.rejected(code:message:)` with its code.

extension WSBridgeAppClient {
    /// Answers `connect`: the connection `conn` belongs to `user`. Throws `not_pending` if it is not
    /// awaiting this app's decision (already answered, timed out, gone).
    public func accept(conn: String, user: String) async throws(WSBridgeClientError) {
        _ = try await request(expecting: "ok") { .accept(id: $0, conn: conn, user: user) }
    }

    /// Answers `connect` with a refusal: the client gets HTTP `status` (400–599) with `reason` as a
    /// `text/plain` body.
    public func reject(conn: String, status: Int = 403, reason: String = "") async throws(WSBridgeClientError) {
        _ = try await request(expecting: "ok") { .reject(id: $0, conn: conn, status: status, reason: reason) }
    }

    /// From now on, every message for `user` also reaches this app as a `deliver` event tagged
    /// `session`; with `since` (the `pos` of the last `deliver` of an earlier session), what it missed
    /// comes first. Returns the session's position once that is done (nil when the broker keeps no
    /// history). Throws `duplicate_session` if this app already registered `session`.
    @discardableResult
    public func register(session: String, user: String, since: String? = nil) async throws(WSBridgeClientError) -> String? {
        let reply = try await request(expecting: "ok") { .register(id: $0, session: session, user: user, since: since) }
        guard case .ok(_, let pos, _, _) = reply else { return nil }
        return pos
    }

    /// Stops the deliveries of `session`. Throws `unknown_session` if this app has not registered it.
    public func unregister(session: String) async throws(WSBridgeClientError) {
        _ = try await request(expecting: "ok") { .unregister(id: $0, session: session) }
    }

    /// Sends `data` to every session of `target` on every host; returns once the broker took the
    /// message (not once it was delivered), with the positions it got when published durably
    /// (`EPOCH-OFFSET` per stream). Throws `publish_failed` if the broker is down or refuses.
    ///
    /// `.text` goes out as a JSON string (clients get a text message), `.json` as the raw JSON text it
    /// holds (clients get that text), `.binary` as base64 (clients get a binary message). A `.json`
    /// payload that is not exactly one JSON value is not sent:
    /// ``WSBridgeClientError/invalidRequest(code:message:)``.
    @discardableResult
    public func publish(_ target: AppTarget, _ data: AppData) async throws(WSBridgeClientError) -> String? {
        let reply = try await request(expecting: "ok") { .publish(id: $0, target: target, data: data) }
        guard case .ok(_, _, let positions, _) = reply else { return nil }
        return positions
    }

    /// Publishes like ``publish(_:_:)``, and returns once the hosts holding the target's users reported
    /// what the message reached, or the daemon's `receipt_window` ended: the sessions and hosts reached,
    /// the hosts that did not answer in time, and the addressed users no host held.
    public func publishWithReceipt(
        _ target: AppTarget, _ data: AppData
    ) async throws(WSBridgeClientError) -> (positions: String?, receipt: AppReceipt) {
        let reply = try await request(expecting: "ok") { .publish(id: $0, target: target, data: data, receipt: true) }
        guard case .ok(_, _, let positions, let receipt?) = reply else {
            throw .protocolViolation("an \"ok\" without \"receipt\" for a publish that asked for one")
        }
        return (positions, receipt)
    }

    /// Who holds each user: per user, in the order asked, its sessions and the hosts they are on,
    /// across every host (one round trip to Redis for the batch).
    public func presence(_ users: [String]) async throws(WSBridgeClientError) -> [AppPresence] {
        let reply = try await request(expecting: "presence") { .presence(id: $0, users: users) }
        guard case .presence(_, let answer) = reply else {
            throw .protocolViolation("a \"\(reply.type)\" reply where \"presence\" was due")
        }
        return answer
    }

    /// Sends `data` to the connection `conn`, which this app accepted; returns once it is queued for
    /// the connection. Throws `unknown_conn` for a connection that is gone or not this app's.
    public func send(conn: String, _ data: AppData) async throws(WSBridgeClientError) {
        _ = try await request(expecting: "ok") { .send(id: $0, conn: conn, data: data) }
    }

    /// Closes the connection `conn`, which this app accepted, with WebSocket close `code` (1000 or
    /// 3000–4999) and `reason` (at most 123 bytes). Its `closed` event follows.
    public func close(conn: String, code: Int = 1000, reason: String = "") async throws(WSBridgeClientError) {
        _ = try await request(expecting: "ok") { .close(id: $0, conn: conn, code: code, reason: reason) }
    }

    /// Checks that wsbridge is alive; once it returns, every earlier request has been handled.
    public func ping() async throws(WSBridgeClientError) {
        _ = try await request(expecting: "pong") { .ping(id: $0) }
    }

    /// What the daemon holds, as the raw text of one JSON object. Its members are documented in
    /// `docs/operations.md` and are not part of the protocol's compatibility promise: show them,
    /// do not build logic on them.
    public func status() async throws(WSBridgeClientError) -> ByteBuffer {
        let reply = try await request(expecting: "status") { .status(id: $0) }
        guard case .status(_, let body) = reply else {
            throw .protocolViolation("a \"\(reply.type)\" reply where \"status\" was due")
        }
        return body
    }
}
