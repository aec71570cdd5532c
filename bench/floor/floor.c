/*
 * floor: the cheapest server that does what a WebSocket fan-out daemon must do, with no framework.
 *
 * One thread, one epoll loop. It accepts the WebSocket upgrade (answers 101 with the right
 * Sec-WebSocket-Accept, takes the user from ?user=uN in the request line), holds the connections,
 * and takes RESP `PUBLISH channel envelope` commands on a control socket -- the same bytes the load
 * tool sends Redis -- where envelope is wsbridge's native {"user":"uN","data":"..."} or
 * {"all":true,"data":"..."}. For each one it encodes the text frame once and write()s it to the one
 * user's connections or to every connection, then answers `:N` (recipients) like Redis.
 *
 * Its CPU per write is the floor: a daemon that writes once per delivery cannot go below it.
 * See docs/benchmarks.md. Loopback addresses only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_HEAD 8192
#define MAX_PENDING (1 << 20) /* like wsbridge's max_queue_bytes: a client further behind is cut off */
#define MAX_CONTROL_BUF (4 << 20)
#define MAX_EVENTS 512

enum kind { K_FREE = 0, K_WS_LISTEN, K_CTL_LISTEN, K_HANDSHAKE, K_OPEN, K_CONTROL };

struct conn {
    enum kind kind;
    int user;          /* -1: none */
    int next_of_user;  /* fd of the next connection of the same user, -1: end */
    int prev_of_user;
    int all_index;     /* index in the all[] array */
    char *in;          /* handshake head or control commands */
    size_t in_len, in_cap;
    char *out;         /* bytes not yet written */
    size_t out_len, out_off, out_cap;
};

static struct conn *conns;
static int max_fds;
static int *all;
static int all_count;
static int *user_head;
static int user_cap;
static int ep;
static volatile sig_atomic_t stopping;
static unsigned long long stat_messages, stat_writes, stat_cut;

/* ---- SHA-1 (RFC 3174) and base64, for Sec-WebSocket-Accept ---- */

static uint32_t rol(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

static void sha1(const unsigned char *data, size_t len, unsigned char out[20]) {
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    size_t total = ((len + 8) / 64 + 1) * 64;
    unsigned char *msg = calloc(total, 1);
    if (!msg) { memset(out, 0, 20); return; }
    memcpy(msg, data, len);
    msg[len] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) msg[total - 1 - i] = (unsigned char)(bits >> (8 * i));
    for (size_t chunk = 0; chunk < total; chunk += 64) {
        uint32_t w[80];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)msg[chunk + 4 * i] << 24 | (uint32_t)msg[chunk + 4 * i + 1] << 16 |
                   (uint32_t)msg[chunk + 4 * i + 2] << 8 | msg[chunk + 4 * i + 3];
        for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
            else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
            else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
            else { f = b ^ c ^ d; k = 0xCA62C1D6; }
            uint32_t t = rol(a, 5) + f + e + k + w[i];
            e = d; d = c; c = rol(b, 30); b = a; a = t;
        }
        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
    }
    free(msg);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (unsigned char)(h[i] >> (24 - 8 * j));
}

static void base64(const unsigned char *in, size_t len, char *out) {
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t n = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < len ? in[i + 2] : 0);
        out[o++] = t[n >> 18 & 63];
        out[o++] = t[n >> 12 & 63];
        out[o++] = i + 1 < len ? t[n >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? t[n & 63] : '=';
    }
    out[o] = 0;
}

/* ---- connections ---- */

static void watch(int fd, uint32_t events, int op) {
    struct epoll_event ev = {.events = events, .data.fd = fd};
    if (epoll_ctl(ep, op, fd, &ev) != 0 && op != EPOLL_CTL_DEL) perror("epoll_ctl");
}

