/// The parts of a JWS protected header (RFC 7515 §4.1) that verification reads.
///
/// `alg` is required and must be a string. `typ` and `kid`, if present, must be strings. `crit` is
/// only noted: no extension is understood, so any `crit` means the token must be refused (§4.1.11).
/// Other parameters (`cty`, ...) are ignored.
struct JOSEHeader: Decodable {
    var algorithm: String
    var type: String?
    var keyID: String?
    var hasCriticalExtensions: Bool

    private enum CodingKeys: String, CodingKey {
        case alg, typ, kid, crit
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.algorithm = try container.decode(String.self, forKey: .alg)
        self.type = try container.decodeIfPresent(String.self, forKey: .typ)
        self.keyID = try container.decodeIfPresent(String.self, forKey: .kid)
        self.hasCriticalExtensions = container.contains(.crit)
    }

    /// Whether `typ` is absent or `JWT` in any case.
    var hasAcceptableType: Bool {
        guard let type else { return true }
        // Clearing bit 5 upper-cases ASCII letters; only "j"/"J", "w"/"W", "t"/"T" can match.
        return type.utf8.elementsEqual("JWT".utf8) { $0 & 0xDF == $1 }
    }
}
