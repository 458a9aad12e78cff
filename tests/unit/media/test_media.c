/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests of src/media on real files made by the ffmpeg command line in a
 * temporary folder: probing of WebM (with and without a duration in its
 * header), Matroska, MP4 with a display rotation; a transcode checked by
 * probing its output again (H.264 + AAC, moov before mdat, fitted, upright,
 * video-only input stays video-only), its poster, sprite and WebVTT track,
 * progress that only rises and can stop the work; the 16 kHz mono WAV; and
 * files that must be refused with a reason and never crash: empty, text,
 * noise, truncated, damaged in the middle, missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "media/media.h"

static char dir[] = "/tmp/sd-media-test.XXXXXX";

static const char *path(const char *name)
{
    static char buf[8][256];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

/* Runs ffmpeg with @args (NULL-terminated) before the output @out; fails the test when it fails. */
static void ffmpeg(const char *out, ...)
{
    const char *head[] = {"ffmpeg", "-v", "error", "-y", "-nostdin"};
    char *argv[64];
    int n = 0;
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++) {
        argv[n++] = strdup(head[i]);
    }
    va_list ap;
    va_start(ap, out);
    for (const char *a = va_arg(ap, const char *); a != NULL; a = va_arg(ap, const char *)) {
        assert_true(n < 62);
        argv[n++] = strdup(a);
    }
    va_end(ap);
    argv[n++] = strdup(out);
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execvp("ffmpeg", argv);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    for (int i = 0; i < n; i++) {
        free(argv[i]);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail_msg(
            "ffmpeg failed making %s (is the ffmpeg command installed? sh scripts/deps.sh test)",
            out);
    }
}

#define SRC(size, rate, secs)                                                                      \
    "-f", "lavfi", "-i", "testsrc2=size=" size ":rate=" rate, "-f", "lavfi", "-i",                 \
        "sine=frequency=440:sample_rate=48000", "-t", secs

