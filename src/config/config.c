/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the settings table and its four readers (see config.h).
 *
 * Each row of settings[] names a key, its type, where it lives in struct
 * sd_config, its default as text, its bounds and a help line. Defaults are
 * applied by parsing the default text, so a default is checked like any
 * other value. The file, the environment and the flags all go through
 * sd_config_set, so every source gives the same errors.
 */
#include "config/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/str.h"
#include "base/banned.h"

enum kind { K_STR, K_INT, K_BOOL, K_SIZE, K_LISTEN, K_LEVEL };

struct setting {
    const char *key;
    enum kind kind;
    size_t off;
    size_t size; /* strings: buffer size */
    int64_t lo, hi;
    const char *dflt;
    const char *help;
};

#define F(field) offsetof(struct sd_config, field), sizeof(((struct sd_config *)0)->field)

static const struct setting settings[] = {
    {"listen", K_LISTEN, F(listen_host), 0, 0, "127.0.0.1:8080",
     "address and port to serve HTTP on, HOST:PORT ([v6]:PORT; port 0 picks a free one)"},
    {"data", K_STR, F(data_dir), 0, 0, "./data",
     "folder for the SQLite database and stored files; created if missing"},
    {"db", K_STR, F(db_url), 0, 0, "",
     "database URL: postgres://USER:PASS@HOST:PORT/DB, or sqlite:PATH (default: DATA/showdesk.db)"},
    {"public_url", K_STR, F(public_url), 0, 0, "",
     "URL that users reach the server at (https:// makes cookies Secure)"},
    {"threads", K_INT, F(http_threads), 0, 256, "0", "HTTP threads; 0 = one per CPU core"},
    {"db_pool", K_INT, F(db_pool), 0, 1024, "0", "database connections; 0 = threads + workers + 2"},
    {"max_body", K_SIZE, F(max_body_bytes), 1024, 1LL << 30, "1M",
     "largest request body accepted, in bytes (suffixes k, M, G)"},
    {"request_timeout", K_INT, F(request_timeout_s), 1, 3600, "30",
     "seconds a connection may stay idle before it is closed"},
    {"session_ttl_hours", K_INT, F(session_ttl_h), 1, 24LL * 365, "168",
     "hours an agent stays logged in"},
    {"trust_proxy", K_BOOL, F(trust_proxy), 0, 1, "false",
     "trust X-Forwarded-For and X-Forwarded-Proto from a reverse proxy (true/false)"},
    {"login_rate", K_INT, F(login_rate_per_min), 0, 100000, "10",
     "login attempts per minute per client address; 0 = unlimited"},
    {"widget_rate", K_INT, F(widget_rate_per_min), 0, 100000, "60",
     "tickets per minute per publishable key and address; 0 = unlimited"},
    {"master_key", K_STR, F(master_key), 0, 0, "",
     "key that wraps the keys of stored media, base64url of 32 random bytes; set it by "
     "environment, not flag (default: made once into DATA/master.key)"},
    {"encrypt_media", K_BOOL, F(encrypt_media), 0, 1, "true",
     "seal stored media with a key per object (true/false); false keeps plain files, served "
     "with sendfile, and still reads sealed ones"},
    {"workers", K_INT, F(workers), 0, 64, "0", "job worker threads; 0 = one per CPU core"},
    {"job_lease", K_INT, F(job_lease_s), 2, 3600, "60",
     "seconds a worker holds a job between heartbeats; a crashed worker's job is retried after it"},
    {"no_workers", K_BOOL, F(no_workers), 0, 1, "false",
     "serve HTTP only and leave jobs to 'showdesk worker' processes (true/false)"},
    {"speech_engine", K_STR, F(speech_engine), 0, 0, "pocketsphinx",
     "speech recognition engine: pocketsphinx (embedded) or openai (an OpenAI-compatible "
     "transcription endpoint at speech_url)"},
    {"speech_threads", K_INT, F(speech_threads), 0, 64, "0",
     "decoders a transcription runs at once (pocketsphinx); 0 = one per CPU core"},
    {"speech_url", K_STR, F(speech_url), 0, 0, "",
     "the transcription endpoint for speech_engine=openai, like "
     "http://127.0.0.1:8178/v1/audio/transcriptions"},
    {"speech_model", K_STR, F(speech_model), 0, 0, "whisper-1",
     "the model name sent to the transcription endpoint"},
    {"speech_key", K_STR, F(speech_key), 0, 0, "",
     "API key for the transcription endpoint (sent as a Bearer token); set it by environment"},
    {"speech_timeout", K_INT, F(speech_timeout_s), 1, 3600, "300",
     "seconds one request to the transcription endpoint may take before it is retried"},
    {"triage_model", K_STR, F(triage_model), 0, 0, "",
     "the triage model file (made by showdesk train); empty: triage.model beside the binary, "
     "else trained from the built-in corpus at start"},
    {"summary_url", K_STR, F(summary_url), 0, 0, "",
     "an OpenAI-compatible chat-completions endpoint that writes ticket summaries, like "
     "http://127.0.0.1:8080/v1/chat/completions; empty: extractive summaries only"},
    {"summary_model", K_STR, F(summary_model), 0, 0, "",
     "the model name sent to the summary endpoint"},
    {"summary_key", K_STR, F(summary_key), 0, 0, "",
     "API key for the summary endpoint (sent as a Bearer token); set it by environment"},
    {"summary_timeout", K_INT, F(summary_timeout_s), 1, 600, "30",
     "seconds a request to the summary endpoint may take; the extractive summary stays on failure"},
    {"log_level", K_LEVEL, F(log_level), 0, 0, "info",
     "least important log lines written: debug, info, warn or error"},
};

