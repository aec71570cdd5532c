import Crypto
import Foundation
import WSBridgeAuth
import _CryptoExtras
import WSBridgeJSON

/// Forges compact JWS tokens for tests, from literal JSON so every byte on the wire is chosen.
enum TokenFactory {
    /// The instant tests verify at: 2023-11-14T22:13:20Z.
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    /// A 32-byte HMAC secret.
    static let secret: [UInt8] = Array("wsbridge-test-secret-32-bytes-ok".utf8)

    static let hs256Header = #"{"alg":"HS256","typ":"JWT"}"#
    static let rs256Header = #"{"alg":"RS256","typ":"JWT"}"#
    /// `sub` alice, expiring ten minutes after ``now``.
    static let alicePayload = #"{"sub":"alice","exp":1700000600}"#

    /// base64url of the UTF-8 of `json`.
    static func segment(_ json: String) -> String {
        Base64.encode(Array(json.utf8), variant: .url)
    }

    /// `header.payload`, both encoded.
    static func signingInput(header: String, payload: String) -> String {
        segment(header) + "." + segment(payload)
    }

    /// An HS256-signed token. The header is used as given, whatever its `alg`.
    static func hs256(
        header: String = hs256Header, payload: String = alicePayload, secret: [UInt8] = secret
    ) -> String {
        let input = signingInput(header: header, payload: payload)
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: secret))
        return input + "." + Base64.encode(Array(mac), variant: .url)
    }

    /// An RS256-signed token (RSASSA-PKCS1-v1_5 with SHA-256).
    static func rs256(
        header: String = rs256Header, payload: String = alicePayload, key: _RSA.Signing.PrivateKey
    ) throws -> String {
        let input = signingInput(header: header, payload: payload)
        let signature = try key.signature(for: Array(input.utf8), padding: .insecurePKCS1v1_5)
        return input + "." + Base64.encode(signature.rawRepresentation, variant: .url)
    }

    /// A token with the given encoded signature segment (empty by default), as `alg: none` uses.
    static func unsigned(header: String, payload: String = alicePayload, signature: String = "") -> String {
        signingInput(header: header, payload: payload) + "." + signature
    }
}
