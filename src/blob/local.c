/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The blob store on a local folder; see blob.h for the layout and rules. */
#include "blob/blob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/enc.h"
#include "base/mem.h"
#include "base/rand.h"
#include "base/str.h"
#include "base/banned.h"

#define TAIL_HEAD_BYTES  (8 + 8 + 8) /* magic | chunk index | next generation */
#define RESUME_SKIP      (1ull << 32)
#define PLAIN_ID_BYTES   16
#define PLAIN_MARK_BYTES (8 + PLAIN_ID_BYTES) /* magic | random id */
#define PLAIN_TAIL_BYTES (8 + 8)              /* magic | durable size */
#define ETAG_ID_BYTES    12                   /* of the object's random id, in the ETag */
#define NO_CHUNK         UINT64_MAX

static const unsigned char tail_magic[8] = {'S', 'D', 'T', 'A', 'I', 'L', '0', '1'};
static const unsigned char plain_magic[8] = {'S', 'D', 'P', 'L', 'A', 'I', 'N', '1'};
static const unsigned char plain_tail_magic[8] = {'S', 'D', 'P', 'T', 'A', 'I', 'L', '1'};

struct sd_blob {
    char dir[1024];
    struct sd_seal_key master;
    bool is_plain; /* new objects are written unencrypted */
};

struct sd_blob_writer {
    sd_blob *b;
    char name[65];
    int fd; /* NAME.data */
    bool is_plain;
    bool is_finished;
    bool is_broken;      /* a write failed: the file may not match the state below */
    uint64_t plain_size; /* plain: bytes written */
    struct sd_seal_key key;
    unsigned char header[SD_SEAL_HEADER_BYTES];
    uint64_t n_full;   /* records in the data file */
    uint64_t next_gen; /* never used yet for this object */
    size_t tail_len;
    unsigned char tail[SD_SEAL_CHUNK];
    unsigned char record[SD_SEAL_RECORD];
};

struct sd_blob_reader {
    int fd; /* NAME.data */
    char name[65];
    struct sd_blob_info info;
    /* Sealed objects only. */
    struct sd_seal_key key;
    unsigned char header[SD_SEAL_HEADER_BYTES];
    uint64_t n_records;
    uint64_t cached; /* the chunk in @plain, or NO_CHUNK */
    unsigned char *record;
    unsigned char *plain;
};

/* What stat learns about an object from its files. */
struct meta {
    bool is_plain;
    bool is_complete;
    uint64_t size;
    int64_t mtime_s;
    unsigned char id[ETAG_ID_BYTES];
};

static sd_status io_fail(struct sd_err *err, const char *what, const char *path)
{
    int e = errno;
    const char *hint = "";
    if (e == ENOSPC || e == EDQUOT) {
        hint = " (the disk is full: free space or move the data folder)";
    } else if (e == EFBIG) {
        hint = " (the file size limit was reached: raise `ulimit -f` or LimitFSIZE=)";
    }
    return sd_err_set(err, SD_E_IO, NULL, "cannot %s '%s': %s%s", what, path, strerror(e), hint);
}

/* Marks @w unusable after a failed write; its files are what resume will see. */
static sd_status broken(sd_blob_writer *w, struct sd_err *err, const char *what)
{
    w->is_broken = true;
    return io_fail(err, what, w->name);
}

static sd_status check_writable(const sd_blob_writer *w, struct sd_err *err)
{
    if (w->is_broken) {
        return sd_err_set(err, SD_E_IO, NULL,
                          "blob '%s' had a write error: close the writer and resume", w->name);
    }
    if (w->is_finished) {
        return sd_err_set(err, SD_E_CONFLICT, NULL, "blob '%s' is complete", w->name);
    }
    return SD_OK;
}

static sd_status check_name(const char *name, struct sd_err *err)
{
    size_t n = strlen(name);
    bool ok = n >= 1 && n <= 64;
    for (size_t i = 0; ok && i < n; i++) {
        char c = name[i];
        ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    }
    return ok ? SD_OK
              : sd_err_set(err, SD_E_INVALID, "name",
                           "blob name must be 1 to 64 of [a-z0-9_-], got '%.80s'", name);
}

static void path_of(const sd_blob *b, const char *name, const char *ext, char *out, size_t size)
{
    (void)snprintf(out, size, "%s/%s.%s", b->dir, name, ext);
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * (7 - i)));
    }
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

static sd_status write_all(int fd, const void *p, size_t n, off_t off)
{
    const unsigned char *c = p;
    while (n > 0) {
        ssize_t w = pwrite(fd, c, n, off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            if (w == 0) {
                errno = EIO;
            }
            return SD_E_IO;
        }
        c += w;
        n -= (size_t)w;
        off += w;
    }
    return SD_OK;
}

static sd_status read_all(int fd, void *p, size_t n, off_t off)
{
    unsigned char *c = p;
    while (n > 0) {
        ssize_t r = pread(fd, c, n, off);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            if (r == 0) {
                errno = EIO;
            }
            return SD_E_IO;
        }
        c += r;
        n -= (size_t)r;
        off += r;
    }
    return SD_OK;
}

