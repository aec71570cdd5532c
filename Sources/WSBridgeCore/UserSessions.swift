/// One user's sessions in a ``Shard``, in the order they came. Most users hold one session on a node:
/// it is kept as it is, in the word the shard's map has for it; a second one makes an array. (An array
/// of one session is an allocation of 48 bytes, made for every user.)
struct UserSessions: RandomAccessCollection {
    private enum Storage {
        case one(Session)
        /// Two sessions or more.
        case many([Session])
    }

    private var storage: Storage

    init(_ session: Session) {
        self.storage = .one(session)
    }

    var startIndex: Int { 0 }

    var endIndex: Int {
        switch self.storage {
        case .one: 1
        case .many(let sessions): sessions.count
        }
    }

    subscript(position: Int) -> Session {
        switch self.storage {
        case .one(let session):
            precondition(position == 0, "index out of range")
            return session
        case .many(let sessions):
            return sessions[position]
        }
    }

    mutating func append(_ session: Session) {
        switch self.storage {
        case .one(let first):
            self.storage = .many([first, session])
        case .many(var sessions):
            self.storage = .one(session)  // lets go of the array, so that the append does not copy it
            sessions.append(session)
            self.storage = .many(sessions)
        }
    }

    /// These sessions without `session` (the same ones if it is not among them); nil when none is left.
    func removing(_ session: Session) -> UserSessions? {
        switch self.storage {
        case .one(let only):
            return only === session ? nil : self
        case .many(var sessions):
            guard let position = sessions.firstIndex(where: { $0 === session }) else { return self }
            sessions.remove(at: position)
            var rest = self
            rest.storage = sessions.count == 1 ? .one(sessions[0]) : .many(sessions)
            return rest
        }
    }
}
