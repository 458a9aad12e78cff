/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: `showdesk transcribe FILE` prints the speech in any recording as
 * text, WebVTT or JSON, for people and scripts (make eval-asr scores it).
 * The sound is extracted to a 16 kHz mono WAV in a private temporary folder
 * (mode 0700, removed at the end, and on SIGINT, SIGTERM or SIGHUP) by
 * src/media, then recognised by src/speech. stdout gets the transcript
 * only; an empty transcript prints nothing in text form and its reason goes
 * to stderr. Errors are one sentence on stderr and exit 1; a bad command
 * line exits 2.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "base/buf.h"
#include "base/str.h"
#include "media/media.h"
#include "speech/speech.h"
#include "base/banned.h"

#define MAX_OUTPUT (256u << 20)

static const char usage_text[] =
    "usage: showdesk transcribe FILE [--format text|vtt|json] [--threads N]\n"
    "                           [--engine pocketsphinx] [--vocabulary LIST]\n\n"
    "Prints the speech in FILE (any audio or video recording) as plain text (one line\n"
    "per segment), WebVTT captions or JSON with word times and confidences.\n\n"
    "  --format F   text (default), vtt or json\n"
    "  --threads N  utterances decoded at once; 0 (default) = one per CPU core\n"
    "  --engine E   pocketsphinx (default, built in)\n"
    "  --vocabulary LIST  a file of words and phrases to expect, one per line (product\n"
    "               names, jargon; '#' starts a comment), as a workspace's vocabulary\n";

enum format { FORMAT_TEXT, FORMAT_VTT, FORMAT_JSON };

#define VOCAB_MAX_BYTES (1u << 20)
#define VOCAB_MAX_LINES 1000

struct args {
    const char *file;
    enum format format;
    struct sd_speech_opts opts;
    const char *vocab_file;
    struct sd_speech_vocab vocab;
    char *vocab_text;
    const char *lines[VOCAB_MAX_LINES];
};

/* Reads the phrases of --vocabulary: one per line, blank lines and '#' comments skipped. */
static sd_status read_vocab(struct args *a, struct sd_err *err)
{
    FILE *f = fopen(a->vocab_file, "r");
    if (f == NULL) {
        return sd_err_set(err, SD_E_IO, "vocabulary", "cannot read the vocabulary '%s': %s",
                          a->vocab_file, strerror(errno));
    }
    a->vocab_text = malloc(VOCAB_MAX_BYTES + 1);
    size_t n = a->vocab_text ? fread(a->vocab_text, 1, VOCAB_MAX_BYTES + 1, f) : 0;
    (void)fclose(f);
    if (a->vocab_text == NULL || n > VOCAB_MAX_BYTES) {
        return sd_err_set(err, SD_E_TOO_LARGE, "vocabulary",
                          "the vocabulary '%s' is over 1 MiB; list the words that matter",
                          a->vocab_file);
    }
    a->vocab_text[n] = '\0';
    size_t k = 0;
    for (char *line = a->vocab_text, *next; line != NULL && k < VOCAB_MAX_LINES; line = next) {
        next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        line[strcspn(line, "#\r")] = '\0';
        line += strspn(line, " \t");
        if (line[0] != '\0') {
            a->lines[k++] = line;
        }
    }
    a->vocab.phrases = a->lines;
    a->vocab.n_phrases = k;
    a->opts.vocab = &a->vocab;
    return SD_OK;
}

static int usage_error(const char *fmt, ...) SD_PRINTF(1, 2);

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)fputs("showdesk transcribe: ", stderr);
    (void)vfprintf(stderr, fmt, ap);
    (void)fputs(" (see 'showdesk transcribe --help')\n", stderr);
    va_end(ap);
    return 2;
}

