// WSBridgeBroker
