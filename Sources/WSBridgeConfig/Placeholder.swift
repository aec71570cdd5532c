// WSBridgeConfig