static void sync_dir(const sd_blob *b)
{
    int fd = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        (void)close(fd);
    }
}

/* Writes @n bytes to @path through a temporary file, fsync and rename. */
static sd_status replace_file(sd_blob *b, const char *path, const void *p, size_t n,
                              struct sd_err *err)
{
    char tmp[1100];
    (void)snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return io_fail(err, "create", tmp);
    }
    if (write_all(fd, p, n, 0) != SD_OK || fsync(fd) != 0) {
        sd_status st = io_fail(err, "write", tmp);
        (void)close(fd);
        (void)unlink(tmp);
        return st;
    }
    (void)close(fd);
    if (rename(tmp, path) != 0) {
        sd_status st = io_fail(err, "rename", tmp);
        (void)unlink(tmp);
        return st;
    }
    sync_dir(b);
    return SD_OK;
}

sd_status sd_blob_open_opts(const char *dir, const struct sd_seal_key *master,
                            const struct sd_blob_opts *opts, sd_blob **out, struct sd_err *err)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return io_fail(err, "create the blob folder", dir);
    }
    sd_blob *b = sd_xcalloc(1, sizeof(*b));
    if (!sd_str_copy(b->dir, sizeof(b->dir), dir)) {
        free(b);
        return sd_err_set(err, SD_E_INVALID, "data", "blob folder path is too long");
    }
    b->master = *master;
    b->is_plain = opts != NULL && opts->is_plain;
    *out = b;
    return SD_OK;
}

sd_status sd_blob_open(const char *dir, const struct sd_seal_key *master, sd_blob **out,
                       struct sd_err *err)
{
    return sd_blob_open_opts(dir, master, NULL, out, err);
}

void sd_blob_close(sd_blob *b)
{
    if (b == NULL) {
        return;
    }
    sd_seal_key_wipe(&b->master);
    free(b);
}

static sd_blob_writer *writer_new(sd_blob *b, const char *name)
{
    sd_blob_writer *w = sd_xcalloc(1, sizeof(*w));
    w->b = b;
    w->fd = -1;
    (void)sd_str_copy(w->name, sizeof(w->name), name);
    return w;
}

void sd_blob_writer_close(sd_blob_writer *w)
{
    if (w == NULL) {
        return;
    }
    if (w->fd >= 0) {
        (void)close(w->fd);
    }
    sd_seal_key_wipe(&w->key);
    memset(w->tail, 0, sizeof(w->tail));
    free(w);
}

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Writes a plain object's tail: it is incomplete and holds @size durable bytes. */
static sd_status plain_tail_write(sd_blob_writer *w, uint64_t size, struct sd_err *err)
{
    char tpath[1100];
    unsigned char t[PLAIN_TAIL_BYTES];
    path_of(w->b, w->name, "tail", tpath, sizeof(tpath));
    memcpy(t, plain_tail_magic, sizeof(plain_tail_magic));
    put64(t + 8, size);
    return replace_file(w->b, tpath, t, sizeof(t), err);
}

