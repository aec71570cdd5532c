/// Why a ``JWTVerifier`` could not be built from its configured keys.
///
/// Thrown at startup (and by `check-config`), never per token. `message` names the problem and
/// never contains the secret.
public struct JWTKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable reason code.
    public var code: Code
    /// Human-readable detail. Never contains the HMAC secret.
    public var message: String

    /// Stable reason codes; the raw values are the log spelling.
    public enum Code: String, Sendable {
        /// Neither an HS256 secret, an RS256 public key nor a JWKS was given.
        case noKey = "no_key"
        /// The HS256 secret is empty.
        case emptySecret = "empty_secret"
        /// The RS256 PEM is not an RSA public key of at least 2048 bits.
        case badPEM = "bad_pem"
        /// The leeway is negative.
        case negativeLeeway = "negative_leeway"
        /// The JWKS file is not a key set with at least one usable key (see ``JWKSet``).
        case badJWKS = "bad_jwks"
    }

    /// Creates an error with a code and a message that must not contain the secret.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String {
        "\(code.rawValue): \(message)"
    }
}