static void unlink_user(int fd) {
    struct conn *c = &conns[fd];
    if (c->user < 0) return;
    if (c->prev_of_user >= 0) conns[c->prev_of_user].next_of_user = c->next_of_user;
    else user_head[c->user] = c->next_of_user;
    if (c->next_of_user >= 0) conns[c->next_of_user].prev_of_user = c->prev_of_user;
    c->user = -1;
}

static void drop(int fd) {
    struct conn *c = &conns[fd];
    if (c->kind == K_OPEN) {
        unlink_user(fd);
        int last = all[--all_count];
        all[c->all_index] = last;
        conns[last].all_index = c->all_index;
    }
    free(c->in);
    free(c->out);
    memset(c, 0, sizeof *c);
    c->user = -1;
    close(fd);
}

static int append(char **buf, size_t *len, size_t *cap, const char *data, size_t n, size_t limit) {
    if (*len + n > limit) return -1;
    if (*len + n > *cap) {
        size_t cap2 = *cap ? *cap : 256;
        while (cap2 < *len + n) cap2 *= 2;
        char *p = realloc(*buf, cap2);
        if (!p) return -1;
        *buf = p;
        *cap = cap2;
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    return 0;
}

/* Writes at once when nothing is queued; queues what the socket did not take. 0 ok, -1 dropped. */
static int send_bytes(int fd, const char *data, size_t n) {
    struct conn *c = &conns[fd];
    size_t done = 0;
    if (c->out_len == c->out_off) {
        ssize_t w = write(fd, data, n);
        stat_writes++;
        if (w < 0 && errno != EAGAIN && errno != EINTR) { drop(fd); return -1; }
        if (w > 0) done = (size_t)w;
        if (done == n) return 0;
        c->out_len = c->out_off = 0;
        watch(fd, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
    } else if (c->out_off > 0) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (append(&c->out, &c->out_len, &c->out_cap, data + done, n - done, MAX_PENDING) != 0) {
        stat_cut++;
        drop(fd);
        return -1;
    }
    return 0;
}

static void flush_pending(int fd) {
    struct conn *c = &conns[fd];
    while (c->out_off < c->out_len) {
        ssize_t w = write(fd, c->out + c->out_off, c->out_len - c->out_off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) return;
        if (w <= 0) { drop(fd); return; }
        c->out_off += (size_t)w;
    }
    c->out_len = c->out_off = 0;
    watch(fd, EPOLLIN, EPOLL_CTL_MOD);
}

/* "u123" -> 123; -1 otherwise. */
static int parse_user(const char *s, size_t n) {
    if (n < 2 || n > 10 || s[0] != 'u') return -1;
    long v = 0;
    for (size_t i = 1; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v < 100000000 ? (int)v : -1;
}

static int ensure_user(int user) {
    if (user < user_cap) return 0;
    int cap = user_cap ? user_cap : 1024;
    while (cap <= user) cap *= 2;
    int *p = realloc(user_head, sizeof(int) * (size_t)cap);
    if (!p) return -1;
    for (int i = user_cap; i < cap; i++) p[i] = -1;
    user_head = p;
    user_cap = cap;
    return 0;
}

static void reply_status(int fd, const char *status) {
    char buf[256];
    int n = snprintf(buf, sizeof buf, "HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
    if (write(fd, buf, (size_t)n) < 0) { /* closing anyway */ }
    drop(fd);
}

static void handshake(int fd) {
    struct conn *c = &conns[fd];
    char *head = c->in;
    char *end = memmem(head, c->in_len, "\r\n\r\n", 4);
    if (!end) return;
    *end = 0;
    /* Request line: GET /path?user=uN HTTP/1.1 */
    if (strncmp(head, "GET ", 4) != 0) { reply_status(fd, "405 Method Not Allowed"); return; }
    char *line_end = strstr(head, "\r\n");
    int user = -1;
    char *q = memchr(head, '?', line_end ? (size_t)(line_end - head) : strlen(head));
    while (q && (!line_end || q < line_end)) {
        q++;
        if (strncmp(q, "user=", 5) == 0) {
            char *v = q + 5;
            size_t n = strcspn(v, "& \r");
            user = parse_user(v, n);
            break;
        }
        q = strchr(q, '&');
    }
    char *key = NULL;
    for (char *h = line_end; h && *h; h = strstr(h + 2, "\r\n")) {
        if (strncasecmp(h + 2, "Sec-WebSocket-Key:", 18) == 0) {
            key = h + 2 + 18;
            while (*key == ' ') key++;
            break;
        }
    }
    if (!key) { reply_status(fd, "400 Bad Request"); return; }
    size_t key_len = strcspn(key, " \r");
    char material[128];
    if (key_len > 64) { reply_status(fd, "400 Bad Request"); return; }
    memcpy(material, key, key_len);
    memcpy(material + key_len, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
    unsigned char digest[20];
    sha1((unsigned char *)material, key_len + 36, digest);
    char accept[32];
    base64(digest, 20, accept);
    char response[256];
    int n = snprintf(response, sizeof response,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
    free(c->in);
    c->in = NULL;
    c->in_len = c->in_cap = 0;
    c->kind = K_OPEN;
    c->all_index = all_count;
    all[all_count++] = fd;
    c->user = -1;
    c->next_of_user = c->prev_of_user = -1;
    if (user >= 0 && ensure_user(user) == 0) {
        c->user = user;
        c->next_of_user = user_head[user];
        if (user_head[user] >= 0) conns[user_head[user]].prev_of_user = fd;
        user_head[user] = fd;
    }
    send_bytes(fd, response, (size_t)n);
}

/* ---- control: RESP PUBLISH ---- */

/* Finds "key" in the JSON text (good enough for the envelopes the load tool writes). */
static const char *find(const char *s, size_t n, const char *key) {
    return memmem(s, n, key, strlen(key));
}

static long publish(const char *msg, size_t n) {
    static char *frame;
    static size_t frame_cap;
    const char *data = find(msg, n, "\"data\":\"");
    if (!data) return -1;
    data += 8;
    const char *data_end = memchr(data, '"', (size_t)(msg + n - data));
    if (!data_end) return -1;
    size_t len = (size_t)(data_end - data);
    size_t need = len + 10;
    if (need > frame_cap) {
        char *p = realloc(frame, need);
        if (!p) return -1;
        frame = p;
        frame_cap = need;
    }
    /* The frame is encoded once per message and written to every recipient. */
    size_t h = 0;
    frame[h++] = (char)0x81;
    if (len < 126) frame[h++] = (char)len;
    else if (len < 65536) { frame[h++] = 126; frame[h++] = (char)(len >> 8); frame[h++] = (char)len; }
    else { frame[h++] = 127; for (int i = 7; i >= 0; i--) frame[h++] = (char)((uint64_t)len >> (8 * i)); }
    memcpy(frame + h, data, len);
    size_t frame_len = h + len;
    stat_messages++;
    long recipients = 0;
    if (find(msg, n, "\"all\":true")) {
        /* Iterate backwards: a dropped connection swaps the last one into its slot. */
        for (int i = all_count - 1; i >= 0; i--) {
            if (i >= all_count) continue;
            if (send_bytes(all[i], frame, frame_len) == 0) recipients++;
        }
        return recipients;
    }
    const char *user = find(msg, n, "\"user\":\"");
    if (!user) return -1;
    user += 8;
    const char *user_end = memchr(user, '"', (size_t)(msg + n - user));
    if (!user_end) return -1;
    int u = parse_user(user, (size_t)(user_end - user));
    if (u < 0 || u >= user_cap) return 0;
    for (int fd = user_head[u], next; fd >= 0; fd = next) {
        next = conns[fd].next_of_user;
        if (send_bytes(fd, frame, frame_len) == 0) recipients++;
    }
    return recipients;
}

/* Parses one RESP array of bulk strings at buf; returns bytes used, 0 if incomplete, -1 if bad. */
static long resp_command(const char *buf, size_t len, const char **argv, size_t *argl, int max_args, int *argc) {
    const char *p = buf, *end = buf + len;
    if (p >= end) return 0;
    if (*p != '*') return -1;
    const char *nl = memmem(p, (size_t)(end - p), "\r\n", 2);
    if (!nl) return 0;
    long count = strtol(p + 1, NULL, 10);
    if (count < 1 || count > max_args) return -1;
    p = nl + 2;
    for (long i = 0; i < count; i++) {
        if (p >= end) return 0;
        if (*p != '$') return -1;
        nl = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!nl) return 0;
        long n = strtol(p + 1, NULL, 10);
        if (n < 0 || n > MAX_CONTROL_BUF) return -1;
        p = nl + 2;
        if (end - p < n + 2) return 0;
        argv[i] = p;
        argl[i] = (size_t)n;
        p += n + 2;
    }
    *argc = (int)count;
    return p - buf;
}

static void control_input(int fd) {
    struct conn *c = &conns[fd];
    char replies[65536];
    size_t rlen = 0;
    size_t off = 0;
    while (off < c->in_len) { /* each pass consumes a whole command or stops */
        const char *argv[4];
        size_t argl[4];
        int argc = 0;
        long used = resp_command(c->in + off, c->in_len - off, argv, argl, 4, &argc);
        if (used == 0) break;
        if (used < 0) { drop(fd); return; }
        off += (size_t)used;
        char reply[128];
        int n;
        if (argc == 3 && argl[0] == 7 && strncasecmp(argv[0], "PUBLISH", 7) == 0) {
            long r = publish(argv[2], argl[2]);
            if (conns[fd].kind != K_CONTROL) return; /* cannot happen: publish drops only clients */
            n = r < 0 ? snprintf(reply, sizeof reply, "-ERR not an envelope\r\n")
                      : snprintf(reply, sizeof reply, ":%ld\r\n", r);
        } else if (argc == 1 && argl[0] == 4 && strncasecmp(argv[0], "PING", 4) == 0) {
            n = snprintf(reply, sizeof reply, "+PONG\r\n");
        } else {
            n = snprintf(reply, sizeof reply, "-ERR floor knows PUBLISH and PING only\r\n");
        }
        if (rlen + (size_t)n > sizeof replies) {
            if (send_bytes(fd, replies, rlen) != 0) return;
            rlen = 0;
        }
        memcpy(replies + rlen, reply, (size_t)n);
        rlen += (size_t)n;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    if (rlen) send_bytes(fd, replies, rlen);
}

static void readable(int fd) {
    struct conn *c = &conns[fd];
    char buf[65536];
    for (int round = 0; round < 16; round++) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) { drop(fd); return; }
        if (c->kind == K_OPEN) {
            /* What clients send (pongs, a close) is read and dropped: the load tool closes by TCP. */
            continue;
        }
        size_t limit = c->kind == K_HANDSHAKE ? MAX_HEAD : MAX_CONTROL_BUF;
        if (append(&c->in, &c->in_len, &c->in_cap, buf, (size_t)n, limit) != 0) {
            if (c->kind == K_HANDSHAKE) reply_status(fd, "431 Request Header Fields Too Large");
            else drop(fd);
            return;
        }
        if (c->kind == K_HANDSHAKE) { handshake(fd); return; }
        control_input(fd);
        if (conns[fd].kind != K_CONTROL) return;
        if ((size_t)n < sizeof buf) return;
    }
}

static void accept_all(int listener, enum kind kind) {
    for (int round = 0; round < 1024; round++) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) fprintf(stderr, "floor: out of file descriptors\n");
            return;
        }
        if (fd >= max_fds) { close(fd); continue; }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = &conns[fd];
        memset(c, 0, sizeof *c);
        c->kind = kind;
        c->user = -1;
        c->next_of_user = c->prev_of_user = -1;
        watch(fd, EPOLLIN, EPOLL_CTL_ADD);
    }
}

/* ---- setup ---- */

static int parse_loopback(const char *text, struct sockaddr_in *addr) {
    char host[64];
    const char *colon = strrchr(text, ':');
    if (!colon || (size_t)(colon - text) >= sizeof host) return -1;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = 0;
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535) return -1;
    addr->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1) return -1;
    if ((ntohl(addr->sin_addr.s_addr) >> 24) != 127) return -1;
    return 0;
}

