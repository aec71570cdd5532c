// WSBridgeCore
