/* The C floor for sockcffi's syscall-bound benchmarks: the same workloads
 * as workloads.py, written straight against the C library.
 *
 *   cfloor pingpong ROUNDS      -> seconds per round
 *   cfloor tcp_rr ROUNDS        -> seconds per round trip (100 bytes, fork)
 *   cfloor udp COUNT            -> seconds per datagram (64 bytes)
 *   cfloor udp_batch COUNT      -> seconds per datagram (64 bytes,
 *                                  sendmmsg+recvmmsg in batches of 64)
 *   cfloor churn COUNT          -> seconds per connect/accept/close
 *   cfloor bulk_unix BYTES      -> seconds per byte (64 KiB chunks, fork)
 *   cfloor bulk_tcp BYTES       -> seconds per byte
 *   cfloor fdpass COUNT         -> seconds per SCM_RIGHTS send+recv
 *
 * Prints one floating-point number.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what) { perror(what); exit(1); }

static void exact_recv(int fd, char *buf, size_t n)
{
    while (n) {
        ssize_t r = recv(fd, buf, n, 0);
        if (r <= 0) die("recv");
        buf += r; n -= (size_t)r;
    }
}

static int listener(struct sockaddr_in *addr)
{
    socklen_t len = sizeof(*addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) || listen(fd, 128))
        die("listen");
    getsockname(fd, (struct sockaddr *)addr, &len);
    return fd;
}

static void tcp_pair(int *client, int *server)
{
    struct sockaddr_in addr;
    int one = 1, lfd = listener(&addr);
    *client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(*client, (struct sockaddr *)&addr, sizeof(addr)))
        die("connect");
    *server = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    setsockopt(*client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(*server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    close(lfd);
}

static double pingpong(long rounds)
{
    int sv[2];
    char c = 'x';
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) die("pair");
    double t = now();
    for (long i = 0; i < rounds; i++) {
        send(sv[0], &c, 1, 0); recv(sv[1], &c, 1, 0);
        send(sv[1], &c, 1, 0); recv(sv[0], &c, 1, 0);
    }
    t = now() - t;
    close(sv[0]); close(sv[1]);
    return t / rounds;
}

static double tcp_rr(long rounds)
{
    int client, server;
    char buf[100] = {0};
    tcp_pair(&client, &server);
    pid_t pid = fork();
    if (pid == 0) {
        close(client);
        for (long i = 0; i < rounds; i++) {
            exact_recv(server, buf, sizeof(buf));
            send(server, buf, sizeof(buf), 0);
        }
        _exit(0);
    }
    close(server);
    double t = now();
    for (long i = 0; i < rounds; i++) {
        send(client, buf, sizeof(buf), 0);
        exact_recv(client, buf, sizeof(buf));
    }
    t = now() - t;
    close(client);
    waitpid(pid, NULL, 0);
    return t / rounds;
}

/* Two UDP sockets: rx bound to a loopback port (its address in *addr). */
static void udp_endpoints(int *rx, int *tx, struct sockaddr_in *addr)
{
    socklen_t len = sizeof(*addr);
    *rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    *tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(*rx, (struct sockaddr *)addr, sizeof(*addr));
    getsockname(*rx, (struct sockaddr *)addr, &len);
}

