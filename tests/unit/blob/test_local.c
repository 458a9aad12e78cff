/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests of src/blob/local.c on a real folder: appending in pieces,
 * resuming after a crash at every stage, ranges, tampering, wrong master
 * key, deletion that destroys the key first, and bad names; plain objects,
 * stores of both kinds reading each other's objects, state across restarts,
 * the sendfile fd, readers that decrypt only the chunks they touch, ETags,
 * and writes refused by the file size limit (a stand-in for a full disk).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "blob/blob.h"

static char dir[] = "/tmp/showdesk-blob-XXXXXX";
static struct sd_seal_key master;
static sd_blob *store;       /* seals new objects */
static sd_blob *plain_store; /* the same folder, writing plain */

static void must(sd_status st, const struct sd_err *err)
{
    if (st != SD_OK) {
        fail_msg("failed: %s (%s)", sd_status_name(st), err->msg);
    }
}

static unsigned char *random_bytes(size_t n)
{
    unsigned char *p = malloc(n ? n : 1);
    randombytes_buf(p, n);
    return p;
}

/* Reads all of @name and compares it with @want. */
static void expect_content(const char *name, const unsigned char *want, size_t n)
{
    struct sd_err err = SD_ERR_INIT;
    struct sd_blob_info info;
    must(sd_blob_stat(store, name, &info, &err), &err);
    assert_true(info.is_complete);
    assert_int_equal(info.size, n);
    unsigned char *got = malloc(n + 10);
    size_t len = 0;
    must(sd_blob_read(store, name, 0, got, n + 10, &len, &err), &err);
    assert_int_equal(len, n);
    assert_memory_equal(got, want, n);
    free(got);
}

