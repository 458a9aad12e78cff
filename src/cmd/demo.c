/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: `showdesk demo` makes the data folder show something on first run:
 * a "Demo Company" workspace with an admin, a secret and a publishable key,
 * two customers, a few text tickets (triaged, summarised and matched, as new
 * tickets are) and the built-in help articles of the demo product. Run again, it keeps the data and
 * only issues a new admin password and new demo keys (the old demo keys are revoked), because
 * secrets are stored hashed and cannot be shown twice. `make run` calls it before `showdesk serve`
 * and prints what it says.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/arena.h"
#include "base/clock.h"
#include "base/rand.h"
#include "cmd/cmd.h"
#include "cmd/provision.h"
#include "domain/analyze.h"
#include "text/corpus.h"
#include "base/banned.h"

#define DEMO_NAME  "Demo Company"
#define DEMO_ADMIN "admin@demo.showdesk.test"
#define DEMO_KEYS  "demo"

struct sample {
    const char *subject, *status, *priority, *customer, *text, *page;
};

static const struct sample samples[] = {
    {"Export to CSV fails with a spinner that never stops", "new", "high", "ana",
     "When I click Export on the Reports page the spinner keeps going and nothing downloads.",
     "https://app.example.com/reports"},
    {"How do I invite a teammate?", "open", "normal", "ben",
     "I am the owner of our account and cannot find where to invite my colleague.",
     "https://app.example.com/settings/team"},
    {"Charged twice this month", "new", "urgent", "ana",
     "My card shows two charges of 49 USD on the 3rd. Please refund one of them.",
     "https://app.example.com/billing"},
    {"Password reset email never arrives", "pending", "normal", "ben",
     "I requested a reset three times in the last hour and got nothing, spam folder included.",
     "https://app.example.com/login"},
};

static sd_status add_customer(sd_db *db, const char *ws, const char *ext, const char *email,
                              const char *name, const char *plan, char id[SD_ID_MAX],
                              struct sd_err *err)
{
    sd_id_new("cus", id);
    int64_t now = sd_clock_wall_ms();
    struct sd_customer c = {.id = id,
                            .workspace_id = ws,
                            .external_id = ext,
                            .email = email,
                            .name = name,
                            .plan = plan,
                            .created_at = now,
                            .updated_at = now};
    return sd_store_customer_insert(db, &c, err);
}

static sd_status add_ticket(sd_db *db, const char *ws, const struct sample *s,
                            const char *customer_id, char tid[SD_ID_MAX], struct sd_err *err)
{
    char mid[SD_ID_MAX], aid[SD_ID_MAX], ctx[512];
    sd_id_new("tkt", tid);
    sd_id_new("msg", mid);
    sd_id_new("act", aid);
    int64_t now = sd_clock_wall_ms();
    (void)snprintf(ctx, sizeof(ctx),
                   "{\"page_url\":\"%s\",\"user_agent\":\"Mozilla/5.0 (X11; Linux x86_64)\","
                   "\"account_plan\":\"pro\",\"console_errors\":[]}",
                   s->page);
    struct sd_ticket t = {.id = tid,
                          .workspace_id = ws,
                          .subject = s->subject,
                          .status = s->status,
                          .channel = "text",
                          .priority = s->priority,
                          .customer_id = customer_id,
                          .context = ctx,
                          .created_at = now,
                          .updated_at = now};
    struct sd_message m = {.id = mid,
                           .workspace_id = ws,
                           .ticket_id = tid,
                           .author_type = "customer",
                           .author_id = customer_id,
                           .body = s->text,
                           .created_at = now};
    struct sd_activity ev = {.id = aid,
                             .workspace_id = ws,
                             .ticket_id = tid,
                             .actor_type = "system",
                             .action = "created",
                             .detail = "{\"source\":\"demo\"}",
                             .created_at = now};
    sd_status st = sd_store_ticket_insert(db, &t, err);
    if (st == SD_OK) {
        st = sd_store_message_insert(db, &m, err);
    }
    if (st == SD_OK) {
        st = sd_store_activity_insert(db, &ev, err);
    }
    return st;
}

#define N_SAMPLES (sizeof(samples) / sizeof(samples[0]))

static sd_status create_demo(sd_db *db, sd_arena *a, char ws[40], char tids[][SD_ID_MAX],
                             struct sd_err *err)
{
    char admin_id[40], pw[32], ana[SD_ID_MAX], ben[SD_ID_MAX];
    sd_status st = sd_prov_workspace(
        db, DEMO_NAME, "[\"http://127.0.0.1:8080\",\"http://localhost:8080\"]", ws, err);
    if (st == SD_OK) {
        st = sd_prov_agent(db, ws, DEMO_ADMIN, "Demo Admin", "admin", NULL, pw, admin_id, err);
    }
    if (st == SD_OK) {
        st = add_customer(db, ws, "cust-1001", "ana@customer.example", "Ana Lima", "pro", ana, err);
    }
    if (st == SD_OK) {
        st = add_customer(db, ws, "cust-1002", "ben@customer.example", "Ben Okafor", "free", ben,
                          err);
    }
    for (size_t i = 0; st == SD_OK && i < N_SAMPLES; i++) {
        st = add_ticket(db, ws, &samples[i], strcmp(samples[i].customer, "ana") == 0 ? ana : ben,
                        tids[i], err);
    }
    struct sd_corpus_article *arts;
    size_t n_arts = 0;
    long long created = 0, updated = 0;
    if (st == SD_OK) {
        st = sd_corpus_builtin_articles(a, &arts, &n_arts, err);
    }
    if (st == SD_OK) {
        st = sd_cmd_put_articles(db, a, ws, arts, n_arts, &created, &updated, err);
    }
    return st;
}

