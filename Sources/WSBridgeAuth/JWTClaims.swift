#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The registered claims (RFC 7519 §4.1) that verification reads, and their validation.
///
/// A claim that is absent or `null` is treated as absent. `exp` and `nbf` must be JSON numbers
/// (seconds since 1970, fractions allowed). `sub` must be a string or a JSON integer, which is
/// turned into its decimal text. `iss` must be a string, `aud` a string or an array of strings.
/// Any other type is a ``JWTClaims/WrongType`` error.
struct JWTClaims: Decodable {
    var subject: String?
    var expiresAt: Double?
    var notBefore: Double?
    var issuer: String?
    var audiences: [String]?

    /// A claim of the wrong JSON type. Carries only our own claim name, never token content.
    struct WrongType: Error {
        var claim: String
        var expected: String
    }

    private enum CodingKeys: String, CodingKey {
        case sub, exp, nbf, iss, aud
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.subject = try Self.decodeSubject(in: container)
        self.expiresAt = try Self.decodeTime(.exp, in: container)
        self.notBefore = try Self.decodeTime(.nbf, in: container)
        do {
            self.issuer = try container.decodeIfPresent(String.self, forKey: .iss)
        } catch {
            throw WrongType(claim: CodingKeys.iss.rawValue, expected: "a string")
        }
        self.audiences = try Self.decodeAudiences(in: container)
    }

    /// Checks `exp` (present if the policy requires it, then not past), `nbf`, `iss`, `aud`, then
    /// `sub`, and returns the identity.
    ///
    /// Expired when `now > exp + leeway`; not yet valid when `now + leeway < nbf`.
    func identity(now: Date, policy: JWTVerifier.ClaimPolicy) -> Result<JWTIdentity, JWTError> {
        let seconds = now.timeIntervalSince1970
        if policy.requireExpiry, expiresAt == nil {
            return .failure(.missingExpiry)
        }
        if let expiresAt, seconds > expiresAt + policy.leewaySeconds {
            return .failure(.expired)
        }
        if let notBefore, seconds + policy.leewaySeconds < notBefore {
            return .failure(.notYetValid)
        }
        if let expected = policy.issuer, issuer != expected {
            return .failure(issuer == nil ? .missingIssuer : .wrongIssuer)
        }
        if !policy.audiences.isEmpty {
            guard let audiences, !audiences.isEmpty else { return .failure(.missingAudience) }
            guard audiences.contains(where: policy.audiences.contains) else { return .failure(.wrongAudience) }
        }
        guard let subject, !subject.isEmpty else {
            return .failure(.missingSubject)
        }
        return .success(JWTIdentity(user: subject, expiresAt: expiresAt.map(Date.init(timeIntervalSince1970:))))
    }

    private static func decodeTime(
        _ key: CodingKeys, in container: KeyedDecodingContainer<CodingKeys>
    ) throws -> Double? {
        do {
            return try container.decodeIfPresent(Double.self, forKey: key)
        } catch {
            throw WrongType(claim: key.rawValue, expected: "a number of seconds")
        }
    }

    private static func decodeAudiences(in container: KeyedDecodingContainer<CodingKeys>) throws -> [String]? {
        guard container.contains(.aud), try !container.decodeNil(forKey: .aud) else {
            return nil
        }
        if let one = try? container.decode(String.self, forKey: .aud) {
            return [one]
        }
        if let many = try? container.decode([String].self, forKey: .aud) {
            return many
        }
        throw WrongType(claim: CodingKeys.aud.rawValue, expected: "a string or an array of strings")
    }

    private static func decodeSubject(in container: KeyedDecodingContainer<CodingKeys>) throws -> String? {
        guard container.contains(.sub), try !container.decodeNil(forKey: .sub) else {
            return nil
        }
        if let text = try? container.decode(String.self, forKey: .sub) {
            return text
        }
        if let number = try? container.decode(Int64.self, forKey: .sub) {
            return String(number)
        }
        if let number = try? container.decode(UInt64.self, forKey: .sub) {
            return String(number)
        }
        throw WrongType(claim: CodingKeys.sub.rawValue, expected: "a string or an integer")
    }
}
