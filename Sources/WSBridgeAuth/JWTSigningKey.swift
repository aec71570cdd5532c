import Crypto
import _CryptoExtras

/// One configured verification key, bound to the one algorithm it may verify.
///
/// Binding the key to its algorithm is what prevents algorithm confusion: an `HS256` token is only
/// ever checked with the HMAC secret, never with the RSA public key's bytes, and vice versa.
enum JWTSigningKey: Sendable {
    case hs256(SymmetricKey)
    case rs256(_RSA.Signing.PublicKey)

    /// The JWS `alg` value this key verifies.
    var algorithm: String {
        switch self {
        case .hs256: return "HS256"
        case .rs256: return "RS256"
        }
    }

    /// An HMAC-SHA-256 key. RFC 7518 §3.2 asks for at least 32 bytes; shorter non-empty secrets
    /// are accepted for compatibility with existing issuers.
    static func hs256(secret: [UInt8]) throws(JWTKeyError) -> JWTSigningKey {
        guard !secret.isEmpty else {
            throw JWTKeyError(code: .emptySecret, message: "the HS256 secret is empty")
        }
        return .hs256(SymmetricKey(data: secret))
    }

    /// An RSA public key from a `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY` (PKCS #1) PEM block.
    /// Keys under 2048 bits are refused. See ``RSAPublicKeyPEM`` for why the PEM is not handed
    /// to swift-crypto as it is.
    static func rs256(pem: String) throws(JWTKeyError) -> JWTSigningKey {
        let components = try RSAPublicKeyPEM.parse(pem)
        return try rs256(modulus: components.modulus, exponent: components.exponent)
    }

    /// An RSA public key from its modulus and public exponent (big-endian, as a JWK's `n` and `e`).
    ///
    /// The modulus's size is checked here, before swift-crypto sees it: swift-crypto 4 refuses keys
    /// under 2048 bits itself, with an error that does not say why.
    static func rs256(modulus: ArraySlice<UInt8>, exponent: ArraySlice<UInt8>) throws(JWTKeyError) -> JWTSigningKey {
        let bits = Self.bitCount(modulus)
        guard bits >= minimumRSAKeyBits else {
            throw JWTKeyError(
                code: .badPEM,
                message: "the RS256 public key has \(bits) bits; at least \(minimumRSAKeyBits) are required"
            )
        }
        do {
            return .rs256(try _RSA.Signing.PublicKey(n: modulus, e: exponent))
        } catch {
            throw JWTKeyError(code: .badPEM, message: "the RS256 public key has an invalid modulus or exponent")
        }
    }

    /// The significant bits of a big-endian unsigned integer (what BoringSSL calls the key's size).
    static func bitCount(_ bytes: ArraySlice<UInt8>) -> Int {
        guard let first = bytes.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (bytes.endIndex - first) * 8 - bytes[first].leadingZeroBitCount
    }

    /// Shortest RSA modulus accepted, as swift-crypto's own PEM and DER initializers require.
    static let minimumRSAKeyBits = 2048

    /// Checks `signature` over `signingInput`. HMAC comparison is constant-time (swift-crypto).
    func isValidSignature(_ signature: [UInt8], for signingInput: UnsafeRawBufferPointer) -> Bool {
        switch self {
        case .hs256(let key):
            return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key)
        case .rs256(let key):
            return key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature),
                for: signingInput,
                padding: .insecurePKCS1v1_5
            )
        }
    }
}
