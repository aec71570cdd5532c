/// The product version, reported by `wsbridge --version`, in `welcome` and in logs.
public enum WSBridgeVersion {
    public static let string = "0.1.0"
}
