#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import WSBridgeJSON

extension Base64 {
    /// Decodes `text` in `variant` into `Data` (what `JSONDecoder` reads) without an intermediate
    /// array; nil if it is not base64 of that variant.
    static func decodeData<Text: Collection>(_ text: Text, variant: Variant) -> Data? where Text.Element == UInt8 {
        guard let data = text.withContiguousStorageIfAvailable({ Self.decodeData(UnsafeRawBufferPointer($0), variant) }) else {
            return Array(text).withUnsafeBytes { Self.decodeData($0, variant) }
        }
        return data
    }

    private static func decodeData(_ text: UnsafeRawBufferPointer, _ variant: Variant) -> Data? {
        var data = Data(count: Self.decodedCapacity(text.count))
        guard let count = data.withUnsafeMutableBytes({ Self.decode(text, variant: variant, into: $0) }) else { return nil }
        data.count = count
        return data
    }
}
