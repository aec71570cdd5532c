import NIOCore
import WSBridgeCore
import WSBridgeProtocol
@testable import WSBridgeAppLink
import XCTest

/// The app protocol's rules without a channel: requests in, actions out.
final class AppConnectionStateMachineTests: XCTestCase {
    typealias Machine = AppConnectionStateMachine
    typealias Ticket = ReplySequencer.Ticket

    private let app = Machine.App(id: 5, name: "chat", isTool: false)
    /// The sessions the machine had made, in order.
    private var made: [(Machine.Registration, Session)] = []

    private func receive(_ machine: inout Machine, _ request: AppRequest) -> Machine.Action {
        machine.receive(request, newAppID: { 5 }) { registration in
            let session = Session(user: registration.user)
            self.made.append((registration, session))
            return session
        }
    }

    private func hello(_ version: Int = 1, id: Int = 0) -> AppRequest {
        .hello(id: RequestID(id), protocolVersion: version, name: "chat", paths: ["/ws"], tool: false, presenceEvents: true)
    }

    private func attached() -> Machine {
        var machine = Machine()
        _ = self.receive(&machine, self.hello())
        return machine
    }

    func testHelloComesFirstAndOnceThenRequestsAreServed() {
        var machine = Machine()
        let publish = AppRequest.publish(id: RequestID(1), target: .all, data: .text(ByteBuffer(string: "x")))
        XCTAssertEqual(self.receive(&machine, publish), .fail(Ticket(number: 0), .helloRequired(id: RequestID(1), request: "publish")))
        XCTAssertEqual(self.receive(&machine, self.hello(2)), .fail(Ticket(number: 1), .unsupportedProtocol(id: RequestID(0), version: 2)))
        XCTAssertEqual(machine.state, .awaitingHello, "the app may say hello again with a version the daemon speaks")
        XCTAssertEqual(
            self.receive(&machine, self.hello()),
            .attach(Ticket(number: 2), .init(id: RequestID(0), app: self.app, paths: ["/ws"], presenceEvents: true)))
        XCTAssertEqual(machine.state, .attached(self.app))
        XCTAssertEqual(self.receive(&machine, self.hello(id: 3)), .fail(Ticket(number: 3), .duplicateHello(id: RequestID(3))))
        XCTAssertEqual(self.receive(&machine, .ping(id: RequestID(4))), .reply(Ticket(number: 4), .pong(id: RequestID(4))))
        XCTAssertEqual(self.receive(&machine, publish), .serve(Ticket(number: 5), publish, self.app))
        let accept = AppRequest.accept(id: nil, conn: "c1", user: "a")
        XCTAssertEqual(self.receive(&machine, accept), .serve(Ticket(number: 6), accept, self.app))
    }

    func testAnAppsSessionsAreItsOwnAndSinceMustBeAPosition() throws {
        var machine = self.attached()
        let registered = self.receive(&machine, .register(id: RequestID(1), session: "s1", user: "alice", since: nil))
        let (registration, session) = try XCTUnwrap(self.made.first)
        XCTAssertEqual(registered, .register(session))
        XCTAssertEqual(registration, .init(ticket: Ticket(number: 1), id: RequestID(1), session: "s1", user: "alice", since: nil))
        XCTAssertEqual(
            self.receive(&machine, .register(id: RequestID(2), session: "s1", user: "bob", since: nil)),
            .fail(Ticket(number: 2), .duplicateSession(id: RequestID(2), session: "s1")))
        guard case .fail(_, let error) = self.receive(&machine, .register(id: RequestID(3), session: "s2", user: "bob", since: "later")) else {
            return XCTFail("a since that is not a position is refused")
        }
        XCTAssertEqual(error.code, .badField)
        _ = self.receive(&machine, .register(id: RequestID(4), session: "s3", user: "bob", since: "a-1.b-2"))
        XCTAssertEqual(self.made.map(\.0.session), ["s1", "s3"], "no session is made for a refused register")
        XCTAssertEqual(self.made.last?.0.since, SessionPosition("a-1.b-2"))
        XCTAssertEqual(self.receive(&machine, .unregister(id: nil, session: "s1")), .unregister(Ticket(number: 5), nil, session))
        XCTAssertEqual(
            self.receive(&machine, .unregister(id: nil, session: "s1")), .fail(Ticket(number: 6), .unknownSession(id: nil, session: "s1")))
    }

    func testRepliesLeaveInTheOrderOfTheirRequests() {
        var machine = self.attached()
        XCTAssertEqual(machine.complete(Ticket(number: 0), with: .ok(id: RequestID(0))), [.ok(id: RequestID(0))])
        XCTAssertEqual(machine.complete(Ticket(number: 2), with: .pong(id: RequestID(2))), [], "the publish before it has no reply yet")
        XCTAssertEqual(machine.complete(Ticket(number: 1), with: .ok(id: RequestID(1))), [.ok(id: RequestID(1)), .pong(id: RequestID(2))])
    }

    func testAFrameThatIsNotARequestIsAnsweredInItsTurn() {
        var machine = Machine()
        let error = AppProtocolError(code: .invalidJSON, message: "no")
        XCTAssertEqual(machine.unreadable(error), .fail(Ticket(number: 0), error))
        _ = self.receive(&machine, self.hello())
        XCTAssertEqual(machine.unreadable(error), .fail(Ticket(number: 2), error))
    }

    func testOnlyAnAttachedAppIsDisconnectedAsSlow() {
        var machine = Machine()
        XCTAssertNil(machine.becameUnwritable(queueLimit: 100))
        _ = self.receive(&machine, self.hello())
        XCTAssertEqual(machine.becameUnwritable(queueLimit: 100), .fail(Ticket(number: 1), .slowConsumer(limit: 100)))
        XCTAssertTrue(AppProtocolError.slowConsumer(limit: 100).closesConnection)
    }

    func testTheShutdownIsToldOnceAndOnlyToAnAttachedApp() {
        var machine = Machine()
        XCTAssertFalse(machine.announceShutdown(), "an app that has not said hello is told after its welcome")
        _ = self.receive(&machine, self.hello())
        XCTAssertTrue(machine.announceShutdown())
        XCTAssertFalse(machine.announceShutdown())
    }

    func testWhatTheAppHeldGoesWithItOnce() throws {
        var machine = self.attached()
        _ = self.receive(&machine, .register(id: nil, session: "s1", user: "alice", since: nil))
        _ = self.receive(&machine, .register(id: nil, session: "s2", user: "bob", since: nil))
        _ = self.receive(&machine, .unregister(id: nil, session: "s1"))
        let departure = try XCTUnwrap(machine.closed())
        XCTAssertEqual(departure.app, self.app)
        XCTAssertEqual(departure.sessions.map(\.user), ["bob"])
        XCTAssertNil(machine.closed(), "cleaned up once")
        XCTAssertEqual(self.receive(&machine, .ping(id: nil)), .none, "nothing is served once closed")
        XCTAssertEqual(machine.unreadable(AppProtocolError(code: .invalidJSON, message: "late")), .none)
        XCTAssertFalse(machine.announceShutdown())
    }

    func testAConnectionThatNeverSaidHelloLeavesNothingAndCannotAttachAfter() {
        var machine = Machine()
        XCTAssertNil(machine.closed())
        XCTAssertEqual(self.receive(&machine, self.hello()), .none)
        XCTAssertEqual(machine.state, .closed)
    }
}