/* New admin password and new demo keys for an existing demo workspace. */
static sd_status refresh(sd_db *db, sd_arena *a, const char *ws, char pw[32], struct sd_new_key *sk,
                         struct sd_new_key *pk, struct sd_err *err)
{
    struct sd_agent *agents = NULL;
    struct sd_api_key *keys = NULL;
    size_t n = 0;
    char hash[SD_SECRET_PWHASH_MAX];
    sd_status st = sd_store_agent_find_email(db, a, DEMO_ADMIN, 10, &agents, &n, err);
    struct sd_agent *admin = NULL;
    for (size_t i = 0; st == SD_OK && i < n; i++) {
        if (strcmp(agents[i].workspace_id, ws) == 0) {
            admin = &agents[i];
        }
    }
    if (st == SD_OK && admin == NULL) {
        char id[40];
        st = sd_prov_agent(db, ws, DEMO_ADMIN, "Demo Admin", "admin", NULL, pw, id, err);
    } else if (st == SD_OK) {
        sd_secret_new_password(pw);
        st = sd_secret_hash_password(pw, hash, err);
        admin->password_hash = hash;
        admin->role = "admin";
        admin->updated_at = sd_clock_wall_ms();
        if (st == SD_OK) {
            st = sd_store_agent_update(db, admin, err);
        }
        sodium_memzero(hash, sizeof(hash));
    }
    if (st == SD_OK) {
        st = sd_store_key_list(db, a, ws, NULL, 1000, &keys, &n, err);
    }
    for (size_t i = 0; st == SD_OK && i < n; i++) {
        if (keys[i].revoked_at == 0 && strcmp(keys[i].name, DEMO_KEYS) == 0) {
            st = sd_store_key_revoke(db, ws, keys[i].id, sd_clock_wall_ms(), err);
        }
    }
    if (st == SD_OK) {
        st = sd_prov_key(db, ws, "secret", DEMO_KEYS, sk, err);
    }
    if (st == SD_OK) {
        st = sd_prov_key(db, ws, "publishable", DEMO_KEYS, pk, err);
    }
    return st;
}

int sd_cmd_demo(int argc, char **argv, char **envp)
{
    struct sd_config cfg;
    struct sd_err err = SD_ERR_INIT;
    int rc = sd_cmd_config(
        "demo",
        "usage: showdesk demo [--data DIR] [--db URL] [--public-url URL]\n\n"
        "Creates a demo workspace with sample tickets, or refreshes its credentials,\n"
        "and prints how to sign in. Takes the settings of 'showdesk serve'.\n",
        false, argc, argv, envp, &cfg);
    if (rc >= 0) {
        return rc;
    }
    sd_store *store = NULL;
    sd_db *db = NULL;
    if (sd_secret_init(&err) != SD_OK || sd_cmd_open_store(&cfg, 1, &store, &err) != SD_OK) {
        return sd_cmd_fail("demo", &err);
    }
    sd_arena *a = sd_arena_new();
    struct sd_workspace *wss = NULL;
    size_t n = 0;
    char ws[40] = "", pw[32] = "";
    struct sd_new_key sk, pk;
    bool created = false;
    sd_status st = sd_store_get(store, &db, &err);
    if (st == SD_OK) {
        st = sd_store_begin(db, &err);
    }
    if (st == SD_OK) {
        st = sd_store_workspace_list(db, a, 1000, &wss, &n, &err);
    }
    for (size_t i = 0; st == SD_OK && i < n; i++) {
        if (strcmp(wss[i].name, DEMO_NAME) == 0) {
            (void)snprintf(ws, sizeof(ws), "%s", wss[i].id);
        }
    }
    char tids[N_SAMPLES][SD_ID_MAX];
    if (st == SD_OK && ws[0] == '\0') {
        st = create_demo(db, a, ws, tids, &err);
        created = true;
    }
    if (st == SD_OK) {
        st = refresh(db, a, ws, pw, &sk, &pk, &err);
    }
    if (st == SD_OK) {
        st = sd_store_commit(db, &err);
    }
    if (st != SD_OK && db != NULL) {
        sd_store_rollback(db);
    }
    /* The sample tickets, analysed as the server analyses new ones. */
    sd_analyzer *an = NULL;
    if (st == SD_OK && created && sd_cmd_open_analyzer(&cfg, &an, &err) == SD_OK) {
        for (size_t i = 0; st == SD_OK && i < N_SAMPLES; i++) {
            struct sd_analysis r;
            st = sd_analyze_ticket(an, db, a, ws, tids[i], false, false, &r, &err);
        }
    }
    sd_analyzer_free(an);
    sd_store_put(store, db);
    sd_store_close(store);
    sd_arena_free(a);
    if (st != SD_OK) {
        return sd_cmd_fail("demo", &err);
    }
    char base[SD_CONFIG_STR_MAX + 32];
    if (cfg.public_url[0] != '\0') {
        (void)snprintf(base, sizeof(base), "%s", cfg.public_url);
    } else {
        (void)snprintf(base, sizeof(base), "http://%s:%d", cfg.listen_host, cfg.listen_port);
    }
    (void)printf("Demo workspace %s (%s)\n"
                 "  admin login      %s / %s\n"
                 "  secret key       %s\n"
                 "  publishable key  %s\n"
                 "  API              %s/api/v1\n"
                 "  health           %s/healthz   metrics %s/metrics\n"
                 "  try              curl -H 'Authorization: Bearer %s' %s/api/v1/tickets\n",
                 ws, created ? "created with sample tickets" : "existing; new credentials issued",
                 DEMO_ADMIN, pw, sk.key, pk.key, base, base, base, sk.key, base);
    return 0;
}
