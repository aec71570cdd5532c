/// Who a `publish` request is for: exactly one of `user`, `users` and `all` (as in the broker's
/// native envelope).
public enum AppTarget: Sendable, Equatable {
    /// Every session of one user. The id is a string, or the decimal text of a JSON integer.
    case user(String)
    /// Every session of each listed user: at least one, duplicates dropped, order kept.
    case users([String])
    /// Every connection on every host.
    case all
}