/* The value of option @name at argv[*i] ("--name=V" or "--name V"); NULL if it is not that one. */
static const char *option(const char *name, int argc, char **argv, int *i, bool *missing)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (a == NULL || strncmp(a, name, n) != 0) {
        return NULL;
    }
    if (a[n] == '=') {
        return a + n + 1;
    }
    if (a[n] != '\0') {
        return NULL;
    }
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        bool missing = false;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            (void)fputs(usage_text, stdout);
            return 0;
        }
        if ((v = option("--format", argc, argv, &i, &missing)) != NULL) {
            if (strcmp(v, "text") == 0) {
                a->format = FORMAT_TEXT;
            } else if (strcmp(v, "vtt") == 0) {
                a->format = FORMAT_VTT;
            } else if (strcmp(v, "json") == 0) {
                a->format = FORMAT_JSON;
            } else {
                return usage_error("unknown format '%s' (use text, vtt or json)", v);
            }
        } else if (!missing && (v = option("--threads", argc, argv, &i, &missing)) != NULL) {
            int64_t n = 0;
            if (sd_str_to_i64(sd_str_c(v), 0, 64, &n) != SD_OK) {
                return usage_error("--threads must be a number from 0 to 64, got '%s'", v);
            }
            a->opts.threads = (int)n;
        } else if (!missing && (v = option("--engine", argc, argv, &i, &missing)) != NULL) {
            a->opts.engine = v;
        } else if (!missing && (v = option("--vocabulary", argc, argv, &i, &missing)) != NULL) {
            a->vocab_file = v;
        } else if (missing) {
            return usage_error("%s needs a value", arg);
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return usage_error("unknown option '%s'", arg);
        } else if (a->file != NULL) {
            return usage_error("one file at a time, got a second one: '%s'", arg);
        } else {
            a->file = arg;
        }
    }
    if (a->file == NULL) {
        return usage_error("which file? give the recording to transcribe");
    }
    return -1;
}

static sd_status render(const struct sd_transcript *t, enum format f, struct sd_buf *out)
{
    switch (f) {
    case FORMAT_VTT:
        return sd_transcript_vtt(t, out);
    case FORMAT_JSON: {
        sd_status st = sd_transcript_json(t, out);
        return st == SD_OK ? sd_buf_puts(out, "\n") : st;
    }
    case FORMAT_TEXT:
        break;
    }
    return sd_transcript_text(t, out);
}

static sd_status transcribe(struct args *a, const char *wav, struct sd_err *err)
{
    sd_status st = a->vocab_file != NULL ? read_vocab(a, err) : SD_OK;
    if (st == SD_OK) {
        st = sd_media_pcm(a->file, wav, NULL, err);
    }
    struct sd_transcript *t = NULL;
    if (st == SD_OK) {
        st = sd_speech_recognize(wav, &a->opts, NULL, NULL, &t, err);
    }
    struct sd_buf out = SD_BUF_INIT(MAX_OUTPUT);
    if (st == SD_OK && (st = render(t, a->format, &out)) != SD_OK) {
        (void)sd_err_set(err, st, NULL, "cannot render the transcript of '%s' (%s)", a->file,
                         sd_status_name(st));
    }
    if (st == SD_OK && out.len > 0 &&
        (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0)) {
        st = sd_err_set(err, SD_E_IO, NULL, "cannot write the transcript to stdout: %s",
                        strerror(errno));
    }
    if (st == SD_OK && t->reason != NULL) {
        (void)fprintf(stderr, "showdesk transcribe: %s in '%s'\n", t->reason, a->file);
    }
    sd_buf_release(&out);
    sd_transcript_free(t);
    return st;
}

/* The temporary folder and file, removed on SIGINT, SIGTERM or SIGHUP too. */
static char tmp_dir[PATH_MAX], tmp_wav[PATH_MAX + 16];

static void on_signal(int sig)
{
    /* unlink, rmdir, signal and raise are async-signal-safe. */
    (void)unlink(tmp_wav);
    (void)rmdir(tmp_dir);
    (void)signal(sig, SIG_DFL);
    (void)raise(sig);
}

int sd_cmd_transcribe(int argc, char **argv, char **envp)
{
    (void)envp;
    struct args a = {.format = FORMAT_TEXT};
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) {
        return rc;
    }
    struct sd_err err = SD_ERR_INIT;
    const char *tmp = getenv("TMPDIR");
    char *dir = tmp_dir, *wav = tmp_wav;
    (void)snprintf(tmp_dir, sizeof(tmp_dir), "%s/showdesk-transcribe.XXXXXX",
                   tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        (void)sd_err_set(&err, SD_E_IO, NULL,
                         "cannot create a temporary folder in '%s': %s (set TMPDIR to a "
                         "writable folder)",
                         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", strerror(errno));
        return sd_cmd_fail("transcribe", &err);
    }
    (void)snprintf(tmp_wav, sizeof(tmp_wav), "%s/audio.wav", dir);
    struct sigaction sa = {.sa_handler = on_signal};
    (void)sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    (void)sigaction(SIGHUP, &sa, NULL);
    sd_status st = transcribe(&a, wav, &err);
    free(a.vocab_text);
    (void)unlink(wav);
    (void)rmdir(dir);
    return st == SD_OK ? 0 : sd_cmd_fail("transcribe", &err);
}