static double udp(long count)
{
    struct sockaddr_in addr, from;
    socklen_t flen;
    char buf[64] = {0};
    int rx, tx;
    udp_endpoints(&rx, &tx, &addr);
    double t = now();
    for (long i = 0; i < count; i++) {
        sendto(tx, buf, sizeof(buf), 0, (struct sockaddr *)&addr,
               sizeof(addr));
        flen = sizeof(from);
        recvfrom(rx, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
    }
    t = now() - t;
    close(rx); close(tx);
    return t / count;
}

#define BATCH 64

static double udp_batch(long count)
{
    struct sockaddr_in addr, from[BATCH];
    static char out[BATCH][64], in[BATCH][64];
    struct mmsghdr smsg[BATCH], rmsg[BATCH];
    struct iovec siov[BATCH], riov[BATCH];
    int rx, tx;
    long rounds = count / BATCH > 0 ? count / BATCH : 1;
    udp_endpoints(&rx, &tx, &addr);
    double t = now();
    for (long r = 0; r < rounds; r++) {
        /* Set up as the Python layer does: every header, every call. */
        memset(smsg, 0, sizeof(smsg));
        memset(rmsg, 0, sizeof(rmsg));
        for (int i = 0; i < BATCH; i++) {
            siov[i].iov_base = out[i];
            siov[i].iov_len = 64;
            smsg[i].msg_hdr.msg_name = &addr;
            smsg[i].msg_hdr.msg_namelen = sizeof(addr);
            smsg[i].msg_hdr.msg_iov = &siov[i];
            smsg[i].msg_hdr.msg_iovlen = 1;
            riov[i].iov_base = in[i];
            riov[i].iov_len = 64;
            rmsg[i].msg_hdr.msg_name = &from[i];
            rmsg[i].msg_hdr.msg_namelen = sizeof(from[i]);
            rmsg[i].msg_hdr.msg_iov = &riov[i];
            rmsg[i].msg_hdr.msg_iovlen = 1;
        }
        int sent = 0, got = 0;
        while (sent < BATCH)
            sent += sendmmsg(tx, smsg + sent, BATCH - sent, 0);
        while (got < BATCH)
            got += recvmmsg(rx, rmsg + got, BATCH - got, MSG_WAITFORONE,
                            NULL);
    }
    t = now() - t;
    close(rx); close(tx);
    return t / (rounds * BATCH);
}

static double churn(long count)
{
    struct sockaddr_in addr;
    int lfd = listener(&addr);
    double t = now();
    for (long i = 0; i < count; i++) {
        int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(c, (struct sockaddr *)&addr, sizeof(addr)))
            die("connect");
        int s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        close(s); close(c);
    }
    t = now() - t;
    close(lfd);
    return t / count;
}

static double bulk(int unix_pair, long total)
{
    int a, b, sv[2];
    static char buf[CHUNK];
    if (unix_pair) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
            die("pair");
        a = sv[0]; b = sv[1];
    } else {
        tcp_pair(&a, &b);
    }
    double t = now();
    pid_t pid = fork();
    if (pid == 0) {
        close(b);
        for (long sent = 0; sent < total;) {
            ssize_t n = send(a, buf, CHUNK, 0);
            if (n <= 0) die("send");
            sent += n;
        }
        _exit(0);
    }
    close(a);
    for (long got = 0; got < total;) {
        ssize_t n = recv(b, buf, CHUNK, 0);
        if (n <= 0) die("recv");
        got += n;
    }
    t = now() - t;
    close(b);
    waitpid(pid, NULL, 0);
    return t / total;
}

static double fdpass(long count)
{
    int sv[2], fd;
    char byte = 'x', cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { &byte, 1 };
    struct msghdr msg;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) die("pair");
    double t = now();
    for (long i = 0; i < count; i++) {
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = &iov; msg.msg_iovlen = 1;
        msg.msg_control = cbuf; msg.msg_controllen = sizeof(cbuf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &sv[0], sizeof(int));
        if (sendmsg(sv[0], &msg, 0) != 1) die("sendmsg");
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = &iov; msg.msg_iovlen = 1;
        msg.msg_control = cbuf; msg.msg_controllen = sizeof(cbuf);
        if (recvmsg(sv[1], &msg, MSG_CMSG_CLOEXEC) != 1) die("recvmsg");
        memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
        close(fd);
    }
    t = now() - t;
    close(sv[0]); close(sv[1]);
    return t / count;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: cfloor WORKLOAD N\n");
        return 2;
    }
    long n = atol(argv[2]);
    const char *w = argv[1];
    double r;
    if (!strcmp(w, "pingpong")) r = pingpong(n);
    else if (!strcmp(w, "tcp_rr")) r = tcp_rr(n);
    else if (!strcmp(w, "udp")) r = udp(n);
    else if (!strcmp(w, "udp_batch")) r = udp_batch(n);
    else if (!strcmp(w, "churn")) r = churn(n);
    else if (!strcmp(w, "bulk_unix")) r = bulk(1, n);
    else if (!strcmp(w, "bulk_tcp")) r = bulk(0, n);
    else if (!strcmp(w, "fdpass")) r = fdpass(n);
    else { fprintf(stderr, "unknown workload %s\n", w); return 2; }
    printf("%.12g\n", r);
    return 0;
}
