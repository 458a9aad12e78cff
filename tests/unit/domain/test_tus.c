/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/domain/tus.c: tus headers, media limits, content types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "domain/tus.h"

static void test_metadata(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    struct sd_tus_meta m[SD_TUS_META_MAX];
    size_t n = 99;
    struct sd_err err = SD_ERR_INIT;
    /* "filename world_domination_plan.pdf,is_confidential" from the tus spec. */
    assert_int_equal(sd_tus_metadata_parse("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,"
                                           "is_confidential",
                                           a, m, &n, &err),
                     SD_OK);
    assert_int_equal(n, 2);
    assert_string_equal(m[0].key, "filename");
    assert_string_equal(m[0].value, "world_domination_plan.pdf");
    assert_int_equal(m[0].value_len, 25);
    assert_string_equal(m[1].key, "is_confidential");
    assert_null(m[1].value);
    assert_string_equal(sd_tus_meta_get(m, n, "filename"), "world_domination_plan.pdf");
    assert_null(sd_tus_meta_get(m, n, "filetype"));
    /* Absent and empty headers are no metadata. */
    assert_int_equal(sd_tus_metadata_parse(NULL, a, m, &n, &err), SD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(sd_tus_metadata_parse("", a, m, &n, &err), SD_OK);
    assert_int_equal(n, 0);
    /* Spaces around pairs, and a value that decodes to bytes with a NUL. */
    assert_int_equal(sd_tus_metadata_parse(" a YQ== , b AGI=", a, m, &n, &err), SD_OK);
    assert_int_equal(n, 2);
    assert_string_equal(m[0].value, "a");
    assert_int_equal(m[1].value_len, 2);
    assert_int_equal(m[1].value[0], '\0');

    const char *bad[] = {
        ",a YQ==",       /* empty key */
        "a YQ==,",       /* trailing comma */
        "a YQ==,a Yg==", /* duplicate key */
        "a not*base64",  /* bad base64 */
        "a YQ== extra",  /* three words */
        "a Y",           /* truncated base64 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sd_err_clear(&err);
        assert_int_equal(sd_tus_metadata_parse(bad[i], a, m, &n, &err), SD_E_BAD_REQUEST);
        assert_string_equal(err.field, "Upload-Metadata");
        assert_true(strlen(err.msg) > 10);
    }
    /* More pairs than allowed. */
    char many[SD_TUS_META_MAX * 8 + 16] = "";
    for (int i = 0; i <= SD_TUS_META_MAX; i++) {
        char kv[12];
        (void)snprintf(kv, sizeof(kv), "%sk%d", i ? "," : "", i);
        strcat(many, kv);
    }
    assert_int_equal(sd_tus_metadata_parse(many, a, m, &n, &err), SD_E_BAD_REQUEST);
    sd_arena_free(a);
}

static void test_numbers(void **state)
{
    (void)state;
    int64_t v = -1;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_tus_number("Upload-Offset", "0", &v, &err), SD_OK);
    assert_int_equal(v, 0);
    assert_int_equal(sd_tus_number("Upload-Length", "9007199254740992", &v, &err), SD_OK);
    assert_int_equal(v, SD_TUS_NUMBER_MAX);
    const char *bad[] = {NULL,
                         "",
                         "-1",
                         "+1",
                         " 1",
                         "1 ",
                         "1.0",
                         "0x10",
                         "9007199254740993",
                         "99999999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sd_err_clear(&err);
        assert_int_equal(sd_tus_number("Upload-Offset", bad[i], &v, &err), SD_E_BAD_REQUEST);
        assert_string_equal(err.field, "Upload-Offset");
    }
}

static void test_checksum(void **state)
{
    (void)state;
    unsigned char d[SD_TUS_SHA1_BYTES];
    struct sd_err err = SD_ERR_INIT;
    /* sha1("hello") */
    assert_int_equal(sd_tus_checksum_parse("sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00=", d, &err), SD_OK);
    assert_int_equal(d[0], 0xaa);
    assert_int_equal(d[19], 0x4d);
    assert_int_equal(sd_tus_checksum_parse("SHA1 qvTGHdzF6KLavt4PO0gs2a6pQ00=", d, &err), SD_OK);
    assert_int_equal(sd_tus_checksum_parse("md5 XUFAKrxLKna5cZ2REBfFkg==", d, &err),
                     SD_E_UNSUPPORTED);
    assert_int_equal(sd_tus_checksum_parse("sha256 abc", d, &err), SD_E_UNSUPPORTED);
    const char *bad[] = {NULL,
                         "",
                         "sha1",
                         "sha1 ",
                         " qvTG",
                         "sha1 qvTGHdzF6KLavt4PO0gs2a6pQ0=",
                         "sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00=AAAA",
                         "sha1 !!!!"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sd_err_clear(&err);
        assert_int_equal(sd_tus_checksum_parse(bad[i], d, &err), SD_E_BAD_REQUEST);
    }
}

static void test_limits(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    struct sd_media_limits lim;
    sd_media_limits_read(NULL, a, &lim);
    assert_int_equal(lim.max_bytes, 500000000);
    assert_int_equal(lim.max_duration_ms, 180000);
    assert_int_equal(lim.upload_expiry_ms, 86400000);
    assert_false(lim.keep_originals);
    assert_true(sd_media_listed(lim.containers, "webm"));
    sd_media_limits_read("{\"media\":{\"max_bytes\":1000,\"max_duration_s\":60,"
                         "\"keep_originals\":true,\"upload_expiry_s\":5,"
                         "\"containers\":[\"mp4\",\"mov\"],\"video_codecs\":\"h264\"}}",
                         a, &lim);
    assert_int_equal(lim.max_bytes, 1000);
    assert_int_equal(lim.max_duration_ms, 60000);
    assert_int_equal(lim.upload_expiry_ms, 5000);
    assert_true(lim.keep_originals);
    assert_string_equal(lim.containers, "mp4,mov");
    assert_string_equal(lim.video_codecs, "h264");
    /* Garbage and wrong types keep the defaults. */
    sd_media_limits_read("{\"media\":{\"max_bytes\":-5,\"max_duration_s\":\"x\"}}", a, &lim);
    assert_int_equal(lim.max_bytes, 500000000);
    assert_int_equal(lim.max_duration_ms, 180000);
    sd_media_limits_read("not json", a, &lim);
    assert_int_equal(lim.max_bytes, 500000000);
    sd_arena_free(a);
}

static void test_listed(void **state)
{
    (void)state;
    assert_true(sd_media_listed("video/webm,video/mp4", "video/webm"));
    assert_true(sd_media_listed("video/webm, video/mp4", "VIDEO/MP4"));
    assert_true(sd_media_listed("video/webm", "video/webm;codecs=vp8,opus"));
    assert_true(sd_media_listed("video/*", "video/quicktime"));
    assert_false(sd_media_listed("video/*", "audio/ogg"));
    assert_false(sd_media_listed("video/webm", "video/web"));
    assert_false(sd_media_listed("video/webm", "video/webmx"));
    assert_false(sd_media_listed("", "video/webm"));
    assert_false(sd_media_listed(NULL, "video/webm"));
    assert_false(sd_media_listed("webm", NULL));
    assert_true(sd_media_listed("vp8,vp9,h264", "h264"));
}

static void test_blob_names(void **state)
{
    (void)state;
    char name[SD_MEDIA_BLOB_NAME];
    sd_media_blob_name(name, "md_0123456789abcdefghjkmnpqrs", "poster");
    assert_string_equal(name, "md_0123456789abcdefghjkmnpqrs-poster");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata), cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_checksum), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_listed),   cmocka_unit_test(test_blob_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
