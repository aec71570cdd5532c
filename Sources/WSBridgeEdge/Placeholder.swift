// WSBridgeEdge
