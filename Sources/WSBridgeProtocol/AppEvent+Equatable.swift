import NIOCore

// `connect` carries its headers as an array of tuples, which keeps the compiler from synthesising
// `Equatable`; this is the member-by-member comparison it would have written.

extension AppEvent: Equatable {
    /// Whether two events are the same case with equal members. Headers compare in order, names and
    /// values as they stand (the encoder's lower-casing and joining is not applied here).
    public static func == (lhs: AppEvent, rhs: AppEvent) -> Bool {
        switch (lhs, rhs) {
        case let (.welcome(id1, node1, version1, limits1), .welcome(id2, node2, version2, limits2)):
            return id1 == id2 && node1 == node2 && version1 == version2 && limits1 == limits2
        case let (.connect(conn1, path1, query1, headers1, remote1, user1), .connect(conn2, path2, query2, headers2, remote2, user2)):
            return conn1 == conn2 && path1 == path2 && query1 == query2 && remote1 == remote2 && user1 == user2
                && headers1.elementsEqual(headers2) { $0.name == $1.name && $0.value == $1.value }
        case let (.message(conn1, user1, payload1, binary1), .message(conn2, user2, payload2, binary2)):
            return conn1 == conn2 && user1 == user2 && payload1 == payload2 && binary1 == binary2
        case let (.closed(conn1, user1, code1, reason1), .closed(conn2, user2, code2, reason2)):
            return conn1 == conn2 && user1 == user2 && code1 == code2 && reason1 == reason2
        case let (.deliver(session1, user1, payload1, binary1, pos1), .deliver(session2, user2, payload2, binary2, pos2)):
            return session1 == session2 && user1 == user2 && payload1 == payload2 && binary1 == binary2 && pos1 == pos2
        case let (.ok(id1, pos1, positions1, receipt1), .ok(id2, pos2, positions2, receipt2)):
            return id1 == id2 && pos1 == pos2 && positions1 == positions2 && receipt1 == receipt2
        case let (.presence(id1, users1), .presence(id2, users2)):
            return id1 == id2 && users1 == users2
        case let (.presenceChanged(event1), .presenceChanged(event2)):
            return event1 == event2
        case let (.pong(id1), .pong(id2)):
            return id1 == id2
        case let (.gap(gap1), .gap(gap2)):
            return gap1 == gap2
        case let (.error(id1, code1, message1), .error(id2, code2, message2)):
            return id1 == id2 && code1 == code2 && message1 == message2
        case let (.shutdown(drain1), .shutdown(drain2)):
            return drain1 == drain2
        case let (.status(id1, body1), .status(id2, body2)):
            return id1 == id2 && body1 == body2
        default:
            return false
        }
    }
}