static const struct setting *find(const char *key, size_t n)
{
    for (size_t i = 0; i < SD_ARRAY_LEN(settings); i++) {
        if (strlen(settings[i].key) == n && strncmp(settings[i].key, key, n) == 0) {
            return &settings[i];
        }
    }
    return NULL;
}

static sd_status bad(const struct setting *s, const char *value, const char *want,
                     struct sd_err *err)
{
    return sd_err_set(err, SD_E_INVALID, s->key, "setting '%s' must be %s, got '%.200s'", s->key,
                      want, value);
}

static sd_status parse_size(const struct setting *s, const char *v, int64_t *out,
                            struct sd_err *err)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (end == v || errno != 0 || n < 0) {
        return bad(s, v, "a size in bytes like 1048576 or 1M", err);
    }
    int64_t mul = 1;
    if (*end == 'k' || *end == 'K') {
        mul = 1024, end++;
    } else if (*end == 'm' || *end == 'M') {
        mul = 1024LL * 1024, end++;
    } else if (*end == 'g' || *end == 'G') {
        mul = 1024LL * 1024 * 1024, end++;
    }
    if (*end != '\0' || n > s->hi / mul || n * mul < s->lo) {
        char want[96];
        (void)snprintf(want, sizeof(want), "a size from %lld to %lld bytes (or with k, M, G)",
                       (long long)s->lo, (long long)s->hi);
        return bad(s, v, want, err);
    }
    *out = n * mul;
    return SD_OK;
}

static sd_status set_listen(struct sd_config *cfg, const struct setting *s, const char *v,
                            struct sd_err *err)
{
    const char *colon = strrchr(v, ':');
    const char *host = v;
    size_t host_len = colon ? (size_t)(colon - v) : 0;
    if (colon == NULL || host_len == 0) {
        return bad(s, v, "HOST:PORT like 127.0.0.1:8080 or [::1]:8080", err);
    }
    if (v[0] == '[') {
        if (host_len < 3 || v[host_len - 1] != ']') {
            return bad(s, v, "[v6 address]:PORT", err);
        }
        host = v + 1;
        host_len -= 2;
    }
    int64_t port;
    if (sd_str_to_i64(sd_str_c(colon + 1), 0, 65535, &port) != SD_OK) {
        return bad(s, v, "HOST:PORT with a port from 0 to 65535", err);
    }
    if (host_len >= sizeof(cfg->listen_host)) {
        return bad(s, v, "a shorter host", err);
    }
    memcpy(cfg->listen_host, host, host_len);
    cfg->listen_host[host_len] = '\0';
    cfg->listen_port = (int)port;
    return SD_OK;
}

static sd_status apply(struct sd_config *cfg, const struct setting *s, const char *v,
                       struct sd_err *err)
{
    char *field = (char *)cfg + s->off;
    int64_t n;
    switch (s->kind) {
    case K_STR:
        if (strlen(v) >= s->size) {
            return bad(s, v, "shorter", err);
        }
        (void)sd_str_copy(field, s->size, v);
        return SD_OK;
    case K_INT:
        if (sd_str_to_i64(sd_str_c(v), s->lo, s->hi, &n) != SD_OK) {
            char want[64];
            (void)snprintf(want, sizeof(want), "an integer from %lld to %lld", (long long)s->lo,
                           (long long)s->hi);
            return bad(s, v, want, err);
        }
        *(int *)(void *)field = (int)n;
        return SD_OK;
    case K_SIZE:
        return parse_size(s, v, (int64_t *)(void *)field, err);
    case K_BOOL: {
        static const char *const yes[] = {"true", "yes", "on", "1"};
        static const char *const no[] = {"false", "no", "off", "0"};
        for (size_t i = 0; i < 4; i++) {
            if (strcmp(v, yes[i]) == 0 || strcmp(v, no[i]) == 0) {
                *(bool *)(void *)field = strcmp(v, yes[i]) == 0;
                return SD_OK;
            }
        }
        return bad(s, v, "true or false", err);
    }
    case K_LISTEN:
        return set_listen(cfg, s, v, err);
    case K_LEVEL:
        if (strcmp(v, "debug") != 0 && strcmp(v, "info") != 0 && strcmp(v, "warn") != 0 &&
            strcmp(v, "error") != 0) {
            return bad(s, v, "debug, info, warn or error", err);
        }
        (void)sd_str_copy(field, s->size, v);
        return SD_OK;
    }
    return SD_E_INTERNAL;
}

