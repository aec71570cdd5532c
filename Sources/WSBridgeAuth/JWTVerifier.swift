#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import WSBridgeJSON

/// Verifies the JWT a WebSocket client presents at the handshake (`--auth jwt`).
///
/// Accepts a compact JWS signed with HS256 (HMAC-SHA-256) or RS256 (RSASSA-PKCS1-v1_5 with
/// SHA-256), and returns the `sub` claim as the user id. Each algorithm is checked only with keys
/// of its own kind, so an `HS256` token "signed" with the RSA public key is refused (no algorithm
/// confusion), and `alg: none` is always refused.
///
/// Keys come from `jwt_secret` / `jwt_public_key_file` (no `kid`) and from a JWKS (``JWKSet``, each
/// with its `kid`, so that keys can rotate: publish the new key beside the old one, then sign with
/// it, then drop the old one). A token whose header has a `kid` is checked with the key of that
/// `kid` and algorithm, or, if there is none, with the keys that have no `kid`; a token without
/// `kid` with every key of its algorithm.
///
/// The checks, in order, each failing with the ``JWTError/Code`` shown:
/// 1. at most ``maximumTokenLength`` bytes, three segments, header canonical unpadded base64url
///    of a JSON object with a string `alg`, `typ` absent or `JWT` (any case), `kid` absent or a
///    string, no `crit` → `malformed`;
/// 2. `alg` is exactly `HS256` or `RS256` and a key of it is configured → `unsupported_algorithm`;
/// 3. a key for the `kid` → `unknown_key`;
/// 4. signature and payload canonical unpadded base64url → `malformed`;
/// 5. signature → `bad_signature`;
/// 6. payload a JSON object, `exp`/`nbf` numbers, `sub` a string or integer, `iss` a string, `aud`
///    a string or an array of strings → `malformed`;
/// 7. `exp` present if ``ClaimPolicy/requireExpiry`` → `missing_exp`; `exp` → `expired`, then
///    `nbf` → `not_yet_valid`, both with the leeway;
/// 8. `iss` is the configured issuer, if one is → `bad_issuer`; `aud` (or one of its values) is one
///    of the configured audiences, if any are → `bad_audience`;
/// 9. `sub` present, not `null`, non-empty → `missing_subject`.
///
/// The payload is parsed only after the signature has been verified. `iat` is not checked. The
/// verifier is an immutable value: share it freely across event loops.
public struct JWTVerifier: Sendable {
    /// Longest token accepted, in bytes. Longer tokens are refused as `malformed` before any
    /// decoding, which bounds the work an unauthenticated client can cause.
    public static let maximumTokenLength = 8 * 1024

    /// One decoder for every verification; `JSONDecoder` is `Sendable` and keeps no per-call state.
    private static let decoder = JSONDecoder()

    /// What the claims must say, beyond a valid signature.
    public struct ClaimPolicy: Sendable {
        /// Clock skew tolerated on `exp` and `nbf`, in seconds.
        var leewaySeconds: Double
        /// Refuse a token without `exp`.
        public var requireExpiry: Bool
        /// The `iss` every token must carry; `nil`: not checked.
        public var issuer: String?
        /// The audiences accepted: a token's `aud` must name one; empty: not checked.
        public var audiences: [String]

        /// - Parameters:
        ///   - leeway: clock skew tolerated on `exp` and `nbf`. Must not be negative.
        ///   - requireExpiry: refuse tokens without `exp`.
        ///   - issuer: the required `iss`, or `nil`.
        ///   - audiences: the accepted `aud` values, or none to accept any.
        public init(leeway: Duration = .seconds(30), requireExpiry: Bool = false, issuer: String? = nil, audiences: [String] = []) {
            let components = leeway.components
            self.leewaySeconds = Double(components.seconds) + Double(components.attoseconds) * 1e-18
            self.requireExpiry = requireExpiry
            self.issuer = issuer
            self.audiences = audiences
        }
    }

    private let keys: [JWKSet.Entry]
    private let policy: ClaimPolicy

