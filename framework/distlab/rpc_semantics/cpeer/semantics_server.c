/* The C peer of the rpc_semantics study: every procedure of semantics.x, served through rpcgen's
 * dispatch routines (rpcgen -N -m) and libtirpc, so that the same interface runs on a machine of the
 * other byte order (built for s390x, big-endian, and run under qemu-user; see build.py).
 *
 * The semantics are those of semantics.x's top comment; the C below follows it line by line.
 * Usage: semantics_server [BINDER_PORT]
 *   Listens on 127.0.0.1, TCP and UDP ports of the system's choosing, printed as "TCP UDP" on one
 *   line when ready (as the other C peers of distlab's tests do).  With BINDER_PORT, it registers
 *   both with the portmapper at 127.0.0.1:BINDER_PORT (PMAPPROC_SET, libtirpc's xdr_pmap; libtirpc's
 *   own pmap_set only knows port 111) and unregisters on SIGTERM or SIGINT. */
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <rpc/rpc.h>
#include <rpc/pmap_prot.h>
#include "semantics.h"

extern void semantics_prog_1(struct svc_req *, SVCXPRT *);

/* ---- memory: everything a call allocates is freed when the next call starts (results included,
 * which libtirpc has sent by then); the server is single-threaded (svc_run). */
static void **arena;
static size_t arena_n, arena_cap;

static void *alloc(size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (!p) { perror("calloc"); exit(1); }
    if (arena_n == arena_cap) {
        arena_cap = arena_cap ? 2 * arena_cap : 64;
        arena = realloc(arena, arena_cap * sizeof *arena);
        if (!arena) { perror("realloc"); exit(1); }
    }
    arena[arena_n++] = p;
    return p;
}

static void arena_reset(void) {
    for (size_t i = 0; i < arena_n; i++) free(arena[i]);
    arena_n = 0;
}

/* ---- lists: a working copy the procedure changes, compared with what the call received */
typedef struct { u_int len, cap; sem_element *items; } list;

static list copy_in(const sem_list *l) {
    list w = {l->sem_list_len, l->sem_list_len + 8, NULL};
    w.items = alloc(w.cap * sizeof *w.items);
    memcpy(w.items, l->sem_list_val, l->sem_list_len * sizeof *w.items);  /* elements shared, never written */
    return w;
}

static void push(list *w, sem_element e) {
    if (w->len == w->cap) {
        sem_element *bigger = alloc(2 * w->cap * sizeof *bigger);
        memcpy(bigger, w->items, w->len * sizeof *bigger);
        w->items = bigger;
        w->cap *= 2;
    }
    w->items[w->len++] = e;
}

static sem_element inverted(sem_element e) {
    sem_element out = {e.sem_element_len, alloc(e.sem_element_len)};
    for (u_int i = 0; i < e.sem_element_len; i++) out.sem_element_val[i] = (char)(e.sem_element_val[i] ^ 0xFF);
    return out;
}

static int same(sem_element a, sem_element b) {
    return a.sem_element_len == b.sem_element_len && !memcmp(a.sem_element_val, b.sem_element_val, a.sem_element_len);
}

static sem_list as_list(list w) { sem_list l = {w.len, w.items}; return l; }

/* The read-only optimization: the final length and the elements that differ from what came in. */
static sem_delta delta(const sem_list *before, list after, sem_detect detect) {
    sem_delta d = {after.len, {0, alloc(after.len * sizeof(sem_chunk))}};
    int changed = before->sem_list_len != after.len;
    for (u_int i = 0; i < after.len && !changed; i++) changed = !same(before->sem_list_val[i], after.items[i]);
    for (u_int i = 0; i < after.len; i++) {
        int differs = i >= before->sem_list_len || !same(before->sem_list_val[i], after.items[i]);
        if (detect == DETECT_PARAMETER ? changed : differs) {
            sem_chunk *c = &d.chunks.chunks_val[d.chunks.chunks_len++];
            c->index = i;
            c->value = after.items[i];
        }
    }
    return d;
}

/* ---- the three functions on a list in memory; 0 if an index is out of range (GARBAGE_ARGS) */
static int do_append(const sem_append_args *a, list *db) {
    *db = copy_in(&a->db);
    for (u_int k = 0; k < a->touch.sem_index_len; k++) {
        u_int i = a->touch.sem_index_val[k];
        if (i >= db->len) return 0;
        db->items[i] = inverted(db->items[i]);
    }
    for (u_int k = 0; k < a->data.sem_list_len; k++) push(db, a->data.sem_list_val[k]);
    return 1;
}

