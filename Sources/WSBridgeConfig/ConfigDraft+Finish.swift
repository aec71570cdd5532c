extension ConfigDraft {
    /// The checks that involve several keys or the file system, run once every value is in:
    /// JWT secret and key files are read here. Returns every problem found; rules whose keys
    /// already failed are skipped so that one mistake is reported once.
    mutating func finish() -> [ConfigError] {
        var errors: [ConfigError] = []
        resolveJWTSecret(into: &errors)
        resolveJWTPublicKey(into: &errors)
        resolveJWKS(into: &errors)
        checkAuthHasKeys(into: &errors)
        checkAdminListenerIsApart(into: &errors)
        if configuration.redis != nil, configuration.redisCluster != nil, !failedKeys.contains(.redis),
            !failedKeys.contains(.redisCluster)
        {
            errors.append(origin(of: .redisCluster).error(
                .redisCluster, "redis is set too: use redis for one Redis server, or redis_cluster for a Redis Cluster, not both"))
            markFailed(.redisCluster)
        }
        if !failedKeys.contains(.ssePath), !failedKeys.contains(.wsPath), configuration.ssePath == configuration.wsPath {
            errors.append(origin(of: .ssePath).error(
                .ssePath, "must differ from ws_path (\(configuration.wsPath)), or be off"))
            markFailed(.ssePath)
        }
        checkTLSPair(into: &errors)
        checkShorter(
            .pingInterval, configuration.pingInterval, than: .idleTimeout, configuration.idleTimeout,
            blaming: .idleTimeout, zeroTurnsOff: true, into: &errors)
        if !failedKeys.contains(.historyTTL), !failedKeys.contains(.historyMetaTTL),
            configuration.historyMetaTTL < configuration.historyTTL
        {
            errors.append(origin(of: .historyMetaTTL).error(
                .historyMetaTTL,
                "must be at least history_ttl (\(ConfigValue.format(configuration.historyTTL))), got \(ConfigValue.format(configuration.historyMetaTTL))"))
        }
        checkShorter(
            .presenceHeartbeatInterval, configuration.presenceHeartbeatInterval, than: .presenceTTL, configuration.presenceTTL,
            blaming: .presenceHeartbeatInterval, into: &errors)
        // connect_timeout only bounds the wait for an app's verdict, which only auth = app has.
        if configuration.auth == .app, !failedKeys.contains(.auth) {
            checkShorter(
                .connectTimeout, configuration.connectTimeout, than: .handshakeTimeout, configuration.handshakeTimeout,
                blaming: .connectTimeout, into: &errors)
        }
        return errors
    }

    /// A certificate needs its key and a key its certificate.
    private mutating func checkTLSPair(into errors: inout [ConfigError]) {
        guard !failedKeys.contains(.tlsCert), !failedKeys.contains(.tlsKey) else { return }
        switch (configuration.tlsCert, configuration.tlsKey) {
        case (let certificate?, let key?):
            // Read here so that check-config catches a missing or mistaken file; the daemon parses them.
            for (name, path, marker) in [(ConfigKey.tlsCert, certificate, "CERTIFICATE"), (.tlsKey, key, "PRIVATE KEY")] {
                do {
                    let text = String(decoding: try FileContents.bytes(atPath: path), as: UTF8.self)
                    if !text.contains("-----BEGIN") || !text.contains(marker) {
                        errors.append(origin(of: name).error(name, "\(path) holds no PEM block (-----BEGIN \(marker)-----)"))
                    }
                } catch {
                    errors.append(origin(of: name).error(name, "cannot read \(path): \(error.reason)"))
                }
            }
        case (.some, nil):
            errors.append(origin(of: .tlsCert).error(.tlsCert, "needs tls_key (the certificate's private key) as well"))
        case (nil, .some):
            errors.append(origin(of: .tlsKey).error(.tlsKey, "needs tls_cert (the certificate chain) as well"))
        default:
            break
        }
    }

    /// The admin listener never shares the public address (both would fail to bind, and metrics must
    /// not reach the public port's clients). Port 0 on both is fine: each gets its own free port.
    private mutating func checkAdminListenerIsApart(into errors: inout [ConfigError]) {
        guard !failedKeys.contains(.adminListen), !failedKeys.contains(.listen),
            let admin = configuration.adminListen, admin == configuration.listen, admin.port != 0
        else { return }
        errors.append(origin(of: .adminListen).error(
            .adminListen, "must differ from listen (\(configuration.listen)): metrics are not served on the public port"))
        markFailed(.adminListen)
    }

    private mutating func resolveJWTSecret(into errors: inout [ConfigError]) {
        guard !failedKeys.contains(.jwtSecret), !failedKeys.contains(.jwtSecretFile) else {
            return
        }
        if let text = jwtSecretText {
            if jwtSecretFile != nil {
                let other = origin(of: .jwtSecret).shortDescription(relativeTo: origin(of: .jwtSecretFile))
                errors.append(origin(of: .jwtSecretFile).error(
                    .jwtSecretFile, "cannot be combined with jwt_secret (set on \(other)); use one of them"))
                markFailed(.jwtSecretFile)
                return
            }
            configuration.jwtSecret = Array(text.utf8)
            return
        }
        guard let path = jwtSecretFile else {
            configuration.jwtSecret = nil
            return
        }
        configuration.jwtSecret = readKeyFile(path, for: .jwtSecretFile, into: &errors) { bytes in
            var secret = bytes
            while secret.last == UInt8(ascii: "\n") || secret.last == UInt8(ascii: "\r") {
                secret.removeLast()
            }
            guard secret.count >= Self.minimumSecretBytes else {
                return .failure("\(Self.shortSecretMessage); \(path) holds \(secret.count)")
            }
            return .success(secret)
        }
    }

    private mutating func resolveJWTPublicKey(into errors: inout [ConfigError]) {
        guard !failedKeys.contains(.jwtPublicKeyFile) else {
            return
        }
        guard let path = jwtPublicKeyFile else {
            configuration.jwtPublicKeyPEM = nil
            return
        }
        configuration.jwtPublicKeyPEM = readKeyFile(path, for: .jwtPublicKeyFile, into: &errors) { bytes in
            guard let pem = String(validating: bytes, as: UTF8.self), pem.contains("-----BEGIN ") else {
                return .failure("\(path) is not a PEM file (no \"-----BEGIN\" line)")
            }
            return .success(pem)
        }
    }

    /// The JWKS file is read here and only roughly checked (a JSON object); its keys are checked by
    /// the JWT verifier, which the daemon and `check-config` build from it.
    private mutating func resolveJWKS(into errors: inout [ConfigError]) {
        guard !failedKeys.contains(.jwtJWKSFile) else { return }
        guard let path = jwtJWKSFile else {
            configuration.jwtJWKS = nil
            return
        }
        configuration.jwtJWKS = readKeyFile(path, for: .jwtJWKSFile, into: &errors) { bytes in
            guard bytes.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) == UInt8(ascii: "{") else {
                return .failure("\(path) is not a JWKS file (a JSON object with a \"keys\" array)")
            }
            return .success(bytes)
        }
    }

    /// Reads the file `key` names and makes its value with `parse`; a file that cannot be read, or
    /// that `parse` refuses, is an error on `key` (and `nil`).
    private mutating func readKeyFile<Value>(
        _ path: String, for key: ConfigKey, into errors: inout [ConfigError],
        _ parse: ([UInt8]) -> Result<Value, KeyFileProblem>
    ) -> Value? {
        let problem: String
        do {
            switch parse(try FileContents.bytes(atPath: path)) {
            case .success(let value): return value
            case .failure(let refusal): problem = refusal.message
            }
        } catch {
            problem = "cannot read \(path): \(error.reason)"
        }
        errors.append(origin(of: key).error(key, problem))
        markFailed(key)
        return nil
    }

    /// Why a key file's content is refused.
    struct KeyFileProblem: Error, ExpressibleByStringInterpolation {
        var message: String
        init(stringLiteral value: String) { self.message = value }
    }

    private func checkAuthHasKeys(into errors: inout [ConfigError]) {
        let involved: [ConfigKey] = [.auth, .jwtSecret, .jwtSecretFile, .jwtPublicKeyFile, .jwtJWKSFile]
        guard configuration.auth == .jwt, !involved.contains(where: failedKeys.contains),
            configuration.jwtSecret == nil, configuration.jwtPublicKeyPEM == nil, configuration.jwtJWKS == nil
        else {
            return
        }
        errors.append(origin(of: .auth).error(
            .auth, "jwt needs one of jwt_secret, jwt_secret_file, jwt_public_key_file or jwt_jwks_file"))
    }

    /// The rule that `shorter` is shorter than `longer` when both are in effect (not `nil`).
    /// It is reported on `preferred` unless only the other key was set explicitly; with
    /// `zeroTurnsOff`, the message also offers setting the other key to 0.
    private func checkShorter(
        _ shorter: ConfigKey, _ shorterValue: Duration?, than longer: ConfigKey, _ longerValue: Duration?,
        blaming preferred: ConfigKey, zeroTurnsOff: Bool = false, into errors: inout [ConfigError]
    ) {
        guard !failedKeys.contains(shorter), !failedKeys.contains(longer),
            let shorterValue, let longerValue, shorterValue >= longerValue
        else {
            return
        }
        typealias Setting = (key: ConfigKey, value: Duration)
        let pair: (Setting, Setting) = ((shorter, shorterValue), (longer, longerValue))
        var (blamed, other) = preferred == shorter ? pair : (pair.1, pair.0)
        if origins[blamed.key] == nil, origins[other.key] != nil {
            swap(&blamed, &other)
        }
        let relation = blamed.key == shorter ? "shorter" : "longer"
        var message = "must be \(relation) than \(other.key.rawValue) (\(ConfigValue.format(other.value))), got \(ConfigValue.format(blamed.value))"
        if zeroTurnsOff {
            message += "; or set \(other.key.rawValue) = 0"
        }
        errors.append(origin(of: blamed.key).error(blamed.key, message))
    }
}

extension ConfigError.Origin {
    /// `line 3` when `other` is in the same file, `line 3 of FILE` or `the command line` otherwise.
    func shortDescription(relativeTo other: ConfigError.Origin) -> String {
        guard let line else {
            return source == ConfigError.commandLine ? "the command line" : source
        }
        return source == other.source ? "line \(line)" : "line \(line) of \(source)"
    }
}
