import Foundation

/// The registered claims (RFC 7519 §4.1) that verification reads, and their validation.
///
/// A claim that is absent or `null` is treated as absent. `exp` and `nbf` must be JSON numbers
/// (seconds since 1970, fractions allowed). `sub` must be a string or a JSON integer, which is
/// turned into its decimal text. Any other type is a ``JWTClaims/WrongType`` error.
struct JWTClaims: Decodable {
    var subject: String?
    var expiresAt: Double?
    var notBefore: Double?

    /// A claim of the wrong JSON type. Carries only our own claim name, never token content.
    struct WrongType: Error {
        var claim: String
        var expected: String
    }

    private enum CodingKeys: String, CodingKey {
        case sub, exp, nbf
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.subject = try Self.decodeSubject(in: container)
        self.expiresAt = try Self.decodeTime(.exp, in: container)
        self.notBefore = try Self.decodeTime(.nbf, in: container)
    }

    /// Checks `exp`, then `nbf`, then `sub`, and returns the identity.
    ///
    /// Expired when `now > exp + leeway`; not yet valid when `now + leeway < nbf`.
    func identity(now: Date, leeway: Double) -> Result<JWTIdentity, JWTError> {
        let seconds = now.timeIntervalSince1970
        if let expiresAt, seconds > expiresAt + leeway {
            return .failure(.expired)
        }
        if let notBefore, seconds + leeway < notBefore {
            return .failure(.notYetValid)
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
