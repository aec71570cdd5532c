#ifndef WSBRIDGE_CSYSTEMD_SHIM_H
#define WSBRIDGE_CSYSTEMD_SHIM_H
// Socket activation and readiness notification: sd_listen_fds_with_names, sd_notify, sd_watchdog_enabled.
#include <systemd/sd-daemon.h>
#endif
