/// How the daemon decides which user a new WebSocket connection belongs to (`auth`).
public enum AuthMode: String, CaseIterable, Sendable {
    /// Attached apps accept or reject each connection before the upgrade completes.
    case app
    /// A HS256/RS256 token in `?token=` or `Authorization: Bearer`; `sub` is the user id.
    case jwt
    /// `?user=ID` is trusted as is. For local development and benchmarks only.
    case insecureQuery = "insecure-query"
}
