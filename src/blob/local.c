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

#include "base/mem.h"
#include "base/str.h"
#include "base/banned.h"

#define TAIL_HEAD_BYTES (8 + 8 + 8) /* magic | chunk index | next generation */
#define RESUME_SKIP     (1ull << 32)

static const unsigned char tail_magic[8] = {'S', 'D', 'T', 'A', 'I', 'L', '0', '1'};

struct sd_blob {
    char dir[1024];
    struct sd_seal_key master;
};

struct sd_blob_writer {
    sd_blob *b;
    char name[65];
    int fd; /* NAME.data */
    struct sd_seal_key key;
    unsigned char header[SD_SEAL_HEADER_BYTES];
    uint64_t n_full;   /* records in the data file */
    uint64_t next_gen; /* never used yet for this object */
    size_t tail_len;
    bool is_finished;
    unsigned char tail[SD_SEAL_CHUNK];
    unsigned char record[SD_SEAL_RECORD];
};

static sd_status io_fail(struct sd_err *err, const char *what, const char *path)
{
    int e = errno;
    return sd_err_set(err, SD_E_IO, NULL, "cannot %s '%s': %s%s", what, path, strerror(e),
                      e == ENOSPC ? " (the disk is full: free space or move the data folder)" : "");
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

sd_status sd_blob_open(const char *dir, const struct sd_seal_key *master, sd_blob **out,
                       struct sd_err *err)
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
    *out = b;
    return SD_OK;
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

sd_status sd_blob_create(sd_blob *b, const char *name, sd_blob_writer **out, struct sd_err *err)
{
    char kpath[1100], dpath[1100];
    sd_status st = check_name(name, err);
    if (st != SD_OK) {
        return st;
    }
    path_of(b, name, "key", kpath, sizeof(kpath));
    path_of(b, name, "data", dpath, sizeof(dpath));
    sd_blob_writer *w = writer_new(b, name);
    int kfd = open(kpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (kfd < 0) {
        st = errno == EEXIST ? sd_err_set(err, SD_E_CONFLICT, "name", "blob '%s' exists", name)
                             : io_fail(err, "create", kpath);
        sd_blob_writer_close(w);
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
        sd_blob_writer_close(w);
        (void)unlink(dpath);
        (void)unlink(kpath);
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

sd_status sd_blob_resume(sd_blob *b, const char *name, sd_blob_writer **out, uint64_t *size_out,
                         struct sd_err *err)
{
    char dpath[1100], tpath[1100];
    sd_status st = check_name(name, err);
    if (st != SD_OK) {
        return st;
    }
    path_of(b, name, "data", dpath, sizeof(dpath));
    path_of(b, name, "tail", tpath, sizeof(tpath));
    sd_blob_writer *w = writer_new(b, name);
    st = load_key(b, name, &w->key, err);
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
    return w->n_full * SD_SEAL_CHUNK + w->tail_len;
}

/* Seals the full tail as record n_full of the data file. */
static sd_status flush_full(sd_blob_writer *w, struct sd_err *err)
{
    uint64_t gen = w->next_gen++;
    put64(w->record, gen);
    sd_seal_chunk(&w->key, w->header, w->n_full, gen, false, w->tail, SD_SEAL_CHUNK, w->record + 8);
    off_t off = (off_t)(SD_SEAL_HEADER_BYTES + w->n_full * SD_SEAL_RECORD);
    if (write_all(w->fd, w->record, SD_SEAL_RECORD, off) != SD_OK) {
        return io_fail(err, "write blob", w->name);
    }
    w->n_full++;
    w->tail_len = 0;
    return SD_OK;
}

sd_status sd_blob_write(sd_blob_writer *w, const void *data, size_t n, struct sd_err *err)
{
    const unsigned char *p = data;
    if (w->is_finished) {
        return sd_err_set(err, SD_E_CONFLICT, NULL, "blob '%s' is complete", w->name);
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
            sd_status st = flush_full(w, err);
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
    path_of(w->b, w->name, "tail", tpath, sizeof(tpath));
    if (fdatasync(w->fd) != 0) {
        return io_fail(err, "sync blob", w->name);
    }
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
    sd_status st =
        replace_file(w->b, tpath, buf, TAIL_HEAD_BYTES + w->tail_len + SD_SEAL_TAG_BYTES, err);
    free(buf);
    return st;
}

sd_status sd_blob_finish(sd_blob_writer *w, struct sd_err *err)
{
    char tpath[1100];
    path_of(w->b, w->name, "tail", tpath, sizeof(tpath));
    uint64_t gen = w->next_gen++;
    put64(w->record, gen);
    sd_seal_chunk(&w->key, w->header, w->n_full, gen, true, w->tail, w->tail_len, w->record + 8);
    off_t off = (off_t)(SD_SEAL_HEADER_BYTES + w->n_full * SD_SEAL_RECORD);
    size_t len = 8 + w->tail_len + SD_SEAL_TAG_BYTES;
    if (write_all(w->fd, w->record, len, off) != SD_OK || ftruncate(w->fd, off + (off_t)len) != 0 ||
        fsync(w->fd) != 0) {
        return io_fail(err, "finish blob", w->name);
    }
    if (unlink(tpath) != 0) {
        return io_fail(err, "remove", tpath);
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

sd_status sd_blob_stat(sd_blob *b, const char *name, struct sd_blob_info *out, struct sd_err *err)
{
    char dpath[1100], tpath[1100], kpath[1100];
    sd_status st = check_name(name, err);
    if (st != SD_OK) {
        return st;
    }
    path_of(b, name, "key", kpath, sizeof(kpath));
    path_of(b, name, "data", dpath, sizeof(dpath));
    path_of(b, name, "tail", tpath, sizeof(tpath));
    struct stat kb, db, tb;
    if (stat(kpath, &kb) != 0 || stat(dpath, &db) != 0) {
        return sd_err_set(err, SD_E_NOT_FOUND, "name", "no blob '%s'", name);
    }
    out->mtime_s = (int64_t)db.st_mtime;
    if (stat(tpath, &tb) == 0) {
        uint64_t n_full = ((uint64_t)db.st_size - SD_SEAL_HEADER_BYTES) / SD_SEAL_RECORD;
        uint64_t tail = (uint64_t)tb.st_size - TAIL_HEAD_BYTES - SD_SEAL_TAG_BYTES;
        /* The tail file says which record it belongs to; a stale one adds nothing. */
        int fd = open(tpath, O_RDONLY | O_CLOEXEC);
        unsigned char head[TAIL_HEAD_BYTES];
        bool fresh =
            fd >= 0 && read_all(fd, head, sizeof(head), 0) == SD_OK && get64(head + 8) == n_full;
        if (fd >= 0) {
            (void)close(fd);
        }
        out->size = n_full * SD_SEAL_CHUNK + (fresh ? tail : 0);
        out->is_complete = false;
        return SD_OK;
    }
    uint64_t n = 0;
    out->is_complete = true;
    return complete_shape((uint64_t)db.st_size, name, &n, &out->size, err);
}

sd_status sd_blob_read(sd_blob *b, const char *name, uint64_t off, void *buf, size_t n,
                       size_t *got_out, struct sd_err *err)
{
    struct sd_blob_info info = {0};
    struct sd_seal_key key;
    char dpath[1100];
    *got_out = 0;
    sd_status st = sd_blob_stat(b, name, &info, err);
    if (st == SD_OK && !info.is_complete) {
        st = sd_err_set(err, SD_E_CONFLICT, "name", "blob '%s' is still being written", name);
    }
    if (st != SD_OK) {
        return st;
    }
    if (off >= info.size || n == 0) {
        return SD_OK;
    }
    st = load_key(b, name, &key, err);
    if (st != SD_OK) {
        return st;
    }
    path_of(b, name, "data", dpath, sizeof(dpath));
    int fd = open(dpath, O_RDONLY | O_CLOEXEC);
    unsigned char header[SD_SEAL_HEADER_BYTES];
    if (fd < 0 || read_all(fd, header, sizeof(header), 0) != SD_OK) {
        st = io_fail(err, "open", dpath);
    }
    uint64_t n_records = 0, size = 0;
    if (st == SD_OK) {
        struct stat sb;
        st = fstat(fd, &sb) == 0
                 ? complete_shape((uint64_t)sb.st_size, name, &n_records, &size, err)
                 : io_fail(err, "stat", dpath);
    }
    unsigned char *record = st == SD_OK ? sd_xmalloc(SD_SEAL_RECORD) : NULL;
    unsigned char *plain = st == SD_OK ? sd_xmalloc(SD_SEAL_CHUNK) : NULL;
    uint64_t end = off + n < size ? off + n : size;
    unsigned char *dst = buf;
    for (uint64_t pos = off; st == SD_OK && pos < end;) {
        uint64_t i = pos / SD_SEAL_CHUNK;
        bool is_last = i + 1 == n_records;
        size_t chunk_len = is_last ? (size_t)(size - i * SD_SEAL_CHUNK) : SD_SEAL_CHUNK;
        size_t rec_len = 8 + chunk_len + SD_SEAL_TAG_BYTES;
        if (read_all(fd, record, rec_len, (off_t)(SD_SEAL_HEADER_BYTES + i * SD_SEAL_RECORD)) !=
            SD_OK) {
            st = io_fail(err, "read", dpath);
            break;
        }
        st = sd_seal_open_chunk(&key, header, i, get64(record), is_last, record + 8, rec_len - 8,
                                plain, err);
        size_t from = (size_t)(pos - i * SD_SEAL_CHUNK);
        size_t take = chunk_len - from;
        if (take > end - pos) {
            take = (size_t)(end - pos);
        }
        if (st == SD_OK) {
            memcpy(dst, plain + from, take);
            dst += take;
            pos += take;
            *got_out += take;
        }
    }
    if (fd >= 0) {
        (void)close(fd);
    }
    free(record);
    free(plain);
    sd_seal_key_wipe(&key);
    return st;
}

sd_status sd_blob_delete(sd_blob *b, const char *name, struct sd_err *err)
{
    char path[1100];
    sd_status st = check_name(name, err);
    if (st != SD_OK) {
        return st;
    }
    path_of(b, name, "key", path, sizeof(path));
    /* The key first: once it is gone, no copy of the data can be read. */
    if (unlink(path) != 0) {
        return errno == ENOENT ? sd_err_set(err, SD_E_NOT_FOUND, "name", "no blob '%s'", name)
                               : io_fail(err, "remove", path);
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
    if (at == size) {
        return SD_OK;
    }
    if (at > size || w->is_finished) {
        return sd_err_set(err, SD_E_IO, NULL,
                          "blob '%s' holds %llu bytes, fewer than the %llu expected", w->name,
                          (unsigned long long)size, (unsigned long long)at);
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
            sd_status st = sd_seal_open_chunk(&w->key, w->header, keep_full, get64(w->record),
                                              false, w->record + 8, SD_SEAL_SEALED_CHUNK, w->tail,
                                              err);
            if (st != SD_OK) {
                return st;
            }
        }
        if (ftruncate(w->fd, (off_t)(SD_SEAL_HEADER_BYTES + keep_full * SD_SEAL_RECORD)) != 0) {
            return io_fail(err, "truncate", w->name);
        }
        w->n_full = keep_full;
    }
    w->tail_len = rem;
    /* Durable at once: a crash now must not bring the cut bytes back. */
    return sd_blob_sync(w, err);
}
