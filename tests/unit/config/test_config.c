/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/config/config.c: defaults, file, environment, flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"

/* A modifiable copy of a literal, as argv and envp entries are. */
#define S(lit) ((char[]){lit})

static sd_status load(struct sd_config *cfg, char **argv, char **envp, bool *help, char **rest,
                      size_t *n_rest, struct sd_err *err)
{
    int argc = 0;
    while (argv[argc] != NULL) {
        argc++;
    }
    return sd_config_load(cfg, argc, argv, envp, help, rest, 4, n_rest, err);
}

static void test_defaults(void **state)
{
    (void)state;
    struct sd_config c;
    sd_config_defaults(&c);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 8080);
    assert_string_equal(c.data_dir, "./data");
    assert_string_equal(c.db_url, "");
    assert_int_equal(c.max_body_bytes, 1 << 20);
    assert_int_equal(c.request_timeout_s, 30);
    assert_int_equal(c.session_ttl_h, 168);
    assert_false(c.trust_proxy);
    assert_int_equal(c.login_rate_per_min, 10);
    assert_string_equal(c.log_level, "info");
    assert_true(sd_config_threads(&c) >= 1);
    assert_int_equal(c.workers, 0);
    assert_false(c.no_workers);
    assert_true(sd_config_workers(&c) >= 1);
    assert_int_equal(sd_config_pool(&c), sd_config_threads(&c) + sd_config_workers(&c) + 2);
}

static void test_values(void **state)
{
    (void)state;
    struct sd_config c;
    struct sd_err err = SD_ERR_INIT;
    sd_config_defaults(&c);
    assert_int_equal(sd_config_set(&c, "listen", "[::1]:9000", &err), SD_OK);
    assert_string_equal(c.listen_host, "::1");
    assert_int_equal(c.listen_port, 9000);
    assert_int_equal(sd_config_set(&c, "listen", "0.0.0.0:0", &err), SD_OK);
    assert_int_equal(c.listen_port, 0);
    const char *bad_listen[] = {"8080", ":80", "host:", "host:70000", "host:-1", "[::1:80"};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(sd_config_set(&c, "listen", bad_listen[i], &err), SD_E_INVALID);
        assert_string_equal(err.field, "listen");
    }
    assert_int_equal(sd_config_set(&c, "max_body", "2M", &err), SD_OK);
    assert_int_equal(c.max_body_bytes, 2 << 20);
    assert_int_equal(sd_config_set(&c, "max_body", "64k", &err), SD_OK);
    assert_int_equal(c.max_body_bytes, 64 << 10);
    assert_int_equal(sd_config_set(&c, "max_body", "12", &err), SD_E_INVALID);
    assert_int_equal(sd_config_set(&c, "max_body", "5X", &err), SD_E_INVALID);
    assert_int_equal(sd_config_set(&c, "max_body", "99999999999G", &err), SD_E_INVALID);
    assert_int_equal(sd_config_set(&c, "threads", "abc", &err), SD_E_INVALID);
    assert_non_null(strstr(err.msg, "setting 'threads' must be an integer from 0 to 256"));
    assert_int_equal(sd_config_set(&c, "threads", "257", &err), SD_E_INVALID);
    assert_int_equal(sd_config_set(&c, "threads", "3", &err), SD_OK);
    assert_int_equal(sd_config_threads(&c), 3);
    assert_int_equal(sd_config_set(&c, "workers", "4", &err), SD_OK);
    assert_int_equal(sd_config_pool(&c), 3 + 4 + 2);
    assert_int_equal(sd_config_set(&c, "no_workers", "true", &err), SD_OK);
    assert_int_equal(sd_config_pool(&c), 5);
    assert_int_equal(sd_config_set(&c, "workers", "65", &err), SD_E_INVALID);
    assert_int_equal(sd_config_set(&c, "trust_proxy", "yes", &err), SD_OK);
    assert_true(c.trust_proxy);
    assert_int_equal(sd_config_set(&c, "trust_proxy", "off", &err), SD_OK);
    assert_false(c.trust_proxy);
    assert_int_equal(sd_config_set(&c, "trust_proxy", "maybe", &err), SD_E_INVALID);
    assert_int_equal(sd_config_set(&c, "log_level", "loud", &err), SD_E_INVALID);
    assert_int_equal(sd_config_set(&c, "nope", "1", &err), SD_E_INVALID);
    assert_non_null(strstr(err.msg, "unknown setting 'nope'"));
}