static sd_status create_plain(sd_blob *b, sd_blob_writer *w, struct sd_err *err)
{
    char ppath[1100], kpath[1100], dpath[1100], tpath[1100];
    path_of(b, w->name, "plain", ppath, sizeof(ppath));
    path_of(b, w->name, "key", kpath, sizeof(kpath));
    path_of(b, w->name, "data", dpath, sizeof(dpath));
    path_of(b, w->name, "tail", tpath, sizeof(tpath));
    w->is_plain = true;
    int pfd = open(ppath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (pfd < 0) {
        return errno == EEXIST ? sd_err_set(err, SD_E_CONFLICT, "name", "blob '%s' exists", w->name)
                               : io_fail(err, "create", ppath);
    }
    sd_status st = SD_OK;
    if (exists(kpath)) {
        st = sd_err_set(err, SD_E_CONFLICT, "name", "blob '%s' exists", w->name);
        (void)close(pfd);
        (void)unlink(ppath);
        return st;
    }
    unsigned char mark[PLAIN_MARK_BYTES];
    memcpy(mark, plain_magic, sizeof(plain_magic));
    sd_rand_bytes(mark + 8, PLAIN_ID_BYTES);
    if (write_all(pfd, mark, sizeof(mark), 0) != SD_OK || fsync(pfd) != 0) {
        st = io_fail(err, "write", ppath);
    }
    (void)close(pfd);
    /* The tail before the data: whenever NAME.data exists, it is either
     * marked incomplete or finished, never an empty "complete" object. */
    if (st == SD_OK) {
        st = plain_tail_write(w, 0, err);
    }
    if (st == SD_OK) {
        w->fd = open(dpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (w->fd < 0) {
            st = io_fail(err, "create", dpath);
        }
    }
    if (st == SD_OK) {
        st = sd_blob_sync(w, err);
    }
    if (st != SD_OK) {
        (void)unlink(dpath);
        (void)unlink(tpath);
        (void)unlink(ppath);
    }
    return st;
}

static sd_status create_sealed(sd_blob *b, sd_blob_writer *w, struct sd_err *err)
{
    char kpath[1100], dpath[1100], ppath[1100];
    path_of(b, w->name, "key", kpath, sizeof(kpath));
    path_of(b, w->name, "data", dpath, sizeof(dpath));
    path_of(b, w->name, "plain", ppath, sizeof(ppath));
    int kfd = open(kpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (kfd < 0) {
        return errno == EEXIST ? sd_err_set(err, SD_E_CONFLICT, "name", "blob '%s' exists", w->name)
                               : io_fail(err, "create", kpath);
    }
    sd_status st = SD_OK;
    if (exists(ppath)) {
        st = sd_err_set(err, SD_E_CONFLICT, "name", "blob '%s' exists", w->name);
        (void)close(kfd);
        (void)unlink(kpath);
        return st;
    }
    unsigned char wrapped[SD_SEAL_WRAPPED_BYTES];
    sd_seal_keygen(&w->key);
    sd_seal_wrap(&b->master, &w->key, wrapped);
    if (write_all(kfd, wrapped, sizeof(wrapped), 0) != SD_OK || fsync(kfd) != 0) {
        st = io_fail(err, "write", kpath);
    }
    (void)close(kfd);
    sd_seal_header(w->header);
    if (st == SD_OK) {
        w->fd = open(dpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (w->fd < 0 || write_all(w->fd, w->header, sizeof(w->header), 0) != SD_OK) {
            st = io_fail(err, "create", dpath);
        }
    }
    w->next_gen = 1;
    if (st == SD_OK) {
        st = sd_blob_sync(w, err);
    }
    if (st != SD_OK) {
        (void)unlink(dpath);
        (void)unlink(kpath);
    }
    return st;
}

sd_status sd_blob_create(sd_blob *b, const char *name, sd_blob_writer **out, struct sd_err *err)
{
    sd_status st = check_name(name, err);
    if (st != SD_OK) {
        return st;
    }
    sd_blob_writer *w = writer_new(b, name);
    st = b->is_plain ? create_plain(b, w, err) : create_sealed(b, w, err);
    if (st != SD_OK) {
        sd_blob_writer_close(w);
        return st;
    }
    *out = w;
    return SD_OK;
}

static sd_status load_key(sd_blob *b, const char *name, struct sd_seal_key *key, struct sd_err *err)
{
    char kpath[1100];
    unsigned char wrapped[SD_SEAL_WRAPPED_BYTES];
    path_of(b, name, "key", kpath, sizeof(kpath));
    int fd = open(kpath, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? sd_err_set(err, SD_E_NOT_FOUND, "name", "no blob '%s'", name)
                               : io_fail(err, "open", kpath);
    }
    sd_status st = read_all(fd, wrapped, sizeof(wrapped), 0);
    (void)close(fd);
    if (st != SD_OK) {
        return io_fail(err, "read", kpath);
    }
    return sd_seal_unwrap(&b->master, wrapped, key, err);
}

/* Reads a plain object's tail at @tpath: SD_E_NOT_FOUND when there is none (complete). */
static sd_status plain_tail_read(const char *tpath, const char *name, uint64_t *size,
                                 struct sd_err *err)
{
    unsigned char t[PLAIN_TAIL_BYTES];
    struct stat tb;
    int fd = open(tpath, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? SD_E_NOT_FOUND : io_fail(err, "open", tpath);
    }
    sd_status st = SD_OK;
    if (fstat(fd, &tb) != 0 || tb.st_size != PLAIN_TAIL_BYTES ||
        read_all(fd, t, sizeof(t), 0) != SD_OK ||
        memcmp(t, plain_tail_magic, sizeof(plain_tail_magic)) != 0) {
        st = sd_err_set(err, SD_E_IO, NULL, "the tail of blob '%s' is damaged", name);
    } else {
        *size = get64(t + 8);
    }
    (void)close(fd);
    return st;
}

static sd_status resume_plain(sd_blob *b, sd_blob_writer *w, struct sd_err *err)
{
    char dpath[1100], tpath[1100];
    path_of(b, w->name, "data", dpath, sizeof(dpath));
    path_of(b, w->name, "tail", tpath, sizeof(tpath));
    w->is_plain = true;
    uint64_t durable = 0;
    sd_status st = plain_tail_read(tpath, w->name, &durable, err);
    if (st == SD_E_NOT_FOUND) {
        return sd_err_set(err, SD_E_CONFLICT, "name", "blob '%s' is complete", w->name);
    }
    if (st != SD_OK) {
        return st;
    }
    struct stat sb;
    w->fd = open(dpath, O_RDWR | O_CLOEXEC);
    if (w->fd < 0 || fstat(w->fd, &sb) != 0) {
        return io_fail(err, "open", dpath);
    }
    if ((uint64_t)sb.st_size < durable) {
        return sd_err_set(err, SD_E_IO, NULL,
                          "blob '%s' holds %llu bytes, fewer than the %llu synced (damaged)",
                          w->name, (unsigned long long)sb.st_size, (unsigned long long)durable);
    }
    /* Bytes after the last sync may be anything after a crash (a file
     * system can leave zeros where a write did not land): they go. */
    if ((uint64_t)sb.st_size > durable && ftruncate(w->fd, (off_t)durable) != 0) {
        return io_fail(err, "truncate", dpath);
    }
    w->plain_size = durable;
    return SD_OK;
}

static sd_status resume_sealed(sd_blob *b, sd_blob_writer *w, struct sd_err *err)
{
    char dpath[1100], tpath[1100];
    const char *name = w->name;
    path_of(b, name, "data", dpath, sizeof(dpath));
    path_of(b, name, "tail", tpath, sizeof(tpath));
    sd_status st = load_key(b, name, &w->key, err);
    struct stat sb = {0};
    if (st == SD_OK) {
        w->fd = open(dpath, O_RDWR | O_CLOEXEC);
        if (w->fd < 0 || fstat(w->fd, &sb) != 0 ||
            read_all(w->fd, w->header, sizeof(w->header), 0) != SD_OK) {
            st = io_fail(err, "open", dpath);
        } else {
            st = sd_seal_header_check(w->header, err);
        }
    }
    int tfd = -1;
    if (st == SD_OK) {
        tfd = open(tpath, O_RDONLY | O_CLOEXEC);
        if (tfd < 0) {
            st = errno == ENOENT
                     ? sd_err_set(err, SD_E_CONFLICT, "name", "blob '%s' is complete", name)
                     : io_fail(err, "open", tpath);
        }
    }
    if (st == SD_OK) {
        /* Whole records only: a record torn by a crash is cut off. */
        uint64_t body = (uint64_t)sb.st_size > SD_SEAL_HEADER_BYTES
                            ? (uint64_t)sb.st_size - SD_SEAL_HEADER_BYTES
                            : 0;
        w->n_full = body / SD_SEAL_RECORD;
        if (ftruncate(w->fd, (off_t)(SD_SEAL_HEADER_BYTES + w->n_full * SD_SEAL_RECORD)) != 0) {
            st = io_fail(err, "truncate", dpath);
        }
    }
    if (st == SD_OK) {
        unsigned char head[TAIL_HEAD_BYTES];
        struct stat tb;
        if (fstat(tfd, &tb) != 0 || tb.st_size < TAIL_HEAD_BYTES + SD_SEAL_TAG_BYTES ||
            tb.st_size > TAIL_HEAD_BYTES + SD_SEAL_SEALED_CHUNK ||
            read_all(tfd, head, sizeof(head), 0) != SD_OK ||
            memcmp(head, tail_magic, sizeof(tail_magic)) != 0) {
            st = sd_err_set(err, SD_E_IO, NULL, "the tail of blob '%s' is damaged", name);
        } else {
            uint64_t index = get64(head + 8);
            w->next_gen = get64(head + 16) + RESUME_SKIP;
            size_t sealed = (size_t)tb.st_size - TAIL_HEAD_BYTES;
            /* A tail older than the last full record was folded into it
             * before the crash: it holds nothing more. */
            if (index == w->n_full && sealed > SD_SEAL_TAG_BYTES) {
                if (read_all(tfd, w->record, sealed, TAIL_HEAD_BYTES) != SD_OK) {
                    st = io_fail(err, "read", tpath);
                } else {
                    st = sd_seal_open_chunk(&w->key, w->header, index, get64(head + 16) - 1, false,
                                            w->record, sealed, w->tail, err);
                    w->tail_len = sealed - SD_SEAL_TAG_BYTES;
                }
            }
        }
    }
    if (tfd >= 0) {
        (void)close(tfd);
    }
    return st;
}

sd_status sd_blob_resume(sd_blob *b, const char *name, sd_blob_writer **out, uint64_t *size_out,
                         struct sd_err *err)
{
    char kpath[1100], ppath[1100];
    sd_status st = check_name(name, err);
    if (st != SD_OK) {
        return st;
    }
    path_of(b, name, "key", kpath, sizeof(kpath));
    path_of(b, name, "plain", ppath, sizeof(ppath));
    sd_blob_writer *w = writer_new(b, name);
    /* The object's own format, whatever the store writes today. */
    if (!exists(kpath) && exists(ppath)) {
        st = resume_plain(b, w, err);
    } else {
        st = resume_sealed(b, w, err);
    }
    if (st != SD_OK) {
        sd_blob_writer_close(w);
        return st;
    }
    *size_out = sd_blob_writer_size(w);
    *out = w;
    return SD_OK;
}

uint64_t sd_blob_writer_size(const sd_blob_writer *w)
{
    return w->is_plain ? w->plain_size : w->n_full * SD_SEAL_CHUNK + w->tail_len;
}

/* Seals the full tail as record n_full of the data file. */
static sd_status flush_full(sd_blob_writer *w, struct sd_err *err)
{
    uint64_t gen = w->next_gen++;
    put64(w->record, gen);
    sd_seal_chunk(&w->key, w->header, w->n_full, gen, false, w->tail, SD_SEAL_CHUNK, w->record + 8);
    off_t off = (off_t)(SD_SEAL_HEADER_BYTES + w->n_full * SD_SEAL_RECORD);
    if (write_all(w->fd, w->record, SD_SEAL_RECORD, off) != SD_OK) {
        return broken(w, err, "write blob");
    }
    w->n_full++;
    w->tail_len = 0;
    return SD_OK;
}

sd_status sd_blob_write(sd_blob_writer *w, const void *data, size_t n, struct sd_err *err)
{
    const unsigned char *p = data;
    sd_status st = check_writable(w, err);
    if (st != SD_OK) {
        return st;
    }
    if (w->is_plain) {
        if (write_all(w->fd, p, n, (off_t)w->plain_size) != SD_OK) {
            return broken(w, err, "write blob");
        }
        w->plain_size += n;
        return SD_OK;
    }
    while (n > 0) {
        size_t take = SD_SEAL_CHUNK - w->tail_len;
        if (take > n) {
            take = n;
        }
        memcpy(w->tail + w->tail_len, p, take);
        w->tail_len += take;
        p += take;
        n -= take;
        if (w->tail_len == SD_SEAL_CHUNK) {
            st = flush_full(w, err);
            if (st != SD_OK) {
                return st;
            }
        }
    }
    return SD_OK;
}

sd_status sd_blob_sync(sd_blob_writer *w, struct sd_err *err)
{
    char tpath[1100];
    sd_status st = check_writable(w, err);
    if (st != SD_OK) {
        return st;
    }
    if (fdatasync(w->fd) != 0) {
        return broken(w, err, "sync blob");
    }
    if (w->is_plain) {
        st = plain_tail_write(w, w->plain_size, err);
        w->is_broken = st != SD_OK;
        return st;
    }
    path_of(w->b, w->name, "tail", tpath, sizeof(tpath));
    /* The tail goes under a fresh generation each time: the file records the
     * next one, and the tail was sealed with the one before. */
    uint64_t gen = w->next_gen++;
    unsigned char head[TAIL_HEAD_BYTES];
    memcpy(head, tail_magic, sizeof(tail_magic));
    put64(head + 8, w->n_full);
    put64(head + 16, w->next_gen);
    unsigned char *buf = sd_xmalloc(TAIL_HEAD_BYTES + SD_SEAL_SEALED_CHUNK);
    memcpy(buf, head, sizeof(head));
    sd_seal_chunk(&w->key, w->header, w->n_full, gen, false, w->tail, w->tail_len,
                  buf + TAIL_HEAD_BYTES);
    st = replace_file(w->b, tpath, buf, TAIL_HEAD_BYTES + w->tail_len + SD_SEAL_TAG_BYTES, err);
    free(buf);
    w->is_broken = st != SD_OK;
    return st;
}

sd_status sd_blob_finish(sd_blob_writer *w, struct sd_err *err)
{
    char tpath[1100];
    sd_status st = check_writable(w, err);
    if (st != SD_OK) {
        return st;
    }
    path_of(w->b, w->name, "tail", tpath, sizeof(tpath));
    if (w->is_plain) {
        if (ftruncate(w->fd, (off_t)w->plain_size) != 0 || fsync(w->fd) != 0) {
            return broken(w, err, "finish blob");
        }
    } else {
        uint64_t gen = w->next_gen++;
        put64(w->record, gen);
        sd_seal_chunk(&w->key, w->header, w->n_full, gen, true, w->tail, w->tail_len,
                      w->record + 8);
        off_t off = (off_t)(SD_SEAL_HEADER_BYTES + w->n_full * SD_SEAL_RECORD);
        size_t len = 8 + w->tail_len + SD_SEAL_TAG_BYTES;
        if (write_all(w->fd, w->record, len, off) != SD_OK ||
            ftruncate(w->fd, off + (off_t)len) != 0 || fsync(w->fd) != 0) {
            return broken(w, err, "finish blob");
        }
    }
    /* Removing the tail is what makes the object complete. */
    if (unlink(tpath) != 0) {
        return broken(w, err, "remove the tail of blob");
    }
    sync_dir(w->b);
    w->is_finished = true;
    return SD_OK;
}

/* The shape of a complete object from its data file size. */
static sd_status complete_shape(uint64_t file_size, const char *name, uint64_t *n_records,
                                uint64_t *size, struct sd_err *err)
{
    if (file_size < SD_SEAL_HEADER_BYTES + 8 + SD_SEAL_TAG_BYTES) {
        return sd_err_set(err, SD_E_IO, NULL, "blob '%s' is truncated", name);
    }
    uint64_t body = file_size - SD_SEAL_HEADER_BYTES;
    uint64_t n = (body + SD_SEAL_RECORD - 1) / SD_SEAL_RECORD;
    uint64_t last = body - (n - 1) * SD_SEAL_RECORD;
    if (last < 8 + SD_SEAL_TAG_BYTES) {
        return sd_err_set(err, SD_E_IO, NULL, "blob '%s' is truncated", name);
    }
    *n_records = n;
    *size = (n - 1) * SD_SEAL_CHUNK + last - 8 - SD_SEAL_TAG_BYTES;
    return SD_OK;
}

/* Durable size of an incomplete sealed object: its records and a fresh tail. */
static uint64_t sealed_incomplete_size(const char *tpath, uint64_t data_size)
{
    uint64_t body = data_size > SD_SEAL_HEADER_BYTES ? data_size - SD_SEAL_HEADER_BYTES : 0;
    uint64_t n_full = body / SD_SEAL_RECORD;
    struct stat tb = {0};
    unsigned char head[TAIL_HEAD_BYTES];
    int fd = open(tpath, O_RDONLY | O_CLOEXEC);
    /* The tail file says which record it belongs to; a stale one adds nothing. */
    bool fresh = fd >= 0 && fstat(fd, &tb) == 0 &&
                 tb.st_size >= TAIL_HEAD_BYTES + SD_SEAL_TAG_BYTES &&
                 read_all(fd, head, sizeof(head), 0) == SD_OK && get64(head + 8) == n_full;
    if (fd >= 0) {
        (void)close(fd);
    }
    return n_full * SD_SEAL_CHUNK +
           (fresh ? (uint64_t)tb.st_size - TAIL_HEAD_BYTES - SD_SEAL_TAG_BYTES : 0);
}

/*
 * What the files of @name say: format, state, size, mtime and the random id
 * for the ETag. @dfd is the open data file, or -1 to look it up by name.
 */
static sd_status load_meta(sd_blob *b, const char *name, int dfd, struct meta *m,
                           struct sd_err *err)
{
    char kpath[1100], ppath[1100], dpath[1100], tpath[1100];
    path_of(b, name, "key", kpath, sizeof(kpath));
    path_of(b, name, "plain", ppath, sizeof(ppath));
    path_of(b, name, "data", dpath, sizeof(dpath));
    path_of(b, name, "tail", tpath, sizeof(tpath));
    memset(m, 0, sizeof(*m));
    struct stat db;
    if (exists(kpath)) {
        m->is_plain = false;
    } else if (exists(ppath)) {
        m->is_plain = true;
    } else {
        return sd_err_set(err, SD_E_NOT_FOUND, "name", "no blob '%s'", name);
    }
    if (dfd >= 0 ? fstat(dfd, &db) != 0 : stat(dpath, &db) != 0) {
        return sd_err_set(err, SD_E_NOT_FOUND, "name", "no blob '%s'", name);
    }
    m->mtime_s = (int64_t)db.st_mtime;
    m->is_complete = !exists(tpath);
    if (!m->is_complete) {
        if (!m->is_plain) {
            m->size = sealed_incomplete_size(tpath, (uint64_t)db.st_size);
            return SD_OK;
        }
        sd_status st = plain_tail_read(tpath, name, &m->size, err);
        /* Finished between the two looks: it is complete now. */
        m->is_complete = st == SD_E_NOT_FOUND;
        if (st != SD_E_NOT_FOUND) {
            return st;
        }
    }
    /* The id: the random base nonce after the seal magic, or the random id
     * after the plain marker's magic; both sit at offset 8. */
    const char *idpath = m->is_plain ? ppath : dpath;
    const off_t idoff = 8;
    int fd = dfd >= 0 && !m->is_plain ? dfd : open(idpath, O_RDONLY | O_CLOEXEC);
    sd_status st = fd >= 0 && read_all(fd, m->id, sizeof(m->id), idoff) == SD_OK
                       ? SD_OK
                       : io_fail(err, "read", idpath);
    if (fd >= 0 && fd != dfd) {
        (void)close(fd);
    }
    if (st != SD_OK) {
        return st;
    }
    if (m->is_plain) {
        m->size = (uint64_t)db.st_size;
        return SD_OK;
    }
    uint64_t n = 0;
    return complete_shape((uint64_t)db.st_size, name, &n, &m->size, err);
}

static void info_of(const struct meta *m, struct sd_blob_info *out)
{
    memset(out, 0, sizeof(*out));
    out->size = m->size;
    out->is_complete = m->is_complete;
    out->is_sealed = !m->is_plain;
    out->mtime_s = m->mtime_s;
    if (m->is_complete) {
        char hex[2 * ETAG_ID_BYTES + 1];
        sd_hex_encode(m->id, sizeof(m->id), hex);
        (void)snprintf(out->etag, sizeof(out->etag), "\"%s-%llx\"", hex,
                       (unsigned long long)m->size);
    }
}

sd_status sd_blob_stat(sd_blob *b, const char *name, struct sd_blob_info *out, struct sd_err *err)
{
    struct meta m;
    sd_status st = check_name(name, err);
    if (st == SD_OK) {
        st = load_meta(b, name, -1, &m, err);
    }
    if (st == SD_OK) {
        info_of(&m, out);
    }
    return st;
}

sd_status sd_blob_reader_open(sd_blob *b, const char *name, sd_blob_reader **out,
                              struct sd_err *err)
{
    char dpath[1100];
    struct meta m;
    sd_status st = check_name(name, err);
    if (st != SD_OK) {
        return st;
    }
    path_of(b, name, "data", dpath, sizeof(dpath));
    sd_blob_reader *r = sd_xcalloc(1, sizeof(*r));
    r->cached = NO_CHUNK;
    (void)sd_str_copy(r->name, sizeof(r->name), name);
    /* The data first, then its state: a file found complete after it was
     * opened is complete in the open file too (finish syncs, then unlinks). */
    r->fd = open(dpath, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        st = errno == ENOENT ? sd_err_set(err, SD_E_NOT_FOUND, "name", "no blob '%s'", name)
                             : io_fail(err, "open", dpath);
    }
    if (st == SD_OK) {
        st = load_meta(b, name, r->fd, &m, err);
    }
    if (st == SD_OK && !m.is_complete) {
        st = sd_err_set(err, SD_E_CONFLICT, "name", "blob '%s' is still being written", name);
    }
    if (st == SD_OK) {
        info_of(&m, &r->info);
    }
    if (st == SD_OK && !m.is_plain) {
        struct stat sb;
        st = load_key(b, name, &r->key, err);
        if (st == SD_OK && read_all(r->fd, r->header, sizeof(r->header), 0) != SD_OK) {
            st = io_fail(err, "read", dpath);
        }
        if (st == SD_OK) {
            st = sd_seal_header_check(r->header, err);
        }
        if (st == SD_OK) {
            st = fstat(r->fd, &sb) == 0
                     ? complete_shape((uint64_t)sb.st_size, name, &r->n_records, &r->info.size, err)
                     : io_fail(err, "stat", dpath);
        }
        if (st == SD_OK) {
            r->record = sd_xmalloc(SD_SEAL_RECORD);
            r->plain = sd_xmalloc(SD_SEAL_CHUNK);
        }
    }
    if (st != SD_OK) {
        sd_blob_reader_close(r);
        return st;
    }
    *out = r;
    return SD_OK;
}

const struct sd_blob_info *sd_blob_reader_info(const sd_blob_reader *r)
{
    return &r->info;
}

/* Decrypts chunk @i into r->plain, unless it is there already. */
static sd_status reader_chunk(sd_blob_reader *r, uint64_t i, size_t *len, struct sd_err *err)
{
    bool is_last = i + 1 == r->n_records;
    *len = is_last ? (size_t)(r->info.size - i * SD_SEAL_CHUNK) : SD_SEAL_CHUNK;
    if (r->cached == i) {
        return SD_OK;
    }
    r->cached = NO_CHUNK;
    size_t rec_len = 8 + *len + SD_SEAL_TAG_BYTES;
    if (read_all(r->fd, r->record, rec_len, (off_t)(SD_SEAL_HEADER_BYTES + i * SD_SEAL_RECORD)) !=
        SD_OK) {
        return io_fail(err, "read blob", r->name);
    }
    sd_status st = sd_seal_open_chunk(&r->key, r->header, i, get64(r->record), is_last,
                                      r->record + 8, rec_len - 8, r->plain, err);
    if (st == SD_OK) {
        r->cached = i;
    }
    return st;
}

sd_status sd_blob_reader_read(sd_blob_reader *r, uint64_t off, void *buf, size_t n, size_t *got_out,
                              struct sd_err *err)
{
    uint64_t size = r->info.size;
    *got_out = 0;
    if (off >= size || n == 0) {
        return SD_OK;
    }
    uint64_t end = n < size - off ? off + n : size;
    if (!r->info.is_sealed) {
        if (read_all(r->fd, buf, (size_t)(end - off), (off_t)off) != SD_OK) {
            return io_fail(err, "read blob", r->name);
        }
        *got_out = (size_t)(end - off);
        return SD_OK;
    }
    unsigned char *dst = buf;
    for (uint64_t pos = off; pos < end;) {
        uint64_t i = pos / SD_SEAL_CHUNK;
        size_t chunk_len = 0;
        sd_status st = reader_chunk(r, i, &chunk_len, err);
        if (st != SD_OK) {
            return st;
        }
        size_t from = (size_t)(pos - i * SD_SEAL_CHUNK);
        size_t take = chunk_len - from;
        if (take > end - pos) {
            take = (size_t)(end - pos);
        }
        memcpy(dst, r->plain + from, take);
        dst += take;
        pos += take;
        *got_out += take;
    }
    return SD_OK;
}

void sd_blob_reader_close(sd_blob_reader *r)
{
    if (r == NULL) {
        return;
    }
    if (r->fd >= 0) {
        (void)close(r->fd);
    }
    sd_seal_key_wipe(&r->key);
    if (r->plain != NULL) {
        memset(r->plain, 0, SD_SEAL_CHUNK);
    }
    free(r->plain);
    free(r->record);
    free(r);
}

sd_status sd_blob_read(sd_blob *b, const char *name, uint64_t off, void *buf, size_t n,
                       size_t *got_out, struct sd_err *err)
{
    sd_blob_reader *r = NULL;
    *got_out = 0;
    sd_status st = sd_blob_reader_open(b, name, &r, err);
    if (st == SD_OK) {
        st = sd_blob_reader_read(r, off, buf, n, got_out, err);
    }
    sd_blob_reader_close(r);
    return st;
}

sd_status sd_blob_open_plain_fd(sd_blob *b, const char *name, int *fd_out, uint64_t *size_out,
                                struct sd_err *err)
{
    char dpath[1100];
    struct meta m;
    sd_status st = check_name(name, err);
    if (st != SD_OK) {
        return st;
    }
    path_of(b, name, "data", dpath, sizeof(dpath));
    int fd = open(dpath, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? sd_err_set(err, SD_E_NOT_FOUND, "name", "no blob '%s'", name)
                               : io_fail(err, "open", dpath);
    }
    st = load_meta(b, name, fd, &m, err);
    if (st == SD_OK && !m.is_plain) {
        st = sd_err_set(err, SD_E_UNSUPPORTED, "name",
                        "blob '%s' is encrypted: read it through sd_blob_reader", name);
    }
    if (st == SD_OK && !m.is_complete) {
        st = sd_err_set(err, SD_E_CONFLICT, "name", "blob '%s' is still being written", name);
    }
    if (st != SD_OK) {
        (void)close(fd);
        return st;
    }
    *fd_out = fd;
    *size_out = m.size;
    return SD_OK;
}

sd_status sd_blob_delete(sd_blob *b, const char *name, struct sd_err *err)
{
    char path[1100];
    sd_status st = check_name(name, err);
    if (st != SD_OK) {
        return st;
    }
    /* The key (or the plain marker) first: once it is gone the object is,
     * and no copy of sealed data can be read. */
    path_of(b, name, "key", path, sizeof(path));
    if (unlink(path) != 0) {
        if (errno != ENOENT) {
            return io_fail(err, "remove", path);
        }
        path_of(b, name, "plain", path, sizeof(path));
        if (unlink(path) != 0) {
            return errno == ENOENT ? sd_err_set(err, SD_E_NOT_FOUND, "name", "no blob '%s'", name)
                                   : io_fail(err, "remove", path);
        }
    }
    sync_dir(b);
    path_of(b, name, "data", path, sizeof(path));
    (void)unlink(path);
    path_of(b, name, "tail", path, sizeof(path));
    (void)unlink(path);
    return SD_OK;
}

sd_status sd_blob_writer_truncate(sd_blob_writer *w, uint64_t at, struct sd_err *err)
{
    uint64_t size = sd_blob_writer_size(w);
    sd_status st = check_writable(w, err);
    if (st != SD_OK || at == size) {
        return st;
    }
    if (at > size) {
        return sd_err_set(err, SD_E_IO, NULL,
                          "blob '%s' holds %llu bytes, fewer than the %llu expected", w->name,
                          (unsigned long long)size, (unsigned long long)at);
    }
    if (w->is_plain) {
        if (ftruncate(w->fd, (off_t)at) != 0) {
            return broken(w, err, "truncate blob");
        }
        w->plain_size = at;
        return sd_blob_sync(w, err);
    }
    uint64_t keep_full = at / SD_SEAL_CHUNK;
    size_t rem = (size_t)(at % SD_SEAL_CHUNK);
    if (keep_full < w->n_full) {
        /* The cut falls in a sealed record: its head becomes the new tail. */
        if (rem > 0) {
            off_t off = (off_t)(SD_SEAL_HEADER_BYTES + keep_full * SD_SEAL_RECORD);
            if (read_all(w->fd, w->record, SD_SEAL_RECORD, off) != SD_OK) {
                return io_fail(err, "read", w->name);
            }
            st = sd_seal_open_chunk(&w->key, w->header, keep_full, get64(w->record), false,
                                    w->record + 8, SD_SEAL_SEALED_CHUNK, w->tail, err);
            if (st != SD_OK) {
                return st;
            }
        }
        if (ftruncate(w->fd, (off_t)(SD_SEAL_HEADER_BYTES + keep_full * SD_SEAL_RECORD)) != 0) {
            return broken(w, err, "truncate blob");
        }
        w->n_full = keep_full;
    }
    w->tail_len = rem;
    /* Durable at once: a crash now must not bring the cut bytes back. */
    return sd_blob_sync(w, err);
}