static int do_lookup(const sem_lookup_args *a, list *db, sem_element *old) {
    *db = copy_in(&a->db);
    if (a->key >= db->len) return 0;
    *old = db->items[a->key];
    if (a->put) db->items[a->key] = *a->put;
    return 1;
}

static void do_alias(const sem_alias_args *a, list *la, list *lb) {
    *la = copy_in(&a->a);
    push(la, a->mark_a);
    *lb = copy_in(&a->b);
    push(lb, a->mark_b);
}

static void *garbage(struct svc_req *req) { svcerr_decode(req->rq_xprt); return NULL; }

sem_list *append_value_1_svc(sem_append_args a, struct svc_req *req) {
    static sem_list r;
    list db;
    arena_reset();
    if (!do_append(&a, &db)) return garbage(req);
    r = as_list(db);
    return &r;
}

sem_list *append_restore_1_svc(sem_append_args a, struct svc_req *req) {
    return append_value_1_svc(a, req);  /* the same bytes: the final db, which the caller restores */
}

sem_delta *append_delta_1_svc(sem_append_args a, struct svc_req *req) {
    static sem_delta r;
    list db;
    arena_reset();
    if (!do_append(&a, &db)) return garbage(req);
    r = delta(&a.db, db, a.detect);
    return &r;
}

sem_element *lookup_value_1_svc(sem_lookup_args a, struct svc_req *req) {
    static sem_element r;
    list db;
    arena_reset();
    if (!do_lookup(&a, &db, &r)) return garbage(req);
    return &r;
}

sem_lookup_restore *lookup_restore_1_svc(sem_lookup_args a, struct svc_req *req) {
    static sem_lookup_restore r;
    list db;
    arena_reset();
    if (!do_lookup(&a, &db, &r.old)) return garbage(req);
    r.db = as_list(db);
    return &r;
}

sem_lookup_delta *lookup_delta_1_svc(sem_lookup_args a, struct svc_req *req) {
    static sem_lookup_delta r;
    list db;
    arena_reset();
    if (!do_lookup(&a, &db, &r.old)) return garbage(req);
    r.db = delta(&a.db, db, a.detect);
    return &r;
}

void *alias_value_1_svc(sem_alias_args a, struct svc_req *req) {
    static char r;
    list la, lb;
    arena_reset();
    do_alias(&a, &la, &lb);  /* the server's copies are discarded */
    return &r;
}

sem_alias_restore *alias_restore_1_svc(sem_alias_args a, struct svc_req *req) {
    static sem_alias_restore r;
    list la, lb;
    arena_reset();
    do_alias(&a, &la, &lb);
    r.a = as_list(la);
    r.b = as_list(lb);
    return &r;
}

sem_alias_delta *alias_delta_1_svc(sem_alias_args a, struct svc_req *req) {
    static sem_alias_delta r;
    list la, lb;
    arena_reset();
    do_alias(&a, &la, &lb);
    r.a = delta(&a.a, la, a.detect);
    r.b = delta(&a.b, lb, a.detect);
    return &r;
}

/* ---- global references: the list lives with its owner (callbacks) or in a shared directory */
enum { REF_OK = 0, REF_GARBAGE = 1, REF_FAILED = 2 };

typedef struct {
    const sem_ref *ref;
    CLIENT *clnt;  /* REF_CALLBACK: a TCP client of the owner's callback program */
} handle;

static int ref_open(handle *h, const sem_ref *ref) {
    h->ref = ref;
    h->clnt = NULL;
    if (ref->kind == REF_DIRECTORY) return REF_OK;
    if (ref->kind != REF_CALLBACK) return REF_GARBAGE;
    const sem_callback_ref *cb = &ref->sem_ref_u.callback;
    struct addrinfo hints = {0}, *found;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(cb->host, NULL, &hints, &found) != 0) return REF_FAILED;
    struct sockaddr_in addr = *(struct sockaddr_in *)found->ai_addr;
    freeaddrinfo(found);
    addr.sin_port = htons((unsigned short)cb->port);
    int sock = RPC_ANYSOCK;
    h->clnt = clnttcp_create(&addr, SEMANTICS_CB_PROG, SEMANTICS_CB_V1, &sock, 0, 0);
    return h->clnt ? REF_OK : REF_FAILED;
}

