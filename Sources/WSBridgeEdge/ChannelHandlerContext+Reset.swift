import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ChannelHandlerContext {
    /// Closes the connection with a reset (SO_LINGER 0) instead of a FIN: for a client that did not take
    /// what it was sent in time. A plain close would leave whatever it never read in an orphaned kernel
    /// socket, retransmitted for minutes.
    func reset() {
        if let options = self.channel as? SocketOptionProvider {
            _ = options.setSoLinger(linger(l_onoff: 1, l_linger: 0))
        }
        self.close(promise: nil)
    }
}
