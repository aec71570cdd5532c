// WSBridgeDaemon
