extension WSBridgeConfiguration: CustomStringConvertible {
    /// The effective configuration in config file syntax, one `key = value` per line, for
    /// `--verbose` start-up logs and support requests. Secrets are never shown: the Redis password
    /// is `***`, and the JWT secret and public key appear only as comments giving their size.
    /// Without secrets, loading this text gives back an equal configuration.
    public var description: String {
        var lines: [String] = []
        for key in ConfigKey.allCases {
            switch key {
            case .jwtSecret:
                if let jwtSecret {
                    lines.append("# jwt_secret: set (\(jwtSecret.count) bytes, not shown)")
                }
            case .jwtSecretFile:
                continue
            case .jwtPublicKeyFile:
                if let jwtPublicKeyPEM {
                    lines.append("# jwt_public_key_file: RS256 public key loaded (\(jwtPublicKeyPEM.utf8.count) bytes of PEM)")
                }
            case .jwtJWKSFile:
                if let jwtJWKS {
                    lines.append("# jwt_jwks_file: JWKS loaded (\(jwtJWKS.count) bytes)")
                }
            default:
                lines.append("\(key.rawValue) = \(Self.quotedIfNeeded(text(of: key)))")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The value of `key` as config file text (not for the JWT keys, which are secrets or files).
    func text(of key: ConfigKey) -> String {
        switch key {
        case .listen: return listen.description
        case .wsPath: return wsPath
        case .ssePath: return ssePath ?? ListenAddress.off
        case .adminListen: return adminListen?.description ?? ListenAddress.off
        case .appSocket: return appSocket
        case .maxFrameBytes: return ConfigValue.format(bytes: maxFrameBytes)
        case .appMaxQueueBytes: return ConfigValue.format(bytes: appMaxQueueBytes)
        case .connectTimeout: return ConfigValue.format(connectTimeout)
        case .appSocketMode: return ConfigValue.format(fileMode: appSocketMode)
        case .appAllowedUIDs: return appAllowedUIDs.map { $0.sorted().map(String.init).joined(separator: ", ") } ?? ""
        case .redis: return redis?.redacted ?? ""
        case .routing: return routing.rawValue
        case .redisCluster: return redisCluster?.map(\.redacted).joined(separator: ",") ?? ""
        case .channel: return channel
        case .compatUserField: return compatUserField ?? ""
        case .tlsCert: return tlsCert ?? ""
        case .tlsKey: return tlsKey ?? ""
        case .nodeID: return nodeID
        case .auth: return auth.rawValue
        case .jwtSecret, .jwtSecretFile, .jwtPublicKeyFile, .jwtJWKSFile: return ""
        case .jwtLeeway: return ConfigValue.format(jwtLeeway)
        case .jwtRequireExp: return jwtRequireExp ? "on" : "off"
        case .jwtIssuer: return jwtIssuer ?? ""
        case .jwtAudience: return jwtAudiences.joined(separator: ", ")
        case .allowedOrigins:
            switch allowedOrigins {
            case .any: return "*"
            case let .only(origins): return origins.sorted().joined(separator: ", ")
            }
        case .trustedProxies: return trustedProxies.map(\.description).joined(separator: ", ")
        case .maxMessageBytes: return ConfigValue.format(bytes: maxMessageBytes)
        case .maxMessageFragments: return String(maxMessageFragments)
        case .maxRequestHeadBytes: return ConfigValue.format(bytes: maxRequestHeadBytes)
        case .maxClientMessagesPerSecond: return String(maxClientMessagesPerSecond ?? 0)
        case .maxQueueBytes: return ConfigValue.format(bytes: maxQueueBytes)
        case .permessageDeflate: return permessageDeflate ? "on" : "off"
        case .deflateMinBytes: return ConfigValue.format(bytes: deflateMinBytes)
        case .writeCoalesceWindow: return writeCoalesceWindow == .zero ? "0" : ConfigValue.format(writeCoalesceWindow)
        case .maxConnections: return String(maxConnections)
        case .maxConnectionsPerUser: return String(maxConnectionsPerUser ?? 0)
        case .handshakeTimeout: return ConfigValue.format(handshakeTimeout)
        case .pingInterval: return pingInterval.map(ConfigValue.format) ?? "0"
        case .idleTimeout: return idleTimeout.map(ConfigValue.format) ?? "0"
        case .closeTimeout: return ConfigValue.format(closeTimeout)
        case .drainTimeout: return ConfigValue.format(drainTimeout)
        case .eventLoops: return String(eventLoops)
        case .brokerReconnectMax: return ConfigValue.format(brokerReconnectMax)
        case .brokerHealthInterval: return brokerHealthInterval.map(ConfigValue.format) ?? "0"
        case .brokerProbeInterval: return brokerProbeInterval.map(ConfigValue.format) ?? "0"
        case .historySize: return String(historySize)
        case .historyTTL: return ConfigValue.format(historyTTL)
        case .historyMetaTTL: return ConfigValue.format(historyMetaTTL)
        case .presenceTTL: return ConfigValue.format(presenceTTL)
        case .presenceHeartbeatInterval: return ConfigValue.format(presenceHeartbeatInterval)
        case .receiptWindow: return ConfigValue.format(receiptWindow)
        case .logLevel: return logLevel.rawValue
        case .logFormat: return logFormat.rawValue
        case .logUser: return logUsers.joined(separator: ", ")
        case .logSummaryInterval: return logSummaryInterval.map(ConfigValue.format) ?? "0"
        }
    }

    /// Quotes a value that a bare value could not carry: a `#`, a quote, or edge spaces.
    private static func quotedIfNeeded(_ value: String) -> String {
        let needsQuotes = value.contains("#") || value.hasPrefix("\"")
            || value.first == " " || value.first == "\t" || value.last == " " || value.last == "\t"
        guard needsQuotes else {
            return value
        }
        var quoted = "\""
        for character in value {
            if character == "\"" || character == "\\" {
                quoted.append("\\")
            }
            quoted.append(character)
        }
        return quoted + "\""
    }
}