static int setup(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    if (sodium_init() < 0 || mkdtemp(dir) == NULL) {
        return -1;
    }
    sd_seal_keygen(&master);
    char sub[64];
    snprintf(sub, sizeof(sub), "%s/blobs", dir);
    must(sd_blob_open(sub, &master, &store, &err), &err);
    const struct sd_blob_opts plain = {.is_plain = true};
    must(sd_blob_open_opts(sub, &master, &plain, &plain_store, &err), &err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sd_blob_close(store);
    sd_blob_close(plain_store);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_write_read(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    size_t n = 3 * SD_SEAL_CHUNK + 12345;
    unsigned char *data = random_bytes(n);
    sd_blob_writer *w = NULL;
    must(sd_blob_create(store, "rec_1", &w, &err), &err);
    /* Pieces of odd sizes, as an upload delivers them. */
    for (size_t off = 0; off < n;) {
        size_t piece = 7919 < n - off ? 7919 : n - off;
        must(sd_blob_write(w, data + off, piece, &err), &err);
        off += piece;
    }
    assert_int_equal(sd_blob_writer_size(w), n);
    struct sd_blob_info info;
    must(sd_blob_stat(store, "rec_1", &info, &err), &err);
    assert_false(info.is_complete);
    size_t got = 0;
    unsigned char buf[64];
    assert_int_equal(sd_blob_read(store, "rec_1", 0, buf, sizeof(buf), &got, &err), SD_E_CONFLICT);
    must(sd_blob_finish(w, &err), &err);
    assert_int_equal(sd_blob_write(w, "x", 1, &err), SD_E_CONFLICT);
    sd_blob_writer_close(w);
    expect_content("rec_1", data, n);
    /* Ranges across records, and at the very end. */
    const uint64_t offs[] = {0, 1, SD_SEAL_CHUNK - 3, SD_SEAL_CHUNK, 2 * SD_SEAL_CHUNK + 77, n - 5};
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        unsigned char out[9000];
        must(sd_blob_read(store, "rec_1", offs[i], out, sizeof(out), &got, &err), &err);
        size_t want = n - offs[i] < sizeof(out) ? n - offs[i] : sizeof(out);
        assert_int_equal(got, want);
        assert_memory_equal(out, data + offs[i], want);
    }
    must(sd_blob_read(store, "rec_1", n, buf, sizeof(buf), &got, &err), &err);
    assert_int_equal(got, 0);
    /* The plaintext is not on disk. */
    char path[128];
    snprintf(path, sizeof(path), "%s/blobs/rec_1.data", dir);
    FILE *f = fopen(path, "rb");
    unsigned char *disk = malloc(n + 4096);
    size_t disk_len = fread(disk, 1, n + 4096, f);
    fclose(f);
    assert_null(memmem(disk, disk_len, data + 1000, 32));
    free(disk);
    assert_int_equal(sd_blob_resume(store, "rec_1", &w, &disk_len, &err), SD_E_CONFLICT);
    free(data);
}

static void test_resume_after_crash(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    size_t n = 2 * SD_SEAL_CHUNK + 5000;
    unsigned char *data = random_bytes(n);
    sd_blob_writer *w = NULL;
    uint64_t size = 0;
    must(sd_blob_create(store, "upload_2", &w, &err), &err);
    must(sd_blob_write(w, data, 100000, &err), &err);
    must(sd_blob_sync(w, &err), &err);
    sd_blob_writer_close(w); /* a crash right after a sync */
    must(sd_blob_resume(store, "upload_2", &w, &size, &err), &err);
    assert_int_equal(size, 100000);
    struct sd_blob_info info;
    must(sd_blob_stat(store, "upload_2", &info, &err), &err);
    assert_int_equal(info.size, 100000);
    /* More data, not synced, and another crash: what was synced survives;
     * a full record that reached the file counts too. */
    must(sd_blob_write(w, data + size, 35000, &err), &err);
    sd_blob_writer_close(w);
    must(sd_blob_resume(store, "upload_2", &w, &size, &err), &err);
    assert_true(size == 100000 || size == 2 * SD_SEAL_CHUNK);
    /* A record torn by the crash is cut off on resume. */
    sd_blob_writer_close(w);
    char path[128];
    snprintf(path, sizeof(path), "%s/blobs/upload_2.data", dir);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(truncate(path, sb.st_size - 100), 0);
    must(sd_blob_resume(store, "upload_2", &w, &size, &err), &err);
    assert_true(size <= 100000);
    must(sd_blob_write(w, data + size, n - size, &err), &err);
    must(sd_blob_finish(w, &err), &err);
    sd_blob_writer_close(w);
    expect_content("upload_2", data, n);
    free(data);
}

static void test_empty_and_names(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    sd_blob_writer *w = NULL;
    must(sd_blob_create(store, "empty", &w, &err), &err);
    must(sd_blob_finish(w, &err), &err);
    sd_blob_writer_close(w);
    expect_content("empty", (const unsigned char *)"", 0);
    assert_int_equal(sd_blob_create(store, "empty", &w, &err), SD_E_CONFLICT);
    const char *bad[] = {
        "",        "../etc/passwd",
        "a/b",     "UPPER",
        "dot.ted", "x123456789012345678901234567890123456789012345678901234567890123456"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(sd_blob_create(store, bad[i], &w, &err), SD_E_INVALID);
        assert_string_equal(err.field, "name");
    }
    struct sd_blob_info info;
    assert_int_equal(sd_blob_stat(store, "nothing", &info, &err), SD_E_NOT_FOUND);
    uint64_t size;
    assert_int_equal(sd_blob_resume(store, "nothing", &w, &size, &err), SD_E_NOT_FOUND);
}

static void test_tamper_wrong_key_delete(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    size_t n = SD_SEAL_CHUNK + 10;
    unsigned char *data = random_bytes(n);
    sd_blob_writer *w = NULL;
    must(sd_blob_create(store, "vid", &w, &err), &err);
    must(sd_blob_write(w, data, n, &err), &err);
    must(sd_blob_finish(w, &err), &err);
    sd_blob_writer_close(w);
    char path[128];
    snprintf(path, sizeof(path), "%s/blobs/vid.data", dir);
    FILE *f = fopen(path, "r+b");
    fseek(f, SD_SEAL_HEADER_BYTES + SD_SEAL_RECORD + 8 + 3, SEEK_SET);
    int c = fgetc(f);
    fseek(f, SD_SEAL_HEADER_BYTES + SD_SEAL_RECORD + 8 + 3, SEEK_SET);
    fputc(c ^ 0x01, f);
    fclose(f);
    unsigned char out[16];
    size_t got = 0;
    /* The first record still reads; the altered one does not. */
    must(sd_blob_read(store, "vid", 0, out, sizeof(out), &got, &err), &err);
    assert_memory_equal(out, data, sizeof(out));
    assert_int_equal(sd_blob_read(store, "vid", SD_SEAL_CHUNK, out, 5, &got, &err), SD_E_IO);
    /* Another installation's master key cannot read it. */
    struct sd_seal_key other;
    sd_seal_keygen(&other);
    sd_blob *b2 = NULL;
    char sub[64];
    snprintf(sub, sizeof(sub), "%s/blobs", dir);
    must(sd_blob_open(sub, &other, &b2, &err), &err);
    assert_int_equal(sd_blob_read(b2, "vid", 0, out, 5, &got, &err), SD_E_FORBIDDEN);
    sd_blob_close(b2);
    /* Deleting removes the key: the data is unreadable even if a copy remains. */
    must(sd_blob_delete(store, "vid", &err), &err);
    snprintf(path, sizeof(path), "%s/blobs/vid.key", dir);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(sd_blob_read(store, "vid", 0, out, 5, &got, &err), SD_E_NOT_FOUND);
    assert_int_equal(sd_blob_delete(store, "vid", &err), SD_E_NOT_FOUND);
    free(data);
}

/* The path of @name's file with extension @ext. */
static void file_of(const char *name, const char *ext, char *out, size_t n)
{
    snprintf(out, n, "%s/blobs/%s.%s", dir, name, ext);
}

static bool has_file(const char *name, const char *ext)
{
    char path[160];
    file_of(name, ext, path, sizeof(path));
    return access(path, F_OK) == 0;
}

/* Writes @data (in odd pieces) as @name into @b and finishes it. */
static void put(sd_blob *b, const char *name, const unsigned char *data, size_t n)
{
    struct sd_err err = SD_ERR_INIT;
    sd_blob_writer *w = NULL;
    must(sd_blob_create(b, name, &w, &err), &err);
    for (size_t off = 0; off < n;) {
        size_t piece = 7919 < n - off ? 7919 : n - off;
        must(sd_blob_write(w, data + off, piece, &err), &err);
        off += piece;
    }
    must(sd_blob_finish(w, &err), &err);
    sd_blob_writer_close(w);
}

/* Reopens both stores on the folder, as a restart does. */
static void restart(void)
{
    struct sd_err err = SD_ERR_INIT;
    char sub[64];
    snprintf(sub, sizeof(sub), "%s/blobs", dir);
    sd_blob_close(store);
    sd_blob_close(plain_store);
    must(sd_blob_open(sub, &master, &store, &err), &err);
    const struct sd_blob_opts plain = {.is_plain = true};
    must(sd_blob_open_opts(sub, &master, &plain, &plain_store, &err), &err);
}

static void test_plain_write_read(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    size_t n = 2 * SD_SEAL_CHUNK + 999;
    unsigned char *data = random_bytes(n);
    sd_blob_writer *w = NULL;
    must(sd_blob_create(plain_store, "plain_1", &w, &err), &err);
    must(sd_blob_write(w, data, 5000, &err), &err);
    struct sd_blob_info info;
    must(sd_blob_stat(plain_store, "plain_1", &info, &err), &err);
    assert_false(info.is_complete);
    assert_false(info.is_sealed);
    assert_string_equal(info.etag, "");
    size_t got = 0;
    unsigned char buf[64];
    assert_int_equal(sd_blob_read(plain_store, "plain_1", 0, buf, 8, &got, &err), SD_E_CONFLICT);
    int fd = -1;
    uint64_t size = 0;
    assert_int_equal(sd_blob_open_plain_fd(plain_store, "plain_1", &fd, &size, &err),
                     SD_E_CONFLICT);
    must(sd_blob_write(w, data + 5000, n - 5000, &err), &err);
    must(sd_blob_finish(w, &err), &err);
    assert_int_equal(sd_blob_write(w, "x", 1, &err), SD_E_CONFLICT);
    assert_int_equal(sd_blob_sync(w, &err), SD_E_CONFLICT);
    sd_blob_writer_close(w);
    /* Either store reads it; the files are the marker and the bytes. */
    expect_content("plain_1", data, n);
    must(sd_blob_stat(plain_store, "plain_1", &info, &err), &err);
    assert_true(info.is_complete);
    assert_false(info.is_sealed);
    assert_true(info.mtime_s > 1600000000);
    assert_true(has_file("plain_1", "plain"));
    assert_false(has_file("plain_1", "key"));
    assert_false(has_file("plain_1", "tail"));
    char path[160];
    file_of("plain_1", "data", path, sizeof(path));
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, n);
    /* A strong ETag: quoted, 24 hex of id, the size in hex. */
    char want_tail[32];
    snprintf(want_tail, sizeof(want_tail), "-%zx\"", n);
    assert_int_equal(info.etag[0], '"');
    assert_int_equal(strlen(info.etag), 1 + 24 + strlen(want_tail));
    assert_string_equal(info.etag + 25, want_tail);
    /* The fd for sendfile: the object's bytes at their offsets. */
    must(sd_blob_open_plain_fd(store, "plain_1", &fd, &size, &err), &err);
    assert_int_equal(size, n);
    unsigned char *all = malloc(n);
    assert_int_equal(pread(fd, all, n, 0), (ssize_t)n);
    assert_memory_equal(all, data, n);
    assert_int_equal(pread(fd, all, 100, (off_t)SD_SEAL_CHUNK + 7), 100);
    assert_memory_equal(all, data + SD_SEAL_CHUNK + 7, 100);
    close(fd);
    free(all);
    /* Ranges. */
    must(sd_blob_read(plain_store, "plain_1", n - 10, buf, sizeof(buf), &got, &err), &err);
    assert_int_equal(got, 10);
    assert_memory_equal(buf, data + n - 10, 10);
    must(sd_blob_read(plain_store, "plain_1", n, buf, sizeof(buf), &got, &err), &err);
    assert_int_equal(got, 0);
    /* Names collide across formats. */
    assert_int_equal(sd_blob_create(store, "plain_1", &w, &err), SD_E_CONFLICT);
    assert_int_equal(sd_blob_create(plain_store, "plain_1", &w, &err), SD_E_CONFLICT);
    assert_int_equal(sd_blob_resume(plain_store, "plain_1", &w, &size, &err), SD_E_CONFLICT);
    /* Sealed and missing objects have no fd. */
    put(store, "sealed_1", data, 100);
    assert_int_equal(sd_blob_open_plain_fd(plain_store, "sealed_1", &fd, &size, &err),
                     SD_E_UNSUPPORTED);
    assert_int_equal(sd_blob_open_plain_fd(plain_store, "nothing", &fd, &size, &err),
                     SD_E_NOT_FOUND);
    assert_int_equal(sd_blob_open_plain_fd(plain_store, "Bad/Name", &fd, &size, &err),
                     SD_E_INVALID);
    assert_int_equal(sd_blob_create(plain_store, "sealed_1", &w, &err), SD_E_CONFLICT);
    /* An empty plain object. */
    put(plain_store, "plain_empty", data, 0);
    expect_content("plain_empty", data, 0);
    must(sd_blob_open_plain_fd(plain_store, "plain_empty", &fd, &size, &err), &err);
    assert_int_equal(size, 0);
    close(fd);
    /* Delete: the marker, the data and nothing left; an open fd keeps reading. */
    must(sd_blob_open_plain_fd(plain_store, "plain_1", &fd, &size, &err), &err);
    must(sd_blob_delete(store, "plain_1", &err), &err);
    assert_false(has_file("plain_1", "plain"));
    assert_false(has_file("plain_1", "data"));
    assert_int_equal(pread(fd, buf, 16, 0), 16);
    assert_memory_equal(buf, data, 16);
    close(fd);
    assert_int_equal(sd_blob_stat(plain_store, "plain_1", &info, &err), SD_E_NOT_FOUND);
    assert_int_equal(sd_blob_delete(plain_store, "plain_1", &err), SD_E_NOT_FOUND);
    /* The name is free again, in the other format. */
    put(store, "plain_1", data, 10);
    must(sd_blob_stat(plain_store, "plain_1", &info, &err), &err);
    assert_true(info.is_sealed);
    must(sd_blob_delete(plain_store, "plain_1", &err), &err);
    must(sd_blob_delete(plain_store, "sealed_1", &err), &err);
    must(sd_blob_delete(store, "plain_empty", &err), &err);
    free(data);
}

