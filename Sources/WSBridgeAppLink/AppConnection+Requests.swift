import NIOCore
import WSBridgeCore
import WSBridgeProtocol

extension AppConnection {
    /// Performs one of the machine's actions.
    func perform(_ action: AppConnectionStateMachine.Action) {
        switch action {
        case .none:
            break
        case .fail(let ticket, let error):
            self.replyError(ticket, error)
        case .attach(let ticket, let hello):
            self.attach(ticket, hello)
        case .register(let session):
            self.context.map { self.link.router.shard(for: $0.eventLoop).add(session) }
        case .unregister(let ticket, let id, let session):
            self.context.map { self.link.router.shard(for: $0.eventLoop).remove(session) }
            self.reply(ticket, .ok(id: id))
        case .reply(let ticket, let event):
            self.reply(ticket, event)
        case .serve(let ticket, let request, let app):
            self.serve(ticket, request, app: app)
        }
    }

    private func attach(_ ticket: ReplySequencer.Ticket, _ hello: AppConnectionStateMachine.Hello) {
        guard let context = self.context else { return }
        let name = hello.app.name
        let app = AppHandle(
            id: hello.app.id, name: name, paths: hello.paths, isTool: hello.app.isTool, presenceEvents: hello.presenceEvents,
            peer: self.peer, connection: self, eventLoop: context.eventLoop
        )
        self.logger[metadataKey: "wsb.app"] = "\(name)"
        self.link.directory.attach(app)
        if hello.presenceEvents {
            self.link.presenceListenerDidAttach()
        }
        if hello.app.isTool {
            // `wsbridge status` and `publish`: not an app an operator runs, so not counted, and not noticed.
            self.logger.debug("tool attached")
        } else {
            self.link.counters.appsAttached.wrappingIncrement(ordering: .relaxed)
            self.link.counters.attaches.wrappingIncrement(ordering: .relaxed)
            self.logger.notice("app attached", metadata: ["wsb.paths": "\(hello.paths.joined(separator: ","))"])
        }
        let settings = self.link.settings
        let limits = AppLimits(
            maxFrameBytes: settings.maxFrameBytes, maxQueueBytes: settings.maxQueueBytes,
            connectTimeoutMilliseconds: Int(settings.connectTimeout.nanoseconds / 1_000_000)
        )
        self.reply(ticket, .welcome(id: hello.id, node: settings.nodeID, version: self.link.version, limits: limits))
        // Read after the directory has the app: the drain sets its flag before it tells the apps it has,
        // so an app attaching meanwhile hears of it one way or the other (the machine tells it once).
        if let drain = self.link.shutdownAnnouncement {
            self.announceShutdown(drainMilliseconds: drain)
        }
    }

    /// The requests whose work is outside the connection: deciding connects, publishing, status,
    /// presence, and acting on the app's connections.
    private func serve(_ ticket: ReplySequencer.Ticket, _ request: AppRequest, app: AppConnectionStateMachine.App) {
        switch request {
        case .accept(let id, let conn, let user):
            self.decide(ticket, id: id, conn: conn, app: app, decision: .accept(user: user))
        case .reject(let id, let conn, let status, let reason):
            let decision = HandshakeDecision.reject(status: HandshakeStatus(code: status), reason: reason, kind: .appRejected)
            self.decide(ticket, id: id, conn: conn, app: app, decision: decision)
        case .publish(let id, let target, let data, let receipt):
            let deliveryTarget = DeliveryTarget(target)
            let envelope = EnvelopeText.make(target: deliveryTarget, data: EnvelopeText.Data(data))
            let publication = AppPublication(envelope: envelope, target: deliveryTarget, receipt: receipt)
            self.answer(ticket, when: self.link.publish(publication)) { result in
                switch result {
                case .success(let outcome): .success(.ok(id: id, positions: outcome.positions, receipt: outcome.receipt))
                case .failure(let error): .failure(.publishFailed(id: id, reason: "\(error)"))
                }
            }
        case .presence(let id, let users):
            self.answer(ticket, when: self.link.presence(users)) { result in
                switch result {
                case .success(let answer): .success(.presence(id: id, users: answer))
                case .failure(let error): .failure(.presenceUnavailable(id: id, reason: "\(error)"))
                }
            }
        case .status(let id):
            self.answer(ticket, when: self.link.status()) { result in
                switch result {
                case .success(let body): .success(.status(id: id, body: body))
                case .failure(let error): .failure(.internal(id: id, reason: "status unavailable: \(error)"))
                }
            }
        case .send(let id, let conn, let data):
            guard let handle = self.connection(ticket, id: id, conn, app: app) else { return }
            handle.send(data.payload, isBinary: data.isBinary)
            self.reply(ticket, .ok(id: id))
        case .close(let id, let conn, let code, let reason):
            guard let handle = self.connection(ticket, id: id, conn, app: app) else { return }
            handle.close(CloseCode(rawValue: UInt16(clamping: code)), reason: reason)
            self.reply(ticket, .ok(id: id))
        case .hello, .register, .unregister, .ping:
            preconditionFailure("the state machine answers \(request.type) itself")
        }
    }

