#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import WSBridgeJSON

/// Reads an RSA public key's modulus and exponent out of a PEM block.
///
/// Two encodings are accepted:
///
/// ```
///  -----BEGIN PUBLIC KEY-----        SubjectPublicKeyInfo (RFC 5280 §4.1.2.7):
///                                      SEQUENCE { SEQUENCE { OID rsaEncryption, NULL? },
///                                                 BIT STRING { 0x00, RSAPublicKey } }
///  -----BEGIN RSA PUBLIC KEY-----    RSAPublicKey (RFC 8017 §A.1.1):
///                                      SEQUENCE { INTEGER modulus, INTEGER publicExponent }
/// ```
///
/// The structure is read here, in Swift, and only the modulus and exponent reach swift-crypto,
/// through `_RSA.Signing.PublicKey(n:e:)`. `_RSA.Signing.PublicKey(pemRepresentation:)` is not
/// used: in swift-crypto 3.12, when BoringSSL refuses the DER, its error path frees the key that
/// the backing object's `deinit` then frees again. Seen here: an RSA private key's DER in a
/// `PUBLIC KEY` block aborted the test process (SIGABRT) in most full runs. A config mistake must
/// be an error message, not a crash.
enum RSAPublicKeyPEM {
    /// 1.2.840.113549.1.1.1, DER-encoded content.
    private static let rsaEncryptionOID: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]

    struct Components {
        var modulus: ArraySlice<UInt8>
        var exponent: ArraySlice<UInt8>
    }

    /// Parses `pem`, or throws a ``JWTKeyError`` with code `badPEM` saying what is wrong.
    static func parse(_ pem: String) throws(JWTKeyError) -> Components {
        let (label, body) = try armor(pem)
        let isSPKI: Bool
        switch label {
        case "PUBLIC KEY": isSPKI = true
        case "RSA PUBLIC KEY": isSPKI = false
        default:
            let shown = label.count <= 40 ? "a '\(label)'" : "an unexpected"
            throw badPEM("the RS256 key is \(shown) PEM block; expected 'PUBLIC KEY' or 'RSA PUBLIC KEY'")
        }
        guard let der = Data(base64Encoded: body) else {
            throw badPEM("the RS256 '\(label)' PEM block is not valid base64")
        }
        let bytes = Array(der)
        guard let components = isSPKI ? subjectPublicKeyInfo(bytes[...]) : rsaPublicKey(bytes[...]) else {
            throw badPEM("the RS256 '\(label)' PEM block does not hold an RSA public key")
        }
        return components
    }

    /// Splits the `-----BEGIN label-----` ... `-----END label-----` armor; returns the label and
    /// the base64 body with line breaks and surrounding blanks removed.
    private static func armor(_ pem: String) throws(JWTKeyError) -> (label: String, body: String) {
        let lines = pem.split(whereSeparator: \.isNewline)
            .map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty }
        guard lines.count >= 3,
            let label = lines.first.flatMap({ boundaryLabel($0, "-----BEGIN ") }),
            lines.last.flatMap({ boundaryLabel($0, "-----END ") }) == label
        else {
            throw badPEM(
                "the RS256 public key is not a PEM block; expected -----BEGIN PUBLIC KEY----- or -----BEGIN RSA PUBLIC KEY----- to a matching -----END line"
            )
        }
        return (label, lines[1..<(lines.count - 1)].joined())
    }

    private static func boundaryLabel(_ line: String, _ prefix: String) -> String? {
        guard line.hasPrefix(prefix), line.hasSuffix("-----"), line.count > prefix.count + 5 else { return nil }
        return String(line.dropFirst(prefix.count).dropLast(5))
    }

    private static func subjectPublicKeyInfo(_ der: ArraySlice<UInt8>) -> Components? {
        var outer = DERReader(der)
        guard let info = outer.read(tag: DERReader.sequenceTag), outer.isAtEnd else { return nil }
        var fields = DERReader(info)
        guard let algorithm = fields.read(tag: DERReader.sequenceTag),
            let bitString = fields.read(tag: DERReader.bitStringTag),
            fields.isAtEnd
        else { return nil }

        var algorithmFields = DERReader(algorithm)
        guard let oid = algorithmFields.read(tag: DERReader.objectIdentifierTag),
            oid.elementsEqual(rsaEncryptionOID)
        else { return nil }
        if !algorithmFields.isAtEnd {
            guard let parameters = algorithmFields.read(tag: DERReader.nullTag), parameters.isEmpty else { return nil }
        }
        guard algorithmFields.isAtEnd, bitString.first == 0 else { return nil }
        return rsaPublicKey(bitString.dropFirst())
    }

    private static func rsaPublicKey(_ der: ArraySlice<UInt8>) -> Components? {
        var outer = DERReader(der)
        guard let key = outer.read(tag: DERReader.sequenceTag), outer.isAtEnd else { return nil }
        var fields = DERReader(key)
        guard let modulus = fields.readUnsignedInteger(),
            let exponent = fields.readUnsignedInteger(),
            fields.isAtEnd
        else { return nil }
        return Components(modulus: modulus, exponent: exponent)
    }

    private static func badPEM(_ message: String) -> JWTKeyError {
        JWTKeyError(code: .badPEM, message: message)
    }
}
