/// Why a token was refused. Returned by ``JWTVerifier/verify(_:now:)``.
///
/// `code` is stable and meant for metrics, logs and HTTP answers; `message` is human text for logs.
/// Neither ever contains the token, any part of it, or key material, so both can be logged and sent
/// back to the client as they are.
public struct JWTError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable reason code.
    public var code: Code
    /// Human-readable detail. Never contains the token or the key.
    public var message: String

    /// Stable reason codes; the raw values are the wire and log spelling.
    public enum Code: String, Sendable {
        /// Not a compact JWS: wrong shape, bad base64url, header or payload not a JSON object,
        /// a `typ` other than `JWT`, a `crit` header, `exp`/`nbf`/`sub` of the wrong type, or a
        /// token longer than ``JWTVerifier/maximumTokenLength``.
        case malformed
        /// `alg` is `none`, unknown, or an algorithm whose key is not configured.
        case unsupportedAlgorithm = "unsupported_algorithm"
        /// The signature does not match the configured key.
        case badSignature = "bad_signature"
        /// `exp` is in the past by more than the leeway.
        case expired
        /// `nbf` is in the future by more than the leeway.
        case notYetValid = "not_yet_valid"
        /// `sub` is absent, `null` or the empty string.
        case missingSubject = "missing_subject"
        /// `exp` is absent and the verifier requires it (`jwt_require_exp`).
        case missingExpiry = "missing_exp"
        /// `iss` is absent, or not the configured issuer (`jwt_issuer`).
        case wrongIssuer = "bad_issuer"
        /// `aud` is absent, or names none of the configured audiences (`jwt_audience`).
        case wrongAudience = "bad_audience"
        /// The header's `kid` names no configured key, and no key without a `kid` can stand in.
        case unknownKey = "unknown_key"
    }

    /// Creates an error with a code and a message that must not contain the token.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String {
        "\(code.rawValue): \(message)"
    }
}

extension JWTError {
    static func malformed(_ message: String) -> JWTError {
        JWTError(code: .malformed, message: message)
    }

    static func unsupportedAlgorithm(accepted: [String]) -> JWTError {
        JWTError(
            code: .unsupportedAlgorithm,
            message: "token algorithm is not accepted; accepted: \(accepted.joined(separator: ", "))"
        )
    }

    static let badSignature = JWTError(code: .badSignature, message: "token signature does not match the configured key")
    static let expired = JWTError(code: .expired, message: "token has expired (exp is past, beyond the leeway)")
    static let notYetValid = JWTError(code: .notYetValid, message: "token is not valid yet (nbf is in the future, beyond the leeway)")
    static let missingSubject = JWTError(code: .missingSubject, message: "token has no subject (sub missing or empty)")
    static let missingExpiry = JWTError(code: .missingExpiry, message: "token has no exp, and jwt_require_exp is on")
    static let missingIssuer = JWTError(code: .wrongIssuer, message: "token has no iss; jwt_issuer requires one")
    static let wrongIssuer = JWTError(code: .wrongIssuer, message: "token iss is not the issuer jwt_issuer names")
    static let missingAudience = JWTError(code: .wrongAudience, message: "token has no aud; jwt_audience requires one")
    static let wrongAudience = JWTError(code: .wrongAudience, message: "token aud names none of the audiences in jwt_audience")
    static func unknownKey(known: Int) -> JWTError {
        JWTError(code: .unknownKey, message: "token kid names none of the \(known) configured keys with a kid")
    }
}
