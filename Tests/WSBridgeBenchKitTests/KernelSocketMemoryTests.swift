import XCTest

@testable import WSBridgeBenchKit

final class KernelSocketMemoryTests: XCTestCase {
    func testSockstatAndSlabinfoAreRead() {
        let sockstat = """
            sockets: used 2088
            TCP: inuse 2011 orphan 0 tw 7185 alloc 2011 mem 364
            UDP: inuse 0 mem 0
            FRAG: inuse 0 memory 0

            """
        let sockstat6 = "TCP6: inuse 26\nUDP6: inuse 0\n"
        let slabinfo = """
            slabinfo - version: 2.1
            # name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>
            TCPv6                 26     26   2496   13    8 : tunables    0    0    0 : slabdata      2      2      0
            TCP                 2015   2015   2368   13    8 : tunables    0    0    0 : slabdata    155    155      0
            eventpoll_epi       5216   5216    128   32    1 : tunables    0    0    0 : slabdata    163    163      0
            sock_inode_cache    2165   2166    832   19    4 : tunables    0    0    0 : slabdata    114    114      0
            filp                3633   3633    192   21    1 : tunables    0    0    0 : slabdata    173    173      0
            kmalloc-64          9000   9000     64   64    1 : tunables    0    0    0 : slabdata    100    100      0

            """
        let memory = KernelSocketMemory(sockstat: sockstat, sockstat6: sockstat6, slabinfo: slabinfo)
        XCTAssertEqual(memory.socketsUsed, 2088)
        XCTAssertEqual(memory.tcpSockets, 2011 + 26)
        XCTAssertEqual(memory.tcpBufferPages, 364)
        XCTAssertEqual(memory.socketSlabBytes, 26 * 2496 + 2015 * 2368 + 2165 * 832)
    }

    func testWhatIsMissingCountsNothing() {
        let memory = KernelSocketMemory(sockstat: "sockets: used 3\n", sockstat6: nil, slabinfo: nil)
        XCTAssertEqual(memory, KernelSocketMemory(sockstat: "sockets: used 3", sockstat6: "", slabinfo: nil))
        XCTAssertEqual(memory.tcpSockets, 0)
        XCTAssertEqual(memory.tcpBufferPages, 0)
        XCTAssertNil(memory.socketSlabBytes)
        XCTAssertNil(KernelSocketMemory.socketSlabBytes("slabinfo - version: 2.1\nkmalloc-64 1 1 64 64 1\n"))
    }
}
