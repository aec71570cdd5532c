#ifndef WSBRIDGE_CHIREDIS_SHIM_H
#define WSBRIDGE_CHIREDIS_SHIM_H
// hiredis is used only as a RESP codec (redisReader*, redisFormatCommandArgv): SwiftNIO owns the socket.
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#endif