sd_status sd_config_set(struct sd_config *cfg, const char *key, const char *value,
                        struct sd_err *err)
{
    const struct setting *s = find(key, strlen(key));
    if (s == NULL) {
        return sd_err_set(err, SD_E_INVALID, key, "unknown setting '%.100s'", key);
    }
    return apply(cfg, s, value, err);
}

void sd_config_defaults(struct sd_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < SD_ARRAY_LEN(settings); i++) {
        SD_ASSERT(apply(cfg, &settings[i], settings[i].dflt, NULL) == SD_OK);
    }
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

sd_status sd_config_parse_file_text(struct sd_config *cfg, const char *text, size_t len,
                                    const char *origin, struct sd_err *err)
{
    size_t pos = 0;
    int line_no = 0;
    while (pos < len) {
        line_no++;
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        while (n > 0 && is_space(line[0])) {
            line++, n--;
        }
        while (n > 0 && is_space(line[n - 1])) {
            n--;
        }
        if (n == 0 || line[0] == '#') {
            continue;
        }
        const char *eq = memchr(line, '=', n);
        if (eq == NULL) {
            return sd_err_set(err, SD_E_INVALID, NULL,
                              "config file '%s' line %d: expected 'key = value'", origin, line_no);
        }
        size_t klen = (size_t)(eq - line);
        while (klen > 0 && is_space(line[klen - 1])) {
            klen--;
        }
        const char *v = eq + 1;
        size_t vlen = n - (size_t)(v - line);
        while (vlen > 0 && is_space(v[0])) {
            v++, vlen--;
        }
        if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
            v++, vlen -= 2;
        } else if (vlen >= 1 && v[0] == '"') {
            return sd_err_set(err, SD_E_INVALID, NULL,
                              "config file '%s' line %d: unterminated quote", origin, line_no);
        }
        const struct setting *s = find(line, klen);
        if (s == NULL) {
            return sd_err_set(err, SD_E_INVALID, NULL,
                              "config file '%s' line %d: unknown setting '%.*s'", origin, line_no,
                              (int)(klen > 100 ? 100 : klen), line);
        }
        char value[SD_CONFIG_STR_MAX];
        if (vlen >= sizeof(value)) {
            return sd_err_set(err, SD_E_INVALID, s->key, "config file '%s' line %d: value too long",
                              origin, line_no);
        }
        memcpy(value, v, vlen);
        value[vlen] = '\0';
        if (memchr(value, '\0', vlen) != NULL) {
            return sd_err_set(err, SD_E_INVALID, s->key, "config file '%s' line %d: NUL byte",
                              origin, line_no);
        }
        sd_status st = apply(cfg, s, value, err);
        if (st != SD_OK) {
            if (err != NULL) {
                char msg[sizeof(err->msg)];
                (void)snprintf(msg, sizeof(msg), "%s", err->msg);
                (void)sd_err_set(err, st, s->key, "config file '%s' line %d: %s", origin, line_no,
                                 msg);
            }
            return st;
        }
    }
    return SD_OK;
}

static sd_status load_file(struct sd_config *cfg, const char *path, struct sd_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return sd_err_set(err, SD_E_IO, "config", "cannot read config file '%s': %s", path,
                          strerror(errno));
    }
    static char buf[256 * 1024];
    size_t n = fread(buf, 1, sizeof(buf), f);
    bool too_big = n == sizeof(buf);
    (void)fclose(f);
    if (too_big) {
        return sd_err_set(err, SD_E_TOO_LARGE, "config", "config file '%s' is over 256 KiB", path);
    }
    return sd_config_parse_file_text(cfg, buf, n, path, err);
}

/* "--log-level" → "log_level" into @out; false when it is not a flag. */
static bool flag_key(const char *arg, char *out, size_t size)
{
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
        return false;
    }
    size_t i = 0;
    for (const char *p = arg + 2; *p && *p != '=' && i + 1 < size; p++) {
        out[i++] = (char)(*p == '-' ? '_' : *p);
    }
    out[i] = '\0';
    return true;
}

