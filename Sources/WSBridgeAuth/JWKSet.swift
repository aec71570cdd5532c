import WSBridgeJSON

/// The keys of a JSON Web Key Set (RFC 7517 §5), as `jwt_jwks_file` holds them.
///
/// Kept: `RSA` keys (`n`, `e`; at least 2048 bits) for `RS256`, and `oct` keys (`k`; at least 32
/// bytes) for `HS256`, each with its `kid` if it has one. Skipped, and counted in ``skipped``: keys
/// whose `use` is not `sig`, whose `alg` is another algorithm, or of another `kty` (`EC`, `OKP`):
/// an identity provider's published set often holds such keys, and they cannot verify the tokens
/// accepted here anyway. Refused with ``JWTKeyError/Code/badJWKS``: a file that is not a JSON object
/// with a `keys` array, a kept key whose members are missing or not unpadded base64url, two kept keys
/// of one algorithm with the same `kid`, and a set with no usable key at all.
public struct JWKSet: Sendable {
    /// One usable key and the `kid` it is published under, if any.
    struct Entry: Sendable {
        var kid: String?
        var key: JWTSigningKey
    }

    var entries: [Entry]
    /// Keys left out because they are not for signing with `RS256` or `HS256`.
    public let skipped: Int

    /// How many keys are kept.
    public var count: Int { self.entries.count }

    /// The kept keys' `kid`s, in file order (keys without one are left out); for logs.
    public var kids: [String] { self.entries.compactMap(\.kid) }

    /// Parses a JWKS document.
    ///
    /// The JSON is read by `WSBridgeJSON`'s scanner (strict RFC 8259; a UTF-8 byte order mark is
    /// skipped). Of a member name given twice, the last value counts, as RFC 7517 §4 allows.
    public init(json: [UInt8]) throws(JWTKeyError) {
        let parsed = json.withUnsafeBytes { bytes in
            Result { () throws(JWTKeyError) in try Self.parse(JSONObjectView.skippingByteOrderMark(bytes)) }
        }
        (self.entries, self.skipped) = try parsed.get()
    }

    private static func parse(_ document: UnsafeRawBufferPointer) throws(JWTKeyError) -> (entries: [Entry], skipped: Int) {
        let object: JSONObjectView
        do {
            object = try JSONObjectView(document)
        } catch let error where error.code == .notAnObject && JSONObjectView.startsWithArray(document) {
            throw Self.bad("the JWKS file is not a JSON object with a \"keys\" array")
        } catch {
            // Invalid JSON, or a string, number or literal alone (JSON, but no document to hold keys).
            throw Self.bad("the JWKS file is not JSON")
        }
        guard let keys = object.array("keys") else {
            throw Self.bad("the JWKS file is not a JSON object with a \"keys\" array")
        }
        var entries: [Entry] = []
        var skipped = 0
        for (index, element) in keys.enumerated() {
            guard let member = object.object(element) else {
                throw Self.bad("key \(index + 1) of the JWKS file is not a JSON object")
            }
            let kid = member.string("kid")
            let name = kid.map { "key \(index + 1) (kid \"\(Self.shown($0))\")" } ?? "key \(index + 1)"
            guard let entry = try Self.entry(member, kid: kid, name: name) else {
                skipped += 1
                continue
            }
            if let kid, entries.contains(where: { $0.kid == kid && $0.key.algorithm == entry.key.algorithm }) {
                throw Self.bad("\(name): another \(entry.key.algorithm) key of the JWKS file has the same kid")
            }
            entries.append(entry)
        }
        guard !entries.isEmpty else {
            throw Self.bad(
                "the JWKS file has no RS256 (kty RSA) or HS256 (kty oct) signing key"
                    + (skipped > 0 ? "; \(skipped) other keys skipped" : ""))
        }
        return (entries, skipped)
    }

    /// The key a JWK describes, `nil` if it is for something else.
    private static func entry(_ member: JSONObjectView, kid: String?, name: String) throws(JWTKeyError) -> Entry? {
        if let use = member.string("use"), use != "sig" { return nil }
        let alg = member.string("alg")
        switch member.string("kty") {
        case "RSA":
            guard alg == nil || alg == "RS256" else { return nil }
            let n = try Self.bytes(member, "n", name: name)
            let e = try Self.bytes(member, "e", name: name)
            do {
                return Entry(kid: kid, key: try JWTSigningKey.rs256(modulus: n[...], exponent: e[...]))
            } catch {
                throw Self.bad("\(name): \(error.message)")
            }
        case "oct":
            guard alg == nil || alg == "HS256" else { return nil }
            let secret = try Self.bytes(member, "k", name: name)
            guard secret.count >= 32 else {
                throw Self.bad("\(name): an HS256 key needs at least 32 bytes, this one has \(secret.count)")
            }
            do {
                return Entry(kid: kid, key: try JWTSigningKey.hs256(secret: secret))
            } catch {
                throw Self.bad("\(name): \(error.message)")
            }
        case .some:
            return nil
        case .none:
            throw Self.bad("\(name) has no string \"kty\"")
        }
    }

    private static func bytes(_ member: JSONObjectView, _ field: String, name: String) throws(JWTKeyError) -> [UInt8] {
        guard let text = member.string(field) else {
            throw Self.bad("\(name) has no string \"\(field)\"")
        }
        guard let bytes = Base64.decode(text.utf8, variant: .url), !bytes.isEmpty else {
            throw Self.bad("\(name): \"\(field)\" is not unpadded base64url")
        }
        return bytes
    }

    /// A `kid` for a message: printable ASCII only, at most 64 characters.
    private static func shown(_ kid: String) -> String {
        let printable = kid.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" }
        return String(String.UnicodeScalarView(printable.prefix(64)))
    }

    private static func bad(_ message: String) -> JWTKeyError {
        JWTKeyError(code: .badJWKS, message: message)
    }
}
