// WSBridgeAuth