static void test_mixed_and_restart(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    size_t n = SD_SEAL_CHUNK + 4321;
    unsigned char *data = random_bytes(n);
    sd_blob_writer *w = NULL;
    uint64_t size = 0;
    /* An upload begun sealed goes on sealed after the option changed, and
     * one begun plain goes on plain, across a restart. */
    must(sd_blob_create(store, "mix_sealed", &w, &err), &err);
    must(sd_blob_write(w, data, 3000, &err), &err);
    must(sd_blob_sync(w, &err), &err);
    sd_blob_writer_close(w);
    must(sd_blob_create(plain_store, "mix_plain", &w, &err), &err);
    must(sd_blob_write(w, data, 3000, &err), &err);
    must(sd_blob_sync(w, &err), &err);
    sd_blob_writer_close(w);
    restart();
    struct sd_blob_info info;
    must(sd_blob_stat(store, "mix_plain", &info, &err), &err);
    assert_false(info.is_complete);
    assert_false(info.is_sealed);
    assert_int_equal(info.size, 3000);
    must(sd_blob_stat(plain_store, "mix_sealed", &info, &err), &err);
    assert_false(info.is_complete);
    assert_true(info.is_sealed);
    assert_int_equal(info.size, 3000);
    must(sd_blob_resume(plain_store, "mix_sealed", &w, &size, &err), &err);
    assert_int_equal(size, 3000);
    must(sd_blob_write(w, data + 3000, n - 3000, &err), &err);
    must(sd_blob_finish(w, &err), &err);
    sd_blob_writer_close(w);
    must(sd_blob_resume(store, "mix_plain", &w, &size, &err), &err);
    assert_int_equal(size, 3000);
    must(sd_blob_write(w, data + 3000, n - 3000, &err), &err);
    must(sd_blob_finish(w, &err), &err);
    sd_blob_writer_close(w);
    restart();
    expect_content("mix_sealed", data, n);
    expect_content("mix_plain", data, n);
    must(sd_blob_stat(store, "mix_sealed", &info, &err), &err);
    assert_true(info.is_complete && info.is_sealed);
    assert_true(has_file("mix_sealed", "key"));
    must(sd_blob_stat(store, "mix_plain", &info, &err), &err);
    assert_true(info.is_complete && !info.is_sealed);
    /* The plaintext is on disk only for the plain one. */
    char path[160];
    file_of("mix_plain", "data", path, sizeof(path));
    FILE *f = fopen(path, "rb");
    unsigned char head[32];
    assert_int_equal(fread(head, 1, sizeof(head), f), sizeof(head));
    fclose(f);
    assert_memory_equal(head, data, sizeof(head));
    must(sd_blob_delete(plain_store, "mix_sealed", &err), &err);
    must(sd_blob_delete(store, "mix_plain", &err), &err);
    free(data);
}

