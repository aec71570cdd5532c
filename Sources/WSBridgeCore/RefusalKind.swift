/// Why a WebSocket handshake was refused, as a short stable label: the `reason` label of
/// `wsbridge_auth_refusals_total` and the `wsb.reason` of the refusal log line.
///
/// The set is closed so that the metric's label values stay bounded: the human-readable reason an
/// authenticator or an app gives travels separately, in the HTTP response body.
public enum RefusalKind: String, Sendable, CaseIterable {
    /// No credentials: no token (`jwt`) or no `?user=` (`insecure-query`).
    case missingCredentials = "missing_credentials"
    /// A token that failed verification: bad signature, expired, not yet valid, malformed.
    case invalidToken = "invalid_token"
    /// The credentials named a user id wsbridge will not hold (longer than 256 bytes).
    case invalidUser = "invalid_user"
    /// An `Origin` header outside `allowed_origins`.
    case origin
    /// `auth = app`: the app answered `reject`.
    case appRejected = "app_rejected"
    /// `auth = app`: no attached app serves the path.
    case noApp = "no_app"
    /// `auth = app`: the app did not answer within `connect_timeout`.
    case appTimeout = "app_timeout"
    /// `auth = app`: the app deciding went away before it answered.
    case appGone = "app_gone"
    /// The client went away while it was being decided about (nothing is answered, so it is not
    /// counted; the kind exists so that every decision carries one).
    case clientGone = "client_gone"
    /// The authenticator failed unexpectedly (HTTP 500).
    case internalError = "internal_error"
    /// The node started draining (it is shutting down) while the handshake was being decided (HTTP
    /// 503): the client should connect again, to another host.
    case shuttingDown = "shutting_down"
}