static int listen_tcp(const char *text, char *bound, size_t bound_len) {
    struct sockaddr_in addr;
    if (parse_loopback(text, &addr) != 0) {
        fprintf(stderr, "floor: %s is not a 127.0.0.0/8 HOST:PORT\n", text);
        exit(2);
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 4096) != 0) {
        fprintf(stderr, "floor: cannot listen on %s: %s\n", text, strerror(errno));
        exit(1);
    }
    socklen_t len = sizeof addr;
    getsockname(fd, (struct sockaddr *)&addr, &len);
    char ip[32];
    inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof ip);
    snprintf(bound, bound_len, "%s:%d", ip, ntohs(addr.sin_port));
    return fd;
}

static int listen_unix(const char *path) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) { fprintf(stderr, "floor: socket path too long\n"); exit(2); }
    strcpy(addr.sun_path, path);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 128) != 0) {
        fprintf(stderr, "floor: cannot listen on %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return fd;
}

static void on_signal(int sig) { (void)sig; stopping = 1; }

static void usage(void) {
    fprintf(stderr, "usage: floor [--listen 127.0.0.1:8081] [--control 127.0.0.1:8082 | --control unix:PATH]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *listen_at = "127.0.0.1:8081", *control_at = "127.0.0.1:8082";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) listen_at = argv[++i];
        else if (strcmp(argv[i], "--control") == 0 && i + 1 < argc) control_at = argv[++i];
        else usage();
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    max_fds = rl.rlim_cur > 4000000 ? 4000000 : (int)rl.rlim_cur;
    conns = calloc((size_t)max_fds, sizeof *conns);
    all = calloc((size_t)max_fds, sizeof *all);
    if (!conns || !all) { fprintf(stderr, "floor: out of memory\n"); return 1; }
    for (int i = 0; i < max_fds; i++) conns[i].user = -1;

    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    ep = epoll_create1(EPOLL_CLOEXEC);
    char ws_bound[64], ctl_bound[256];
    int ws = listen_tcp(listen_at, ws_bound, sizeof ws_bound);
    int ctl;
    if (strncmp(control_at, "unix:", 5) == 0) {
        ctl = listen_unix(control_at + 5);
        snprintf(ctl_bound, sizeof ctl_bound, "%s", control_at);
    } else {
        ctl = listen_tcp(control_at, ctl_bound, sizeof ctl_bound);
    }
    conns[ws].kind = K_WS_LISTEN;
    conns[ctl].kind = K_CTL_LISTEN;
    watch(ws, EPOLLIN, EPOLL_CTL_ADD);
    watch(ctl, EPOLLIN, EPOLL_CTL_ADD);
    printf("floor listening ws=%s control=%s max_fds=%d\n", ws_bound, ctl_bound, max_fds);
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    while (!stopping) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("epoll_wait");
            break;
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            struct conn *c = &conns[fd];
            if (c->kind == K_WS_LISTEN) accept_all(fd, K_HANDSHAKE);
            else if (c->kind == K_CTL_LISTEN) accept_all(fd, K_CONTROL);
            else if (c->kind != K_FREE) {
                if (events[i].events & EPOLLOUT) flush_pending(fd);
                if (conns[fd].kind != K_FREE && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) readable(fd);
            }
        }
    }
    fprintf(stderr, "floor: stopping: %llu messages, %llu writes, %llu connections cut for falling behind\n",
            stat_messages, stat_writes, stat_cut);
    if (strncmp(control_at, "unix:", 5) == 0) unlink(control_at + 5);
    return 0;
}