static void test_plain_resume(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    size_t n = 200000;
    unsigned char *data = random_bytes(n);
    sd_blob_writer *w = NULL;
    uint64_t size = 0;
    char path[160];
    file_of("plain_up", "data", path, sizeof(path));
    must(sd_blob_create(plain_store, "plain_up", &w, &err), &err);
    must(sd_blob_write(w, data, 1000, &err), &err);
    sd_blob_writer_close(w); /* closed before any sync: nothing is durable */
    must(sd_blob_resume(plain_store, "plain_up", &w, &size, &err), &err);
    assert_int_equal(size, 0);
    must(sd_blob_write(w, data, 1000, &err), &err);
    must(sd_blob_sync(w, &err), &err);
    must(sd_blob_write(w, data + 1000, 500, &err), &err);
    sd_blob_writer_close(w); /* a crash after a sync and more writes */
    must(sd_blob_resume(plain_store, "plain_up", &w, &size, &err), &err);
    assert_int_equal(size, 1000);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 1000);
    sd_blob_writer_close(w);
    /* What a crash can leave after the synced bytes (zeros where a write
     * did not land) is cut off too. */
    FILE *f = fopen(path, "ab");
    unsigned char zeros[700] = {0};
    assert_int_equal(fwrite(zeros, 1, sizeof(zeros), f), sizeof(zeros));
    fclose(f);
    restart();
    struct sd_blob_info info;
    must(sd_blob_stat(plain_store, "plain_up", &info, &err), &err);
    assert_false(info.is_complete);
    assert_int_equal(info.size, 1000);
    must(sd_blob_resume(store, "plain_up", &w, &size, &err), &err);
    assert_int_equal(size, 1000);
    assert_int_equal(sd_blob_writer_size(w), 1000);
    /* Truncate to what the client was told, durably. */
    assert_int_equal(sd_blob_writer_truncate(w, 2000, &err), SD_E_IO);
    must(sd_blob_writer_truncate(w, 600, &err), &err);
    sd_blob_writer_close(w);
    must(sd_blob_resume(plain_store, "plain_up", &w, &size, &err), &err);
    assert_int_equal(size, 600);
    must(sd_blob_write(w, data + 600, n - 600, &err), &err);
    must(sd_blob_sync(w, &err), &err);
    must(sd_blob_finish(w, &err), &err);
    sd_blob_writer_close(w);
    restart();
    expect_content("plain_up", data, n);
    assert_int_equal(sd_blob_resume(plain_store, "plain_up", &w, &size, &err), SD_E_CONFLICT);
    /* A damaged tail or lost synced bytes are errors, not guesses. */
    must(sd_blob_create(plain_store, "plain_bad", &w, &err), &err);
    must(sd_blob_write(w, data, 5000, &err), &err);
    must(sd_blob_sync(w, &err), &err);
    sd_blob_writer_close(w);
    file_of("plain_bad", "data", path, sizeof(path));
    assert_int_equal(truncate(path, 4000), 0);
    assert_int_equal(sd_blob_resume(plain_store, "plain_bad", &w, &size, &err), SD_E_IO);
    assert_non_null(strstr(err.msg, "damaged"));
    file_of("plain_bad", "tail", path, sizeof(path));
    assert_int_equal(truncate(path, 3), 0);
    assert_int_equal(sd_blob_resume(plain_store, "plain_bad", &w, &size, &err), SD_E_IO);
    assert_int_equal(sd_blob_stat(plain_store, "plain_bad", &info, &err), SD_E_IO);
    must(sd_blob_delete(plain_store, "plain_bad", &err), &err);
    assert_false(has_file("plain_bad", "tail"));
    must(sd_blob_delete(plain_store, "plain_up", &err), &err);
    free(data);
}