static void ref_close(handle *h) {
    if (h->clnt) clnt_destroy(h->clnt);
    h->clnt = NULL;
}

static int callback_failed(CLIENT *c) {
    struct rpc_err e;
    clnt_geterr(c, &e);
    return e.re_status == RPC_CANTDECODEARGS ? REF_GARBAGE : REF_FAILED;
}

static char *file_of(const handle *h, u_int index) {
    const char *dir = h->ref->sem_ref_u.path;
    size_t n = strlen(dir) + 16;
    char *path = alloc(n);
    snprintf(path, n, "%s/%08u", dir, index);
    return path;
}

static int dir_length(const handle *h, u_int *length) {
    DIR *d = opendir(h->ref->sem_ref_u.path);
    struct dirent *e;
    if (!d) return REF_FAILED;
    *length = 0;
    while ((e = readdir(d)) != NULL) {
        size_t k = 0;
        while (k < 8 && e->d_name[k] >= '0' && e->d_name[k] <= '9') k++;
        if (k == 8 && e->d_name[8] == '\0') (*length)++;
    }
    closedir(d);
    return REF_OK;
}

static int ref_read(handle *h, u_int index, sem_element *out) {
    if (h->clnt) {
        sem_at at = {h->ref->sem_ref_u.callback.id, index};
        sem_element *got = cb_read_1(at, h->clnt);
        if (!got) return callback_failed(h->clnt);
        out->sem_element_len = got->sem_element_len;
        out->sem_element_val = alloc(got->sem_element_len);
        memcpy(out->sem_element_val, got->sem_element_val, got->sem_element_len);
        clnt_freeres(h->clnt, (xdrproc_t)xdr_sem_element, (caddr_t)got);
        return REF_OK;
    }
    FILE *f = fopen(file_of(h, index), "rb");
    if (!f) return errno == ENOENT ? REF_GARBAGE : REF_FAILED;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    out->sem_element_len = (u_int)n;
    out->sem_element_val = alloc((size_t)n);
    size_t got = fread(out->sem_element_val, 1, (size_t)n, f);
    fclose(f);
    return got == (size_t)n ? REF_OK : REF_FAILED;
}

static int write_file(const char *path, sem_element e) {
    FILE *f = fopen(path, "wb");
    if (!f) return REF_FAILED;
    size_t put = fwrite(e.sem_element_val, 1, e.sem_element_len, f);
    return fclose(f) == 0 && put == e.sem_element_len ? REF_OK : REF_FAILED;
}

static int ref_write(handle *h, u_int index, sem_element e, int append) {
    if (h->clnt) {
        sem_put put = {h->ref->sem_ref_u.callback.id, index, e};
        void *done = append ? cb_append_1(put, h->clnt) : cb_write_1(put, h->clnt);
        return done ? REF_OK : callback_failed(h->clnt);
    }
    u_int length;
    int status = dir_length(h, &length);
    if (status != REF_OK) return status;
    if (append) index = length;
    else if (index >= length) return REF_GARBAGE;
    return write_file(file_of(h, index), e);
}

static void *ref_reply(int status, struct svc_req *req, void *result) {
    if (status == REF_GARBAGE) return garbage(req);
    if (status == REF_FAILED) { svcerr_systemerr(req->rq_xprt); return NULL; }
    return result;
}

void *append_ref_1_svc(sem_append_ref_args a, struct svc_req *req) {
    static char r;
    handle h;
    arena_reset();
    int status = ref_open(&h, &a.db);
    for (u_int k = 0; status == REF_OK && k < a.touch.sem_index_len; k++) {
        sem_element e;
        u_int i = a.touch.sem_index_val[k];
        status = ref_read(&h, i, &e);
        if (status == REF_OK) status = ref_write(&h, i, inverted(e), 0);
    }
    for (u_int k = 0; status == REF_OK && k < a.data.sem_list_len; k++)
        status = ref_write(&h, 0, a.data.sem_list_val[k], 1);
    ref_close(&h);
    return ref_reply(status, req, &r);
}

