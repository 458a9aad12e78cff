/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/api/common.c: JSON renderers and value helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/internal.h"

static char *dump(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(j);
    return s;
}

static void test_values(void **state)
{
    (void)state;
    char *s = dump(api_jstr(NULL));
    assert_string_equal(s, "null");
    free(s);
    s = dump(api_jtime(0));
    assert_string_equal(s, "null");
    free(s);
    s = dump(api_jtime(1795348800123));
    assert_string_equal(s, "\"2026-11-22T12:00:00.123Z\"");
    free(s);
    s = dump(api_jraw("not json", false));
    assert_string_equal(s, "{}");
    free(s);
    s = dump(api_jraw("{\"a\":1}", true));
    assert_string_equal(s, "[]");
    free(s);
    s = dump(api_jraw("[\"x\"]", true));
    assert_string_equal(s, "[\"x\"]");
    free(s);
    s = dump(api_list(json_array(), NULL));
    assert_string_equal(s, "{\"data\":[],\"next_cursor\":null}");
    free(s);
}

static void test_ticket_shape(void **state)
{
    (void)state;
    struct sd_ticket t = {.id = "tkt_1",
                          .workspace_id = "ws_1",
                          .subject = "S",
                          .status = "new",
                          .channel = "text",
                          .priority = "normal",
                          .context = "{\"page_url\":\"u\"}",
                          .created_at = 1000,
                          .updated_at = 2000};
    json_t *j = api_ticket_json(&t);
    const char *keys[] = {
        "id",          "subject",    "status",       "channel",     "priority",
        "category",    "urgency",    "product_area", "sentiment",   "assignee_id",
        "customer_id", "context",    "created_at",   "updated_at",  "first_response_at",
        "resolved_at", "title",      "summary",      "environment", "triage",
        "kb_matches",  "deflection", "triaged_at"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        assert_non_null(json_object_get(j, keys[i]));
    }
    assert_int_equal(json_object_size(j), sizeof(keys) / sizeof(keys[0]));
    assert_null(json_object_get(j, "workspace_id"));
    assert_true(json_is_null(json_object_get(j, "resolved_at")));
    /* Not triaged yet: empty triage, no matches, no ai_* fields shown. */
    assert_true(json_is_object(json_object_get(j, "triage")));
    assert_int_equal(json_array_size(json_object_get(j, "kb_matches")), 0);
    assert_null(json_object_get(j, "ai_category"));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, "context"), "page_url")), "u");
    json_decref(j);
}

static void test_secrets_never_render(void **state)
{
    (void)state;
    struct sd_agent ag = {.id = "agt_1",
                          .email = "a@b.c",
                          .name = "A",
                          .role = "admin",
                          .password_hash = "$argon2id$secret",
                          .created_at = 1,
                          .updated_at = 1};
    char *s = dump(api_agent_json(&ag));
    assert_null(strstr(s, "argon2id"));
    assert_null(strstr(s, "password"));
    free(s);
    struct sd_api_key k = {.id = "key_1",
                           .kind = "secret",
                           .name = "n",
                           .prefix = "sk_abcdefgh",
                           .key_hash = "deadbeef",
                           .created_at = 1};
    s = dump(api_key_json(&k));
    assert_null(strstr(s, "deadbeef"));
    assert_non_null(strstr(s, "\"prefix\":\"sk_abcdefgh\""));
    assert_non_null(strstr(s, "\"revoked_at\":null"));
    free(s);
}

static void test_message_activity(void **state)
{
    (void)state;
    struct sd_message m = {.id = "msg_1",
                           .ticket_id = "tkt_1",
                           .author_type = "agent",
                           .body = "hi",
                           .is_internal = true,
                           .created_at = 5};
    char *s = dump(api_message_json(&m));
    assert_non_null(strstr(s, "\"internal\":true"));
    assert_non_null(strstr(s, "\"text\":\"hi\""));
    assert_non_null(strstr(s, "\"attachments\":[]"));
    free(s);
    struct sd_activity ev = {.id = "act_1",
                             .ticket_id = "tkt_1",
                             .actor_type = "system",
                             .action = "created",
                             .detail = "{\"from\":\"a\"}",
                             .created_at = 5};
    s = dump(api_activity_json(&ev));
    assert_non_null(strstr(s, "\"detail\":{\"from\":\"a\"}"));
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_ticket_shape),
        cmocka_unit_test(test_secrets_never_render),
        cmocka_unit_test(test_message_activity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
