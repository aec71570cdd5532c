import Foundation

/// Verifies the JWT a WebSocket client presents at the handshake (`--auth jwt`).
///
/// Accepts a compact JWS signed with HS256 (HMAC-SHA-256) or RS256 (RSASSA-PKCS1-v1_5 with
/// SHA-256), and returns the `sub` claim as the user id. Each algorithm is checked only with its
/// own configured key, so an `HS256` token "signed" with the RSA public key is refused
/// (no algorithm confusion), and `alg: none` is always refused.
///
/// The checks, in order, each failing with the ``JWTError/Code`` shown:
/// 1. at most ``maximumTokenLength`` bytes, three segments, header canonical unpadded base64url
///    of a JSON object with a string `alg`, `typ` absent or `JWT` (any case), no `crit`
///    → `malformed`;
/// 2. `alg` is exactly `HS256` or `RS256` and its key is configured → `unsupported_algorithm`;
/// 3. signature and payload canonical unpadded base64url → `malformed`;
/// 4. signature → `bad_signature`;
/// 5. payload a JSON object, `exp`/`nbf` numbers, `sub` a string or integer → `malformed`;
/// 6. `exp` → `expired`, then `nbf` → `not_yet_valid`, both with the leeway;
/// 7. `sub` present, not `null`, non-empty → `missing_subject`.
///
/// The payload is parsed only after the signature has been verified. `iat`, `aud` and `iss` are
/// not checked. The verifier is an immutable value: share it freely across event loops.
public struct JWTVerifier: Sendable {
    /// Longest token accepted, in bytes. Longer tokens are refused as `malformed` before any
    /// decoding, which bounds the work an unauthenticated client can cause.
    public static let maximumTokenLength = 8 * 1024

    /// One decoder for every verification; `JSONDecoder` is `Sendable` and keeps no per-call state.
    private static let decoder = JSONDecoder()

    private let hs256: JWTSigningKey?
    private let rs256: JWTSigningKey?
    private let leewaySeconds: Double

    /// Creates a verifier.
    ///
    /// - Parameters:
    ///   - hs256Secret: the HMAC secret for `HS256` tokens, or `nil` to refuse them. Must not be
    ///     empty; RFC 7518 asks for at least 32 bytes.
    ///   - rs256PublicKeyPEM: an RSA public key of at least 2048 bits, as a `PUBLIC KEY` (SPKI) or
    ///     `RSA PUBLIC KEY` (PKCS #1) PEM block, for `RS256` tokens; or `nil` to refuse them.
    ///   - leeway: clock skew tolerated on `exp` and `nbf`. Must not be negative.
    /// - Throws: ``JWTKeyError`` if no key is given, the secret is empty, the PEM is not a usable
    ///   RSA public key, or the leeway is negative.
    public init(
        hs256Secret: [UInt8]?,
        rs256PublicKeyPEM: String?,
        leeway: Duration = .seconds(30)
    ) throws(JWTKeyError) {
        guard hs256Secret != nil || rs256PublicKeyPEM != nil else {
            throw JWTKeyError(code: .noKey, message: "JWT auth needs an HS256 secret, an RS256 public key, or both")
        }
        guard leeway >= .zero else {
            throw JWTKeyError(code: .negativeLeeway, message: "the JWT leeway must not be negative")
        }
        self.hs256 = try hs256Secret.map { (secret) throws(JWTKeyError) in try JWTSigningKey.hs256(secret: secret) }
        self.rs256 = try rs256PublicKeyPEM.map { (pem) throws(JWTKeyError) in try JWTSigningKey.rs256(pem: pem) }
        let components = leeway.components
        self.leewaySeconds = Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }

    /// The accepted `alg` values, in a fixed order, e.g. `["HS256", "RS256"]`; for logs.
    public var algorithms: [String] {
        [hs256, rs256].compactMap { $0?.algorithm }
    }

    /// Verifies a compact JWS and returns the identity it asserts.
    ///
    /// - Parameters:
    ///   - token: the token text, e.g. a slice of the query string or `Authorization` header.
    ///   - now: the current time; injected by tests.
    /// - Returns: the identity, or why the token was refused. Errors never contain the token.
    public func verify(_ token: Substring, now: Date = Date()) -> Result<JWTIdentity, JWTError> {
        guard token.utf8.count <= Self.maximumTokenLength else {
            return .failure(.malformed("token is longer than \(Self.maximumTokenLength) bytes"))
        }
        guard let jws = CompactJWS(token) else {
            return .failure(.malformed("token is not three base64url segments separated by dots"))
        }
        guard let headerJSON = Base64URL.decodeData(jws.header) else {
            return .failure(.malformed("token header is not unpadded base64url"))
        }
        let header: JOSEHeader
        do {
            header = try Self.decoder.decode(JOSEHeader.self, from: headerJSON)
        } catch {
            return .failure(.malformed("token header is not a JSON object with a string alg"))
        }
        guard header.hasAcceptableType else {
            return .failure(.malformed("token header typ is not JWT"))
        }
        guard !header.hasCriticalExtensions else {
            return .failure(.malformed("token header has crit extensions, none of which are supported"))
        }
        guard let key = key(for: header.algorithm) else {
            return .failure(.unsupportedAlgorithm(accepted: algorithms))
        }
        guard let signature = Base64URL.decodeBytes(jws.signature) else {
            return .failure(.malformed("token signature is not unpadded base64url"))
        }
        guard let payloadJSON = Base64URL.decodeData(jws.payload) else {
            return .failure(.malformed("token payload is not unpadded base64url"))
        }
        guard jws.withSigningInput({ key.isValidSignature(signature, for: $0) }) else {
            return .failure(.badSignature)
        }
        let claims: JWTClaims
        do {
            claims = try Self.decoder.decode(JWTClaims.self, from: payloadJSON)
        } catch let error as JWTClaims.WrongType {
            return .failure(.malformed("token claim \(error.claim) is not \(error.expected)"))
        } catch {
            return .failure(.malformed("token payload is not a JSON object"))
        }
        return claims.identity(now: now, leeway: leewaySeconds)
    }

    /// The configured key for `algorithm`, matched case-sensitively as RFC 7515 requires;
    /// `nil` for `none`, unknown algorithms and algorithms without a configured key.
    private func key(for algorithm: String) -> JWTSigningKey? {
        switch algorithm {
        case "HS256": return hs256
        case "RS256": return rs256
        default: return nil
        }
    }
}
