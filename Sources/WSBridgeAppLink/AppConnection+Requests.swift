import NIOCore
import WSBridgeCore
import WSBridgeProtocol

extension AppConnection {
    func handle(_ request: AppRequest) {
        guard case .attached(let app) = self.state else {
            if case .hello(let id, let version, let name, let paths, let tool, let presenceEvents) = request {
                self.hello(id: id, version: version, name: name, paths: paths, tool: tool, presenceEvents: presenceEvents)
            } else {
                self.fail(.helloRequired(id: request.id, request: request.type))
            }
            return
        }
        let ticket = self.replies.take()
        switch request {
        case .hello(let id, _, _, _, _, _):
            self.replyError(ticket, .duplicateHello(id: id))
        case .accept(let id, let conn, let user):
            self.decide(ticket, id: id, conn: conn, app: app, decision: .accept(user: user))
        case .reject(let id, let conn, let status, let reason):
            let decision = HandshakeDecision.reject(status: HandshakeStatus(code: status), reason: reason, kind: .appRejected)
            self.decide(ticket, id: id, conn: conn, app: app, decision: decision)
        case .register(let id, let session, let user, let since):
            self.register(ticket, id: id, session: session, user: user, since: since)
        case .unregister(let id, let session):
            self.unregister(ticket, id: id, session: session)
        case .publish(let id, let target, let data, let receipt):
            self.publish(ticket, id: id, target: target, data: data, receipt: receipt)
        case .presence(let id, let users):
            guard let context = self.context else { return }
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            self.link.presence(users).hop(to: context.eventLoop).whenComplete { result in
                switch result {
                case .success(let answer):
                    loopBound.value.reply(ticket, .presence(id: id, users: answer))
                case .failure(let error):
                    loopBound.value.replyError(ticket, .presenceUnavailable(id: id, reason: "\(error)"))
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
        case .ping(let id):
            self.reply(ticket, .pong(id: id))
        case .status(let id):
            guard let context = self.context else { return }
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            self.link.status().hop(to: context.eventLoop).whenComplete { result in
                switch result {
                case .success(let body):
                    loopBound.value.reply(ticket, .status(id: id, body: body))
                case .failure(let error):
                    loopBound.value.replyError(ticket, .internal(id: id, reason: "status unavailable: \(error)"))
                }
            }
        }
    }

    private func hello(id: RequestID?, version: Int, name: String, paths: [String], tool: Bool, presenceEvents: Bool) {
        guard version == AppProtocol.version else {
            self.fail(.unsupportedProtocol(id: id, version: version))
            return
        }
        guard let context = self.context else { return }
        let app = AppHandle(
            id: self.link.directory.makeAppID(), name: name, paths: paths, isTool: tool, presenceEvents: presenceEvents,
            peer: self.peer,
            connection: self, eventLoop: context.eventLoop
        )
        self.state = .attached(app)
        self.logger[metadataKey: "wsb.app"] = "\(name)"
        self.link.directory.attach(app)
        if presenceEvents {
            self.link.presenceListenerDidAttach()
        }
        if tool {
            // `wsbridge status` and `publish`: not an app an operator runs, so not counted, and not noticed.
            self.logger.debug("tool attached")
        } else {
            self.link.counters.appsAttached.wrappingIncrement(ordering: .relaxed)
            self.link.counters.attaches.wrappingIncrement(ordering: .relaxed)
            self.logger.notice("app attached", metadata: ["wsb.paths": "\(paths.joined(separator: ","))"])
        }
        let settings = self.link.settings
        let limits = AppLimits(
            maxFrameBytes: settings.maxFrameBytes, maxQueueBytes: settings.maxQueueBytes,
            connectTimeoutMilliseconds: Int(settings.connectTimeout.nanoseconds / 1_000_000)
        )
        self.reply(self.replies.take(), .welcome(id: id, node: settings.nodeID, version: self.link.version, limits: limits))
    }

    private func decide(_ ticket: ReplySequencer.Ticket, id: RequestID?, conn: String, app: AppHandle, decision: HandshakeDecision) {
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
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            opened.futureResult.whenComplete { result in
                switch result {
                case .success: loopBound.value.reply(ticket, .ok(id: id))
                case .failure: loopBound.value.replyError(ticket, .unknownConn(id: id, conn: conn))
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

    /// Registers the session; its `ok` comes once its recovery is done (``AppSession``).
    private func register(_ ticket: ReplySequencer.Ticket, id: RequestID?, session: String, user: String, since text: String?) {
        guard self.sessions[session] == nil, let context = self.context else {
            self.replyError(ticket, .duplicateSession(id: id, session: session))
            return
        }
        var since: SessionPosition?
        if let text, !text.isEmpty {
            guard let position = SessionPosition(text) else {
                self.replyError(
                    ticket,
                    AppProtocolError(
                        code: .badField,
                        message: "\"since\" must be the pos of a deliver event (USERPOS.ALLPOS), got \"\(text.prefix(64))\"",
                        id: id))
                return
            }
            since = position
        }
        let appSession = AppSession(id: session, user: user, since: since, app: self, reply: (ticket, id))
        self.sessions[session] = appSession
        self.link.router.shard(for: context.eventLoop).add(appSession)
    }

    private func unregister(_ ticket: ReplySequencer.Ticket, id: RequestID?, session: String) {
        guard let appSession = self.sessions.removeValue(forKey: session), let context = self.context else {
            self.replyError(ticket, .unknownSession(id: id, session: session))
            return
        }
        self.link.router.shard(for: context.eventLoop).remove(appSession)
        self.reply(ticket, .ok(id: id))
    }

    private func publish(_ ticket: ReplySequencer.Ticket, id: RequestID?, target: AppTarget, data: AppData, receipt: Bool) {
        guard let context = self.context else { return }
        let deliveryTarget = DeliveryTarget(target)
        let envelope = EnvelopeText.make(target: deliveryTarget, data: EnvelopeText.Data(data))
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let publication = AppPublication(envelope: envelope, target: deliveryTarget, receipt: receipt)
        self.link.publish(publication).hop(to: context.eventLoop).whenComplete { result in
            switch result {
            case .success(let outcome):
                loopBound.value.reply(ticket, .ok(id: id, positions: outcome.positions, receipt: outcome.receipt))
            case .failure(let error):
                loopBound.value.replyError(ticket, .publishFailed(id: id, reason: "\(error)"))
            }
        }
    }

    private func connection(_ ticket: ReplySequencer.Ticket, id: RequestID?, _ conn: String, app: AppHandle) -> ConnectionHandle? {
        guard let connection = ConnectionID(Substring(conn)),
            let handle = self.link.directory.connection(connection, pinnedTo: app.id)
        else {
            self.replyError(ticket, .unknownConn(id: id, conn: conn))
            return nil
        }
        return handle
    }

    func replyError(_ ticket: ReplySequencer.Ticket, _ error: AppProtocolError) {
        self.noteError(error)
        self.reply(ticket, .failure(error))
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
        case .text(let text): self = .text(String(buffer: text))
        case .json(let json): self = .json(String(buffer: json))
        case .binary(let bytes): self = .binary(Array(bytes.readableBytesView))
        }
    }
}