    /// Creates a verifier.
    ///
    /// - Parameters:
    ///   - hs256Secret: the HMAC secret for `HS256` tokens, or `nil`. Must not be empty; RFC 7518
    ///     asks for at least 32 bytes.
    ///   - rs256PublicKeyPEM: an RSA public key of at least 2048 bits, as a `PUBLIC KEY` (SPKI) or
    ///     `RSA PUBLIC KEY` (PKCS #1) PEM block, for `RS256` tokens; or `nil`.
    ///   - jwks: the content of a JWKS file, or `nil`.
    ///   - leeway: clock skew tolerated on `exp` and `nbf`. Must not be negative.
    ///   - requireExpiry, issuer, audiences: see ``ClaimPolicy``.
    /// - Throws: ``JWTKeyError`` if no key is given, the secret is empty, the PEM is not a usable
    ///   RSA public key, the JWKS is not usable, or the leeway is negative.
    public init(
        hs256Secret: [UInt8]?,
        rs256PublicKeyPEM: String?,
        jwks: [UInt8]? = nil,
        leeway: Duration = .seconds(30),
        requireExpiry: Bool = false,
        issuer: String? = nil,
        audiences: [String] = []
    ) throws(JWTKeyError) {
        guard hs256Secret != nil || rs256PublicKeyPEM != nil || jwks != nil else {
            throw JWTKeyError(code: .noKey, message: "JWT auth needs an HS256 secret, an RS256 public key or a JWKS file")
        }
        guard leeway >= .zero else {
            throw JWTKeyError(code: .negativeLeeway, message: "the JWT leeway must not be negative")
        }
        var keys: [JWKSet.Entry] = []
        if let hs256Secret {
            keys.append(JWKSet.Entry(kid: nil, key: try JWTSigningKey.hs256(secret: hs256Secret)))
        }
        if let rs256PublicKeyPEM {
            keys.append(JWKSet.Entry(kid: nil, key: try JWTSigningKey.rs256(pem: rs256PublicKeyPEM)))
        }
        if let jwks {
            keys += try JWKSet(json: jwks).entries
        }
        self.keys = keys
        self.policy = ClaimPolicy(leeway: leeway, requireExpiry: requireExpiry, issuer: issuer, audiences: audiences)
    }

    /// The accepted `alg` values, in a fixed order, e.g. `["HS256", "RS256"]`; for logs.
    public var algorithms: [String] {
        ["HS256", "RS256"].filter { algorithm in self.keys.contains { $0.key.algorithm == algorithm } }
    }

    /// How many keys verify tokens (the secret, the PEM key and the JWKS's usable keys).
    public var keyCount: Int { self.keys.count }

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
        guard let headerJSON = Base64.decodeData(jws.header, variant: .url) else {
            return .failure(.malformed("token header is not unpadded base64url"))
        }
        let header: JOSEHeader
        do {
            header = try Self.decoder.decode(JOSEHeader.self, from: headerJSON)
        } catch {
            return .failure(.malformed("token header is not a JSON object with a string alg (and a string kid, if any)"))
        }
        guard header.hasAcceptableType else {
            return .failure(.malformed("token header typ is not JWT"))
        }
        guard !header.hasCriticalExtensions else {
            return .failure(.malformed("token header has crit extensions, none of which are supported"))
        }
        let candidates: [JWTSigningKey]
        switch self.keys(for: header.algorithm, kid: header.keyID) {
        case .success(let found): candidates = found
        case .failure(let error): return .failure(error)
        }
        guard let signature = Base64.decode(jws.signature, variant: .url) else {
            return .failure(.malformed("token signature is not unpadded base64url"))
        }
        guard let payloadJSON = Base64.decodeData(jws.payload, variant: .url) else {
            return .failure(.malformed("token payload is not unpadded base64url"))
        }
        guard jws.withSigningInput({ input in candidates.contains { $0.isValidSignature(signature, for: input) } }) else {
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
        return claims.identity(now: now, policy: self.policy)
    }

    /// The keys a token of `algorithm` with `kid` is checked with (see the type's documentation).
    /// `algorithm` is matched case-sensitively as RFC 7515 requires; `none` and unknown algorithms
    /// have no key.
    private func keys(for algorithm: String, kid: String?) -> Result<[JWTSigningKey], JWTError> {
        let ofAlgorithm = self.keys.filter { $0.key.algorithm == algorithm }
        guard !ofAlgorithm.isEmpty else {
            return .failure(.unsupportedAlgorithm(accepted: self.algorithms))
        }
        guard let kid else {
            return .success(ofAlgorithm.map(\.key))
        }
        if let named = ofAlgorithm.first(where: { $0.kid == kid }) {
            return .success([named.key])
        }
        let unnamed = ofAlgorithm.filter { $0.kid == nil }
        guard !unnamed.isEmpty else {
            return .failure(.unknownKey(known: ofAlgorithm.count))
        }
        return .success(unnamed.map(\.key))
    }
}