/* Flips one byte of @name's data file at @off. */
static void flip(const char *name, long off)
{
    char path[160];
    file_of(name, "data", path, sizeof(path));
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, off, SEEK_SET);
    int c = fgetc(f);
    fseek(f, off, SEEK_SET);
    fputc(c ^ 0x40, f);
    fclose(f);
}

static void test_reader(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    size_t n = 64 * SD_SEAL_CHUNK + 17; /* 4 MiB and a bit: 65 chunks */
    unsigned char *data = random_bytes(n);
    put(store, "big", data, n);
    sd_blob_reader *r = NULL;
    must(sd_blob_reader_open(store, "big", &r, &err), &err);
    const struct sd_blob_info *ri = sd_blob_reader_info(r);
    assert_int_equal(ri->size, n);
    assert_true(ri->is_sealed && ri->is_complete);
    struct sd_blob_info info;
    must(sd_blob_stat(store, "big", &info, &err), &err);
    assert_string_equal(info.etag, ri->etag);
    /* A 1 MiB range from an odd offset, in one call. */
    size_t mib = 1u << 20;
    uint64_t from = 3 * SD_SEAL_CHUNK + 12345;
    unsigned char *buf = malloc(mib);
    size_t got = 0;
    must(sd_blob_reader_read(r, from, buf, mib, &got, &err), &err);
    assert_int_equal(got, mib);
    assert_memory_equal(buf, data + from, mib);
    /* Then in small sequential pieces, as a response goes out. */
    for (uint64_t pos = from; pos < from + mib;) {
        size_t want = 5000 < from + mib - pos ? 5000 : (size_t)(from + mib - pos);
        must(sd_blob_reader_read(r, pos, buf, want, &got, &err), &err);
        assert_int_equal(got, want);
        assert_memory_equal(buf, data + pos, want);
        pos += got;
    }
    /* The end, and past it. */
    must(sd_blob_reader_read(r, n - 5, buf, 100, &got, &err), &err);
    assert_int_equal(got, 5);
    assert_memory_equal(buf, data + n - 5, 5);
    must(sd_blob_reader_read(r, n, buf, 100, &got, &err), &err);
    assert_int_equal(got, 0);
    must(sd_blob_reader_read(r, UINT64_MAX, buf, 100, &got, &err), &err);
    assert_int_equal(got, 0);
    /* Only the chunks a range touches are decrypted: damage chunk 40 and
     * the range (chunks 3 to 19) still reads, while a range over it fails. */
    flip("big", (long)(SD_SEAL_HEADER_BYTES + 40 * SD_SEAL_RECORD + 100));
    sd_blob_reader_close(r);
    must(sd_blob_reader_open(store, "big", &r, &err), &err);
    must(sd_blob_reader_read(r, from, buf, mib, &got, &err), &err);
    assert_memory_equal(buf, data + from, mib);
    assert_int_equal(sd_blob_reader_read(r, 39 * SD_SEAL_CHUNK, buf, mib, &got, &err), SD_E_IO);
    /* The reader does not serve a chunk that failed from its cache. */
    assert_int_equal(sd_blob_reader_read(r, 40 * SD_SEAL_CHUNK, buf, 10, &got, &err), SD_E_IO);
    must(sd_blob_reader_read(r, 41 * SD_SEAL_CHUNK, buf, 10, &got, &err), &err);
    assert_memory_equal(buf, data + 41 * SD_SEAL_CHUNK, 10);
    /* An open reader keeps reading after the object is deleted. */
    must(sd_blob_delete(store, "big", &err), &err);
    must(sd_blob_reader_read(r, 0, buf, 1000, &got, &err), &err);
    assert_memory_equal(buf, data, 1000);
    sd_blob_reader_close(r);
    assert_int_equal(sd_blob_reader_open(store, "big", &r, &err), SD_E_NOT_FOUND);
    sd_blob_reader_close(NULL);
    /* Plain objects through a reader; incomplete ones are refused. */
    put(plain_store, "big_plain", data, mib);
    must(sd_blob_reader_open(store, "big_plain", &r, &err), &err);
    assert_false(sd_blob_reader_info(r)->is_sealed);
    must(sd_blob_reader_read(r, 77, buf, mib, &got, &err), &err);
    assert_int_equal(got, mib - 77);
    assert_memory_equal(buf, data + 77, mib - 77);
    sd_blob_reader_close(r);
    sd_blob_writer *w = NULL;
    must(sd_blob_create(store, "big_open", &w, &err), &err);
    assert_int_equal(sd_blob_reader_open(store, "big_open", &r, &err), SD_E_CONFLICT);
    sd_blob_writer_close(w);
    must(sd_blob_delete(store, "big_open", &err), &err);
    /* ETags: stable for an object, new for a new object of the same size. */
    char first[SD_BLOB_ETAG_LEN];
    must(sd_blob_stat(plain_store, "big_plain", &info, &err), &err);
    snprintf(first, sizeof(first), "%s", info.etag);
    must(sd_blob_stat(store, "big_plain", &info, &err), &err);
    assert_string_equal(info.etag, first);
    must(sd_blob_delete(store, "big_plain", &err), &err);
    put(plain_store, "big_plain", data, mib);
    must(sd_blob_stat(store, "big_plain", &info, &err), &err);
    assert_string_not_equal(info.etag, first);
    must(sd_blob_delete(store, "big_plain", &err), &err);
    put(store, "sealed_etag", data, 10);
    must(sd_blob_stat(store, "sealed_etag", &info, &err), &err);
    assert_string_not_equal(info.etag, "");
    snprintf(first, sizeof(first), "%s", info.etag);
    must(sd_blob_delete(store, "sealed_etag", &err), &err);
    put(store, "sealed_etag", data, 10);
    must(sd_blob_stat(store, "sealed_etag", &info, &err), &err);
    assert_string_not_equal(info.etag, first);
    must(sd_blob_delete(store, "sealed_etag", &err), &err);
    free(buf);
    free(data);
}