sd_status sd_config_load(struct sd_config *cfg, int argc, char **argv, char **envp, bool *help_out,
                         char **rest, size_t rest_cap, size_t *n_rest_out, struct sd_err *err)
{
    sd_config_defaults(cfg);
    *help_out = false;
    *n_rest_out = 0;
    const char *config_path = NULL;
    for (char **e = envp; e != NULL && *e != NULL; e++) {
        if (strncmp(*e, "SHOWDESK_CONFIG=", 16) == 0) {
            config_path = *e + 16;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            *help_out = true;
            return SD_OK;
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[i + 1];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            config_path = argv[i] + 9;
        }
    }
    sd_status st = SD_OK;
    if (config_path != NULL && config_path[0] != '\0') {
        st = load_file(cfg, config_path, err);
    }
    for (char **e = envp; st == SD_OK && e != NULL && *e != NULL; e++) {
        if (strncmp(*e, "SHOWDESK_", 9) != 0 || strncmp(*e, "SHOWDESK_CONFIG=", 16) == 0) {
            continue;
        }
        const char *eq = strchr(*e, '=');
        if (eq == NULL) {
            continue;
        }
        char key[64];
        size_t n = (size_t)(eq - *e) - 9;
        if (n >= sizeof(key)) {
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            char c = (*e)[9 + k];
            key[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        key[n] = '\0';
        const struct setting *s = find(key, n);
        /* Variables we do not know may belong to other tools (SHOWDESK_TEST_…). */
        if (s == NULL) {
            continue;
        }
        st = apply(cfg, s, eq + 1, err);
        if (st != SD_OK && err != NULL) {
            char msg[sizeof(err->msg)];
            (void)snprintf(msg, sizeof(msg), "%s", err->msg);
            (void)sd_err_set(err, st, s->key, "environment variable %.*s: %s", (int)(eq - *e), *e,
                             msg);
        }
    }
    for (int i = 1; st == SD_OK && i < argc; i++) {
        char key[64];
        if (!flag_key(argv[i], key, sizeof(key))) {
            if (*n_rest_out >= rest_cap) {
                return sd_err_set(err, SD_E_INVALID, NULL, "unexpected argument '%.100s'", argv[i]);
            }
            rest[(*n_rest_out)++] = argv[i];
            continue;
        }
        const char *inline_v = strchr(argv[i], '=');
        if (strcmp(key, "config") == 0) {
            if (inline_v == NULL) {
                i++;
            }
            continue;
        }
        const struct setting *s = find(key, strlen(key));
        if (s == NULL) {
            return sd_err_set(err, SD_E_INVALID, key, "unknown option '%.100s'", argv[i]);
        }
        const char *v;
        if (inline_v != NULL) {
            v = inline_v + 1;
        } else if (s->kind == K_BOOL && (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)) {
            v = "true";
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            return sd_err_set(err, SD_E_INVALID, s->key, "option '%s' needs a value", argv[i]);
        }
        st = apply(cfg, s, v, err);
    }
    return st;
}

void sd_config_usage(FILE *out)
{
    (void)fprintf(out, "%-26s %-28s %-16s %s\n", "flag", "environment", "default", "meaning");
    for (size_t i = 0; i < SD_ARRAY_LEN(settings); i++) {
        const struct setting *s = &settings[i];
        char flag[64], env[64];
        int n = snprintf(flag, sizeof(flag), "--");
        for (const char *p = s->key; *p && n < (int)sizeof(flag) - 1; p++) {
            flag[n++] = (char)(*p == '_' ? '-' : *p);
        }
        flag[n] = '\0';
        n = snprintf(env, sizeof(env), "SHOWDESK_");
        for (const char *p = s->key; *p && n < (int)sizeof(env) - 1; p++) {
            env[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        }
        env[n] = '\0';
        (void)fprintf(out, "%-26s %-28s %-16s %s\n", flag, env, s->dflt[0] ? s->dflt : "\"\"",
                      s->help);
    }
    (void)fprintf(out, "%-26s %-28s %-16s %s\n", "--config FILE", "SHOWDESK_CONFIG", "\"\"",
                  "config file of 'key = value' lines (keys as in the first column, without --)");
}

int sd_config_threads(const struct sd_config *cfg)
{
    if (cfg->http_threads > 0) {
        return cfg->http_threads;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 256 ? (int)n : 2;
}

int sd_config_workers(const struct sd_config *cfg)
{
    if (cfg->workers > 0) {
        return cfg->workers;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 64 ? (int)n : 2;
}

int sd_config_pool(const struct sd_config *cfg)
{
    /* A connection per HTTP thread and per worker, and two for the CLI and probes. */
    if (cfg->db_pool > 0) {
        return cfg->db_pool;
    }
    return sd_config_threads(cfg) + (cfg->no_workers ? 0 : sd_config_workers(cfg)) + 2;
}
