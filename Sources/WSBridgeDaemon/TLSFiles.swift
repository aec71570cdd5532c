import NIOSSL
import WSBridgeConfig

/// The WebSocket listener's TLS context, from the PEM files `tls_cert` and `tls_key`.
enum TLSFiles {
    /// The server context for `certificate` (a chain, leaf first) and `key`; an error names the key,
    /// the file and what is wrong with it.
    static func context(certificate: String, key: String) throws(TLSFileError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(try Self.read(certificate, for: .tlsCert))
        } catch let error as TLSFileError {
            throw error
        } catch {
            throw TLSFileError(key: .tlsCert, path: certificate, problem: "holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        guard !chain.isEmpty else {
            throw TLSFileError(key: .tlsCert, path: certificate, problem: "holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(bytes: try Self.read(key, for: .tlsKey), format: .pem)
        } catch let error as TLSFileError {
            throw error
        } catch {
            throw TLSFileError(
                key: .tlsKey, path: key,
                problem: "holds no unencrypted PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA/EC PRIVATE KEY-----)")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSFileError(
                key: .tlsKey, path: key,
                problem: "is not the key of the certificate in \(certificate) (\(error)); give the key the certificate was made for")
        }
    }

    private static func read(_ path: String, for key: ConfigKey) throws(TLSFileError) -> [UInt8] {
        do {
            return try FileContents.bytes(atPath: path)
        } catch {
            throw TLSFileError(key: key, path: path, problem: "cannot be read: \(error.reason)")
        }
    }
}

/// A `tls_cert` or `tls_key` file that does not load.
struct TLSFileError: Error, CustomStringConvertible {
    var key: ConfigKey
    var path: String
    var problem: String

    var description: String { "\(self.key.rawValue) \(self.path) \(self.problem)" }
}
