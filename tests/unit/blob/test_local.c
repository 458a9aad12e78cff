/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests of src/blob/local.c on a real folder: appending in pieces,
 * resuming after a crash at every stage, ranges, tampering, wrong master
 * key, deletion that destroys the key first, and bad names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "blob/blob.h"

static char dir[] = "/tmp/showdesk-blob-XXXXXX";
static struct sd_seal_key master;
static sd_blob *store;

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
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sd_blob_close(store);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_read),
        cmocka_unit_test(test_resume_after_crash),
        cmocka_unit_test(test_empty_and_names),
        cmocka_unit_test(test_tamper_wrong_key_delete),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
