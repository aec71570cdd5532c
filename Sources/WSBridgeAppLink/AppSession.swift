import NIOCore
import WSBridgeCore
import WSBridgeProtocol

/// A session an app registered for a user: deliveries for that user reach the app as `deliver` events.
/// Lives in the shard of the app connection's event loop.
final class AppSession: Session {
    let id: String
    private unowned let app: AppConnection

    init(id: String, user: String, app: AppConnection) {
        self.id = id
        self.app = app
        super.init(user: user)
    }

    override func deliver(_ delivery: Delivery) {
        self.app.write(.deliver(session: self.id, user: self.user, payload: delivery.payload, isBinary: delivery.isBinary))
    }

    override func flush() {
        self.app.flush()
    }
}