/*
 * Writes past the file size limit fail with EFBIG, as a full disk fails with
 * ENOSPC: the writer reports SD_E_IO and refuses further calls, and a resume
 * finds the synced bytes intact.
 */
static void disk_full(sd_blob *b, const char *name)
{
    struct sd_err err = SD_ERR_INIT;
    size_t n = 300000;
    unsigned char *data = random_bytes(n);
    sd_blob_writer *w = NULL;
    uint64_t size = 0;
    must(sd_blob_create(b, name, &w, &err), &err);
    must(sd_blob_write(w, data, 100000, &err), &err);
    must(sd_blob_sync(w, &err), &err);

    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 150000;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    struct sd_err werr = SD_ERR_INIT, serr = SD_ERR_INIT;
    sd_status wst = sd_blob_write(w, data + 100000, 200000, &werr);
    sd_status sst = sd_blob_sync(w, &serr);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    (void)signal(SIGXFSZ, old_handler);

    assert_int_equal(wst, SD_E_IO);
    assert_non_null(strstr(werr.msg, name));
    assert_non_null(strstr(werr.msg, "file size limit"));
    assert_int_equal(sst, SD_E_IO);
    assert_non_null(strstr(serr.msg, "close the writer and resume"));
    assert_int_equal(sd_blob_finish(w, &err), SD_E_IO);
    sd_blob_writer_close(w);

    /* The synced 100000 bytes are there; a sealed object may also keep a
     * whole record that reached the disk. The upload cuts back to what it
     * acknowledged and goes on. */
    must(sd_blob_resume(b, name, &w, &size, &err), &err);
    assert_true(size >= 100000 && size < 150000);
    must(sd_blob_writer_truncate(w, 100000, &err), &err);
    must(sd_blob_write(w, data + 100000, n - 100000, &err), &err);
    must(sd_blob_finish(w, &err), &err);
    sd_blob_writer_close(w);
    expect_content(name, data, n);
    must(sd_blob_delete(b, name, &err), &err);
    free(data);
}

static void test_disk_full(void **state)
{
    (void)state;
    disk_full(plain_store, "full_plain");
    disk_full(store, "full_sealed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_read),       cmocka_unit_test(test_resume_after_crash),
        cmocka_unit_test(test_empty_and_names),  cmocka_unit_test(test_tamper_wrong_key_delete),
        cmocka_unit_test(test_plain_write_read), cmocka_unit_test(test_mixed_and_restart),
        cmocka_unit_test(test_plain_resume),     cmocka_unit_test(test_reader),
        cmocka_unit_test(test_disk_full),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