static void write_file(const char *p, const void *data, size_t len)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static unsigned char *read_file(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    unsigned char *data = malloc((size_t)n + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    data[n] = 0;
    *len = (size_t)n;
    return data;
}

static int setup(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    /* Chrome's MediaRecorder: VP8 + Opus in WebM, no duration, no cues (-live 1). */
    ffmpeg(path("live.webm"), SRC("320x240", "30", "3"), "-c:v", "libvpx", "-b:v", "400k", "-c:a",
           "libopus", "-f", "webm", "-live", "1", NULL);
    /* The same with a duration in its header. */
    ffmpeg(path("vod.webm"), SRC("320x240", "30", "2"), "-c:v", "libvpx", "-b:v", "400k", "-c:a",
           "libopus", NULL);
    /* Safari: H.264 + AAC in MP4, moov at the end. */
    ffmpeg(path("safari.mp4"), SRC("320x240", "30", "2"), "-c:v", "libx264", "-pix_fmt", "yuv420p",
           "-c:a", "aac", NULL);
    /* A phone held upright: the display matrix turns the picture by 90 degrees. */
    ffmpeg(path("rotated.mp4"), "-i", path("safari.mp4"), "-c", "copy", "-metadata:s:v:0",
           "rotate=90", NULL);
    /* Larger than 1080p, in Matroska with H.264. */
    ffmpeg(path("large.mkv"), SRC("2560x1440", "10", "1"), "-c:v", "libx264", "-preset",
           "ultrafast", "-c:a", "libopus", NULL);
    /* A screen recording without a microphone. */
    ffmpeg(path("silent.webm"), "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15", "-t", "2",
           "-c:v", "libvpx", NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void probe_ok(const char *name, struct sd_media_info *mi)
{
    struct sd_err err = SD_ERR_INIT;
    sd_status st = sd_media_probe(path(name), mi, &err);
    if (st != SD_OK) {
        fail_msg("%s: %s", name, err.msg);
    }
}

static void test_probe_webm_without_duration(void **state)
{
    (void)state;
    struct sd_media_info mi;
    probe_ok("live.webm", &mi);
    assert_string_equal(mi.container, "webm");
    assert_string_equal(mi.video_codec, "vp8");
    assert_string_equal(mi.audio_codec, "opus");
    assert_true(mi.has_video);
    assert_true(mi.has_audio);
    assert_int_equal(mi.width, 320);
    assert_int_equal(mi.height, 240);
    assert_int_equal(mi.rotation, 0);
    /* Measured from the packets: 3 s give or take a frame and an audio packet. */
    assert_in_range(mi.duration_ms, 2900, 3100);

    probe_ok("vod.webm", &mi);
    assert_in_range(mi.duration_ms, 1900, 2100);
}

static void test_probe_mp4_mkv_rotation(void **state)
{
    (void)state;
    struct sd_media_info mi;
    probe_ok("safari.mp4", &mi);
    assert_string_equal(mi.container, "mp4");
    assert_string_equal(mi.video_codec, "h264");
    assert_string_equal(mi.audio_codec, "aac");
    assert_int_equal(mi.rotation, 0);
    assert_in_range(mi.duration_ms, 1900, 2100);
    assert_true(mi.bit_rate > 0);

    probe_ok("rotated.mp4", &mi);
    assert_int_equal(mi.width, 320); /* as stored */
    assert_int_equal(mi.height, 240);
    assert_true(mi.rotation == 90 || mi.rotation == 270);

    probe_ok("large.mkv", &mi);
    assert_string_equal(mi.container, "matroska");
    assert_string_equal(mi.video_codec, "h264");
    assert_int_equal(mi.width, 2560);

    probe_ok("silent.webm", &mi);
    assert_true(mi.has_video);
    assert_false(mi.has_audio);
    assert_string_equal(mi.audio_codec, "");
}

struct progress {
    int calls, last, stop_at;
    int went_back;
};

static sd_status on_progress(void *user, int percent)
{
    struct progress *p = user;
    if (percent < p->last || percent < 0 || percent > 100) {
        p->went_back = 1;
    }
    p->last = percent;
    p->calls++;
    if (p->stop_at > 0 && percent >= p->stop_at) {
        return SD_E_AGAIN;
    }
    return SD_OK;
}

/* The offset of the first top-level MP4 box of @type, or -1. */
static long mp4_box(const unsigned char *d, size_t len, const char *type)
{
    size_t at = 0;
    while (at + 8 <= len) {
        uint64_t size = (uint64_t)d[at] << 24 | (uint64_t)d[at + 1] << 16 |
                        (uint64_t)d[at + 2] << 8 | d[at + 3];
        if (memcmp(d + at + 4, type, 4) == 0) {
            return (long)at;
        }
        if (size == 1 && at + 16 <= len) {
            size = 0;
            for (int i = 0; i < 8; i++) {
                size = size << 8 | d[at + 8 + i];
            }
        }
        if (size < 8) {
            return -1;
        }
        at += size;
    }
    return -1;
}

static void test_transcode_webm(void **state)
{
    (void)state;
    struct sd_media_info in;
    probe_ok("live.webm", &in);
    struct sd_media_opts o = SD_MEDIA_OPTS_DEFAULT;
    o.poster_path = path("poster.jpg");
    o.sprite_path = path("sprite.jpg");
    o.vtt_path = path("thumbs.vtt");
    o.sprite_url = "https://cdn.example/s.jpg";
    o.duration_ms = in.duration_ms;
    o.threads = 2;
    struct progress p = {0};
    struct sd_media_result res = {0};
    struct sd_err err = SD_ERR_INIT;
    sd_status st =
        sd_media_transcode(path("live.webm"), path("out.mp4"), &o, on_progress, &p, &res, &err);
    if (st != SD_OK) {
        fail_msg("transcode: %s", err.msg);
    }
    assert_int_equal(res.width, 320);
    assert_int_equal(res.height, 240);
    assert_in_range(res.frames, 85, 95); /* 3 s at 30 fps */
    assert_in_range(res.duration_ms, 2900, 3100);
    assert_true(res.tiles >= 2);
    assert_true(p.calls >= 2);
    assert_int_equal(p.last, 100);
    assert_false(p.went_back);

    struct sd_media_info out;
    probe_ok("out.mp4", &out);
    assert_string_equal(out.container, "mp4");
    assert_string_equal(out.video_codec, "h264");
    assert_string_equal(out.audio_codec, "aac");
    assert_in_range(out.duration_ms, 2900, 3150);

    size_t len = 0;
    unsigned char *mp4 = read_file(path("out.mp4"), &len);
    long moov = mp4_box(mp4, len, "moov");
    long mdat = mp4_box(mp4, len, "mdat");
    assert_true(moov > 0);
    assert_true(mdat > 0);
    assert_true(moov < mdat); /* plays before it is all downloaded */
    free(mp4);

    unsigned char *jpg = read_file(path("poster.jpg"), &len);
    assert_true(len > 500);
    assert_memory_equal(jpg, "\xff\xd8\xff", 3);
    free(jpg);
    jpg = read_file(path("sprite.jpg"), &len);
    assert_true(len > 500);
    assert_memory_equal(jpg, "\xff\xd8\xff", 3);
    free(jpg);

    char *vtt = (char *)read_file(path("thumbs.vtt"), &len);
    assert_memory_equal(vtt, "WEBVTT", 6);
    assert_non_null(strstr(vtt, "00:00:00.000 --> "));
    assert_non_null(strstr(vtt, "https://cdn.example/s.jpg#xywh=0,0,160,120"));
    /* One cue per tile. */
    int cues = 0;
    for (const char *c = vtt; (c = strstr(c, "#xywh=")) != NULL; c++) {
        cues++;
    }
    assert_int_equal(cues, res.tiles);
    free(vtt);
}

static void test_transcode_fits_and_turns(void **state)
{
    (void)state;
    struct sd_media_opts o = SD_MEDIA_OPTS_DEFAULT;
    struct sd_media_result res = {0};
    struct sd_err err = SD_ERR_INIT;
    struct sd_media_info mi;

    /* 2560x1440 fits in 1920x1080, keeping 16:9. */
    assert_int_equal(
        sd_media_transcode(path("large.mkv"), path("large.mp4"), &o, NULL, NULL, &res, &err),
        SD_OK);
    assert_int_equal(res.width, 1920);
    assert_int_equal(res.height, 1080);
    probe_ok("large.mp4", &mi);
    assert_int_equal(mi.width, 1920);
    assert_int_equal(mi.height, 1080);

    /* The rotation is applied to the pixels: the output is upright with no matrix left. */
    assert_int_equal(
        sd_media_transcode(path("rotated.mp4"), path("upright.mp4"), &o, NULL, NULL, &res, &err),
        SD_OK);
    assert_int_equal(res.width, 240);
    assert_int_equal(res.height, 320);
    probe_ok("upright.mp4", &mi);
    assert_int_equal(mi.width, 240);
    assert_int_equal(mi.height, 320);
    assert_int_equal(mi.rotation, 0);

    /* Without sound in, without sound out. */
    assert_int_equal(
        sd_media_transcode(path("silent.webm"), path("silent.mp4"), &o, NULL, NULL, &res, &err),
        SD_OK);
    probe_ok("silent.mp4", &mi);
    assert_true(mi.has_video);
    assert_false(mi.has_audio);
}

static void test_transcode_stops_when_asked(void **state)
{
    (void)state;
    struct sd_media_opts o = SD_MEDIA_OPTS_DEFAULT;
    o.duration_ms = 2000;
    struct progress p = {.stop_at = 30};
    struct sd_media_result res = {0};
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(
        sd_media_transcode(path("vod.webm"), path("stopped.mp4"), &o, on_progress, &p, &res, &err),
        SD_E_AGAIN);
    assert_true(p.last < 100);
}

static void test_pcm(void **state)
{
    (void)state;
    int64_t samples = 0;
    struct sd_err err = SD_ERR_INIT;
    sd_status st = sd_media_pcm(path("live.webm"), path("speech.wav"), &samples, &err);
    if (st != SD_OK) {
        fail_msg("pcm: %s", err.msg);
    }
    assert_in_range(samples, 16000 * 29 / 10, 16000 * 31 / 10);
    size_t len = 0;
    unsigned char *wav = read_file(path("speech.wav"), &len);
    assert_true(len >= 44);
    assert_memory_equal(wav, "RIFF", 4);
    assert_memory_equal(wav + 8, "WAVEfmt ", 8);
    assert_int_equal(wav[20] | wav[21] << 8, 1); /* PCM */
    assert_int_equal(wav[22] | wav[23] << 8, 1); /* mono */
    assert_int_equal(wav[24] | wav[25] << 8 | wav[26] << 16 | (uint32_t)wav[27] << 24, 16000);
    assert_int_equal(wav[34] | wav[35] << 8, 16); /* bits */
    assert_int_equal(len - 44, (size_t)samples * 2);
    /* A 440 Hz tone, not silence. */
    long peak = 0;
    for (size_t i = 44 + 16000; i + 1 < len; i += 2) {
        long v = (int16_t)(wav[i] | wav[i + 1] << 8);
        peak = v > peak ? v : (-v > peak ? -v : peak);
    }
    assert_true(peak > 1000);
    free(wav);

    sd_err_clear(&err);
    assert_int_equal(sd_media_pcm(path("silent.webm"), path("none.wav"), &samples, &err),
                     SD_E_MEDIA);
    assert_non_null(strstr(err.msg, "sound"));
}

/* Every bad file is refused with SD_E_MEDIA and a message, by probe and by transcode. */
static void refused(const char *name)
{
    struct sd_media_info mi;
    struct sd_err err = SD_ERR_INIT;
    sd_status st = sd_media_probe(path(name), &mi, &err);
    if (st == SD_OK) {
        /* A damaged file may still probe; then the transcode must be what refuses it. */
        struct sd_media_opts o = SD_MEDIA_OPTS_DEFAULT;
        o.duration_ms = mi.duration_ms;
        struct sd_media_result res = {0};
        st = sd_media_transcode(path(name), path("bad-out.mp4"), &o, NULL, NULL, &res, &err);
        if (st == SD_OK) {
            fail_msg("%s was accepted", name);
        }
    }
    assert_int_equal(st, SD_E_MEDIA);
    assert_true(strlen(err.msg) > 10);
}

static void test_bad_files(void **state)
{
    (void)state;
    write_file(path("empty.webm"), "", 0);
    refused("empty.webm");

    static const char line[] = "This is not a video at all, just text that claims to be one.\n";
    char text[4000];
    for (size_t i = 0; i < sizeof text; i++) {
        text[i] = line[i % (sizeof line - 1)];
    }
    write_file(path("text.mp4"), text, sizeof text);
    refused("text.mp4");

    unsigned char noise[50000];
    for (size_t i = 0; i < sizeof noise; i++) {
        noise[i] = (unsigned char)((i * 7919) % 251);
    }
    write_file(path("noise.webm"), noise, sizeof noise);
    refused("noise.webm");

    /* MP4 with its moov at the end, cut at 60%. */
    size_t len = 0;
    unsigned char *mp4 = read_file(path("safari.mp4"), &len);
    write_file(path("truncated.mp4"), mp4, len * 6 / 10);
    free(mp4);
    refused("truncated.mp4");

    struct sd_media_info mi;
    struct sd_err err = SD_ERR_INIT;
    assert_int_not_equal(sd_media_probe(path("missing.webm"), &mi, &err), SD_OK);
}

/* A recording damaged in the middle, or cut short, must not crash; what is whole may be kept. */
static void test_damaged_does_not_crash(void **state)
{
    (void)state;
    size_t len = 0;
    unsigned char *webm = read_file(path("vod.webm"), &len);
    for (size_t i = len / 3; i < len / 3 + 4096 && i < len; i++) {
        webm[i] ^= 0x5a;
    }
    write_file(path("damaged.webm"), webm, len);
    write_file(path("cut.webm"), webm, len / 2);
    free(webm);
    const char *names[] = {"damaged.webm", "cut.webm"};
    for (size_t i = 0; i < 2; i++) {
        struct sd_media_info mi;
        struct sd_err err = SD_ERR_INIT;
        if (sd_media_probe(path(names[i]), &mi, &err) != SD_OK) {
            assert_int_equal(err.code, SD_E_MEDIA);
            continue;
        }
        struct sd_media_opts o = SD_MEDIA_OPTS_DEFAULT;
        o.duration_ms = mi.duration_ms;
        o.poster_path = path("d-poster.jpg");
        o.sprite_path = path("d-sprite.jpg");
        o.vtt_path = path("d.vtt");
        struct sd_media_result res = {0};
        sd_status st =
            sd_media_transcode(path(names[i]), path("damaged.mp4"), &o, NULL, NULL, &res, &err);
        assert_true(st == SD_OK || st == SD_E_MEDIA);
        int64_t samples = 0;
        st = sd_media_pcm(path(names[i]), path("damaged.wav"), &samples, &err);
        assert_true(st == SD_OK || st == SD_E_MEDIA);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_webm_without_duration),
        cmocka_unit_test(test_probe_mp4_mkv_rotation),
        cmocka_unit_test(test_transcode_webm),
        cmocka_unit_test(test_transcode_fits_and_turns),
        cmocka_unit_test(test_transcode_stops_when_asked),
        cmocka_unit_test(test_pcm),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_damaged_does_not_crash),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