    /// Answers `ticket` with what `future` comes to, on the app's event loop; an `error` is counted and
    /// logged like any other.
    private func answer<Value: Sendable>(
        _ ticket: ReplySequencer.Ticket, when future: EventLoopFuture<Value>,
        _ reply: @escaping @Sendable (Result<Value, any Error>) -> Result<AppEvent, AppProtocolError>
    ) {
        guard let context = self.context else { return }
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        future.hop(to: context.eventLoop).whenComplete { result in
            switch reply(result) {
            case .success(let event): loopBound.value.reply(ticket, event)
            case .failure(let error): loopBound.value.replyError(ticket, error)
            }
        }
    }

    private func decide(
        _ ticket: ReplySequencer.Ticket, id: RequestID?, conn: String, app: AppConnectionStateMachine.App, decision: HandshakeDecision
    ) {
        guard let connection = ConnectionID(Substring(conn)) else {
            self.replyError(ticket, .unknownConn(id: id, conn: conn))
            return
        }
        guard let context = self.context else { return }
        let opened = decision.isAccept ? context.eventLoop.makePromise(of: Void.self) : nil
        switch self.link.directory.resolve(connection, by: app.id, accepted: opened) {
        case .resolved(let promise):
            promise.succeed(decision)
            guard let opened else {
                self.reply(ticket, .ok(id: id))
                return
            }
            // `ok` once the client is upgraded, so that a `send` right after it finds the connection.
            self.answer(ticket, when: opened.futureResult) { result in
                switch result {
                case .success: .success(.ok(id: id))
                case .failure: .failure(.unknownConn(id: id, conn: conn))
                }
            }
        case .notPending:
            opened?.succeed()  // unused: complete it so it is not leaked
            self.replyError(ticket, .notPending(id: id, conn: conn))
        case .unknown:
            opened?.succeed()
            self.replyError(ticket, .unknownConn(id: id, conn: conn))
        }
    }

    private func connection(
        _ ticket: ReplySequencer.Ticket, id: RequestID?, _ conn: String, app: AppConnectionStateMachine.App
    ) -> ConnectionHandle? {
        guard let connection = ConnectionID(Substring(conn)),
            let handle = self.link.directory.connection(connection, pinnedTo: app.id)
        else {
            self.replyError(ticket, .unknownConn(id: id, conn: conn))
            return nil
        }
        return handle
    }
}

extension HandshakeDecision {
    var isAccept: Bool {
        if case .accept = self { return true }
        return false
    }
}

extension DeliveryTarget {
    init(_ target: AppTarget) {
        switch target {
        case .user(let user): self = .user(user)
        case .users(let users): self = .users(users)
        case .all: self = .all
        }
    }
}

extension EnvelopeText.Data {
    init(_ data: AppData) {
        switch data {
        case .text(let text): self = .text(text)
        case .json(let json): self = .json(json)
        case .binary(let bytes): self = .binary(bytes)
        }
    }
}