static void test_file(void **state)
{
    (void)state;
    struct sd_config c;
    struct sd_err err = SD_ERR_INIT;
    sd_config_defaults(&c);
    const char good[] = "# Showdesk\n\n  listen = 0.0.0.0:9090  \ndata = \"/srv/show desk\"\r\n"
                        "db=postgres://u@h/db\nthreads = 2\n";
    assert_int_equal(sd_config_parse_file_text(&c, good, strlen(good), "a.conf", &err), SD_OK);
    assert_int_equal(c.listen_port, 9090);
    assert_string_equal(c.data_dir, "/srv/show desk");
    assert_string_equal(c.db_url, "postgres://u@h/db");
    const char unknown[] = "listen = 1.2.3.4:5\n\nlisen = x\n";
    assert_int_equal(sd_config_parse_file_text(&c, unknown, strlen(unknown), "b.conf", &err),
                     SD_E_INVALID);
    assert_string_equal(err.msg, "config file 'b.conf' line 3: unknown setting 'lisen'");
    const char noeq[] = "listen\n";
    assert_int_equal(sd_config_parse_file_text(&c, noeq, strlen(noeq), "c.conf", &err),
                     SD_E_INVALID);
    assert_non_null(strstr(err.msg, "line 1"));
    const char badval[] = "threads = many\n";
    assert_int_equal(sd_config_parse_file_text(&c, badval, strlen(badval), "d.conf", &err),
                     SD_E_INVALID);
    assert_non_null(strstr(err.msg, "config file 'd.conf' line 1: setting 'threads'"));
    const char quote[] = "data = \"open\n";
    assert_int_equal(sd_config_parse_file_text(&c, quote, strlen(quote), "e.conf", &err),
                     SD_E_INVALID);
    char longline[3000];
    memset(longline, 'a', sizeof(longline));
    memcpy(longline, "data = ", 7);
    assert_int_equal(sd_config_parse_file_text(&c, longline, sizeof(longline), "f.conf", &err),
                     SD_E_INVALID);
}

static void test_precedence(void **state)
{
    (void)state;
    char path[] = "/tmp/showdesk-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "threads = 2\nlogin_rate = 3\nwidget_rate = 4\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char conf_env[128];
    snprintf(conf_env, sizeof(conf_env), "SHOWDESK_CONFIG=%s", path);
    char *envp[] = {conf_env,
                    S("SHOWDESK_LOGIN_RATE=30"),
                    S("SHOWDESK_WIDGET_RATE=40"),
                    S("SHOWDESK_TEST_PG_URL=ignored"),
                    S("PATH=/bin"),
                    NULL};
    char *argv[] = {S("serve"),
                    S("--widget-rate"),
                    S("50"),
                    S("--trust-proxy"),
                    S("--log-level=warn"),
                    S("extra"),
                    NULL};
    struct sd_config c;
    struct sd_err err = SD_ERR_INIT;
    bool help = false;
    char *rest[4];
    size_t n_rest = 0;
    assert_int_equal(load(&c, argv, envp, &help, rest, &n_rest, &err), SD_OK);
    assert_int_equal(c.http_threads, 2);         /* file */
    assert_int_equal(c.login_rate_per_min, 30);  /* environment over file */
    assert_int_equal(c.widget_rate_per_min, 50); /* flag over environment */
    assert_true(c.trust_proxy);                  /* a bare boolean flag */
    assert_string_equal(c.log_level, "warn");
    assert_int_equal(n_rest, 1);
    assert_string_equal(rest[0], "extra");
    /* --config on the command line wins over SHOWDESK_CONFIG. */
    char *argv2[] = {S("serve"), S("--config"), S("/nonexistent/showdesk.conf"), NULL};
    assert_int_equal(load(&c, argv2, envp, &help, rest, &n_rest, &err), SD_E_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/showdesk.conf"));
    char *envbad[] = {S("SHOWDESK_THREADS=lots"), NULL};
    char *argv3[] = {S("serve"), NULL};
    assert_int_equal(load(&c, argv3, envbad, &help, rest, &n_rest, &err), SD_E_INVALID);
    assert_non_null(strstr(err.msg, "SHOWDESK_THREADS"));
    char *argv4[] = {S("serve"), S("--bogus"), S("1"), NULL};
    assert_int_equal(load(&c, argv4, NULL, &help, rest, &n_rest, &err), SD_E_INVALID);
    assert_non_null(strstr(err.msg, "--bogus"));
    char *argv5[] = {S("serve"), S("--listen"), NULL};
    assert_int_equal(load(&c, argv5, NULL, &help, rest, &n_rest, &err), SD_E_INVALID);
    char *argv6[] = {S("serve"), S("--threads"), S("abc"), S("--help"), NULL};
    assert_int_equal(load(&c, argv6, NULL, &help, rest, &n_rest, &err), SD_OK);
    assert_true(help);
    unlink(path);
}

static void test_usage(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    sd_config_usage(f);
    fclose(f);
    const char *flags[] = {"--listen",
                           "--data",
                           "--db",
                           "--public-url",
                           "--threads",
                           "--db-pool",
                           "--max-body",
                           "--request-timeout",
                           "--session-ttl-hours",
                           "--trust-proxy",
                           "--login-rate",
                           "--widget-rate",
                           "--log-level",
                           "--config",
                           "SHOWDESK_DB_POOL"};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        assert_non_null(strstr(text, flags[i]));
    }
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults), cmocka_unit_test(test_values),
        cmocka_unit_test(test_file),     cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
