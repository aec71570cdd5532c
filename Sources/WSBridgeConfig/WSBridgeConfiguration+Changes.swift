extension WSBridgeConfiguration {
    /// The keys whose effective value differs between `self` and `other`, in documentation order (for
    /// SIGHUP: reloadable ones are applied, the others are named as needing a restart).
    public func changedKeys(comparedTo other: WSBridgeConfiguration) -> [ConfigKey] {
        ConfigKey.allCases.filter { key in
            switch key {
            case .jwtSecret, .jwtSecretFile: return self.jwtSecret != other.jwtSecret
            case .jwtPublicKeyFile: return self.jwtPublicKeyPEM != other.jwtPublicKeyPEM
            case .jwtJWKSFile: return self.jwtJWKS != other.jwtJWKS
            case .redis: return self.redis != other.redis
            default: return self.text(of: key) != other.text(of: key)
            }
        }
    }
}
