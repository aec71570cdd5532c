import NIOCore

/// NIO's `AdaptiveRecvByteBufferAllocator` (the same sizes, grown and shrunk on the same reads) in 13
/// bytes instead of 33. A channel keeps its receive allocator as an existential, whose inline buffer
/// holds three words: NIO's does not fit, so every channel boxed a copy of its own the first time it
/// recorded a read, 64 bytes per connection for as long as it lives. This one is stored in place.
///
/// Sizes are powers of two: `minimum` and `initial` rounded down, `maximum` up. After a read that filled
/// the buffer the next one is twice as large (up to `maximum`); after two reads in a row of at most
/// half of it, half as large (down to `minimum`).
struct CompactRecvAllocator: RecvByteBufferAllocator {
    private let minimum: UInt32
    private let maximum: UInt32
    private var next: UInt32
    /// The last read was small: the next small one shrinks the buffer.
    private var decreaseNow = false

    /// Sizes up to 1 GiB, as NIO's.
    init(minimum: Int, initial: Int, maximum: Int) {
        precondition(0 <= minimum && minimum <= initial && initial <= maximum, "\(minimum) ≤ \(initial) ≤ \(maximum)")
        let largest = 1 << 30
        self.minimum = UInt32(min(minimum, largest).previousPowerOfTwo)
        self.next = UInt32(min(initial, largest).previousPowerOfTwo)
        self.maximum = UInt32(min(maximum, largest).nextPowerOfTwo)
    }

    func buffer(allocator: ByteBufferAllocator) -> ByteBuffer {
        allocator.buffer(capacity: Int(self.next))
    }

    func nextBufferSize() -> Int? {
        Int(self.next)
    }

    mutating func record(actualReadBytes: Int) -> Bool {
        let lower = self.next >> 1
        let upper = self.next << 1
        if actualReadBytes <= lower && lower >= self.minimum {
            if self.decreaseNow {
                self.next = lower
            }
            self.decreaseNow.toggle()
            return false
        }
        self.decreaseNow = false
        guard actualReadBytes >= self.next, upper <= self.maximum else { return false }
        self.next = upper
        return true
    }
}

extension Int {
    /// The largest power of two at most `self` (0 for 0).
    fileprivate var previousPowerOfTwo: Int {
        self <= 0 ? 0 : 1 << (Int.bitWidth - 1 - self.leadingZeroBitCount)
    }

    /// The smallest power of two at least `self` (1 for 0 and 1).
    fileprivate var nextPowerOfTwo: Int {
        self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount)
    }
}