sem_element *lookup_ref_1_svc(sem_lookup_ref_args a, struct svc_req *req) {
    static sem_element r;
    handle h;
    arena_reset();
    int status = ref_open(&h, &a.db);
    if (status == REF_OK) status = ref_read(&h, a.key, &r);
    if (status == REF_OK && a.put) status = ref_write(&h, a.key, *a.put, 0);
    ref_close(&h);
    return ref_reply(status, req, &r);
}

void *alias_ref_1_svc(sem_alias_ref_args a, struct svc_req *req) {
    static char r;
    handle ha, hb;
    arena_reset();
    int status = ref_open(&ha, &a.a);
    if (status == REF_OK) status = ref_write(&ha, 0, a.mark_a, 1);
    ref_close(&ha);
    if (status == REF_OK) status = ref_open(&hb, &a.b);
    if (status == REF_OK) { status = ref_write(&hb, 0, a.mark_b, 1); ref_close(&hb); }
    return ref_reply(status, req, &r);
}

void *sem_null_1_svc(struct svc_req *req) { static char r; return &r; }

int semantics_prog_1_freeresult(SVCXPRT *t, xdrproc_t f, caddr_t r) { return 1; }

/* rpcgen -m writes a dispatcher for every program of the file, the callback program too, which this
 * peer calls but never serves (it is never registered): these only satisfy the linker. */
u_int *cb_length_1_svc(u_quad_t id, struct svc_req *req) { return NULL; }
sem_element *cb_read_1_svc(sem_at at, struct svc_req *req) { return NULL; }
void *cb_write_1_svc(sem_put put, struct svc_req *req) { return NULL; }
void *cb_append_1_svc(sem_put put, struct svc_req *req) { return NULL; }
int semantics_cb_prog_1_freeresult(SVCXPRT *t, xdrproc_t f, caddr_t r) { return 1; }

/* ---- sockets and the binder */
static int bound(int type) {
    struct sockaddr_in a = {0};
    int s = socket(AF_INET, type, 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0) { perror("bind"); exit(1); }
    if (type == SOCK_STREAM && listen(s, 64) < 0) { perror("listen"); exit(1); }
    return s;
}

static int port_of(int s) {
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &n);
    return ntohs(a.sin_port);
}

static int binder_port;

static int binder_call(u_long proc, u_long protocol, int port) {
    struct sockaddr_in a = {0};
    struct timeval wait = {5, 0};
    struct pmap m = {SEMANTICS_PROG, SEMANTICS_V1, protocol, (u_long)port};
    bool_t ok = 0;
    int sock = RPC_ANYSOCK;
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)binder_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CLIENT *c = clnttcp_create(&a, PMAPPROG, PMAPVERS, &sock, 0, 0);
    if (!c) return 0;
    enum clnt_stat st = clnt_call(c, proc, (xdrproc_t)xdr_pmap, (caddr_t)&m, (xdrproc_t)xdr_bool, (caddr_t)&ok, wait);
    clnt_destroy(c);
    return st == RPC_SUCCESS && ok;
}

static void unregister_and_exit(int sig) {
    (void)sig;
    binder_call(PMAPPROC_UNSET, 0, 0);
    _exit(0);
}

int main(int argc, char **argv) {
    int ts = bound(SOCK_STREAM), us = bound(SOCK_DGRAM);
    SVCXPRT *t = svctcp_create(ts, 0, 0), *u = svcudp_bufcreate(us, 65536, 65536);
    if (!t || !u) { fprintf(stderr, "cannot create transports\n"); return 1; }
    if (!svc_register(t, SEMANTICS_PROG, SEMANTICS_V1, semantics_prog_1, 0)
        || !svc_register(u, SEMANTICS_PROG, SEMANTICS_V1, semantics_prog_1, 0)) {
        fprintf(stderr, "cannot register\n");
        return 1;
    }
    if (argc > 1) {
        binder_port = atoi(argv[1]);
        if (!binder_call(PMAPPROC_SET, IPPROTO_TCP, port_of(ts)) || !binder_call(PMAPPROC_SET, IPPROTO_UDP, port_of(us))) {
            fprintf(stderr, "the binder at 127.0.0.1:%d refused or did not answer PMAPPROC_SET\n", binder_port);
            return 1;
        }
        signal(SIGTERM, unregister_and_exit);
        signal(SIGINT, unregister_and_exit);
    }
    printf("%d %d\n", port_of(ts), port_of(us));
    fflush(stdout);
    svc_run();
    return 1;
}
