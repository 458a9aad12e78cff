/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: `showdesk admin`, the operator's shell interface to workspaces,
 * agents and API keys. It opens the same store as the server (safe to run
 * while it serves: SQLite in WAL mode, or PostgreSQL), and prints exactly one
 * JSON object on stdout so scripts can read it; errors go to stderr with exit
 * code 1, usage errors with 2.
 *
 *   admin workspace create --name NAME [--admin-email E] [--admin-name N]
 *                          [--admin-password P] [--origin URL]...
 *   admin workspace list
 *   admin agent add --workspace ID --email E [--name N] [--role admin|agent] [--password P]
 *   admin key create --workspace ID --kind secret|publishable [--name N]
 *   admin key list --workspace ID
 *   admin key revoke --workspace ID --id KEY_ID
 *
 * Options of the store (--data, --db, --config) are the server's.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/arena.h"
#include "base/clock.h"
#include "cmd/cmd.h"
#include "cmd/provision.h"
#include "domain/validate.h"
#include "base/banned.h"

#define MAX_ORIGINS 20

struct opts {
    const char *name, *email, *password, *role, *workspace, *kind, *id;
    const char *admin_email, *admin_name, *admin_password;
    const char *origins[MAX_ORIGINS];
    size_t n_origins;
};

static const char usage_text[] =
    "usage: showdesk admin [--data DIR] [--db URL] <object> <action> [options]\n\n"
    "  workspace create --name NAME [--admin-email E] [--admin-name N]\n"
    "                   [--admin-password P] [--origin URL]...\n"
    "  workspace list\n"
    "  agent add --workspace ID --email E [--name N] [--role admin|agent] [--password P]\n"
    "  key create --workspace ID --kind secret|publishable [--name N]\n"
    "  key list --workspace ID\n"
    "  key revoke --workspace ID --id KEY_ID\n\n"
    "Prints one JSON object. Passwords and keys are shown once and stored hashed.\n"
    "A generated password is printed when --password is left out.\n";

/* Takes the admin's own options out of argv; the rest goes to the config loader. */
static int split_args(int argc, char **argv, struct opts *o, char **cfg_argv, int *cfg_argc)
{
    static const struct {
        const char *flag;
        size_t off;
    } table[] = {
        {"--name", offsetof(struct opts, name)},
        {"--email", offsetof(struct opts, email)},
        {"--password", offsetof(struct opts, password)},
        {"--role", offsetof(struct opts, role)},
        {"--workspace", offsetof(struct opts, workspace)},
        {"--kind", offsetof(struct opts, kind)},
        {"--id", offsetof(struct opts, id)},
        {"--admin-email", offsetof(struct opts, admin_email)},
        {"--admin-name", offsetof(struct opts, admin_name)},
        {"--admin-password", offsetof(struct opts, admin_password)},
    };
    *cfg_argc = 0;
    cfg_argv[(*cfg_argc)++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool taken = false;
        if (strcmp(a, "--origin") == 0) {
            if (i + 1 >= argc || o->n_origins == MAX_ORIGINS) {
                (void)fprintf(stderr, "showdesk admin: --origin needs a value (at most %d)\n",
                              MAX_ORIGINS);
                return 2;
            }
            o->origins[o->n_origins++] = argv[++i];
            continue;
        }
        for (size_t k = 0; k < sizeof(table) / sizeof(table[0]); k++) {
            if (strcmp(a, table[k].flag) == 0) {
                if (i + 1 >= argc) {
                    (void)fprintf(stderr, "showdesk admin: %s needs a value\n", a);
                    return 2;
                }
                *(const char **)(void *)((char *)o + table[k].off) = argv[++i];
                taken = true;
                break;
            }
        }
        if (!taken) {
            cfg_argv[(*cfg_argc)++] = argv[i];
        }
    }
    cfg_argv[*cfg_argc] = NULL;
    return 0;
}

static int need(const char *value, const char *flag)
{
    if (value != NULL) {
        return 0;
    }
    (void)fprintf(stderr, "showdesk admin: %s is required (see 'showdesk admin --help')\n", flag);
    return 2;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2));
    if (s != NULL) {
        (void)printf("%s\n", s);
    }
    free(s);
    json_decref(j);
}

static sd_status workspace_create(sd_db *db, const struct opts *o, struct sd_err *err)
{
    json_t *origins = json_array();
    sd_status st = SD_OK;
    for (size_t i = 0; i < o->n_origins && st == SD_OK; i++) {
        st = sd_validate_origin("origin", o->origins[i], err);
        (void)json_array_append_new(origins, json_string(o->origins[i]));
    }
    char *origins_text = json_dumps(origins, JSON_COMPACT);
    char ws_id[40], agent_id[40], password[32];
    struct sd_new_key sk, pk;
    const char *email = o->admin_email ? o->admin_email : "admin@example.com";
    const char *name = o->admin_name ? o->admin_name : "Admin";
    if (st == SD_OK) {
        st = sd_store_begin(db, err);
    }
    if (st == SD_OK) {
        st = sd_prov_workspace(db, o->name, origins_text, ws_id, err);
    }
    if (st == SD_OK) {
        st = sd_prov_agent(db, ws_id, email, name, "admin", o->admin_password, password, agent_id,
                           err);
    }
    if (st == SD_OK) {
        st = sd_prov_key(db, ws_id, "secret", "default", &sk, err);
    }
    if (st == SD_OK) {
        st = sd_prov_key(db, ws_id, "publishable", "widget", &pk, err);
    }
    if (st == SD_OK) {
        st = sd_store_commit(db, err);
    }
    free(origins_text);
    if (st != SD_OK) {
        sd_store_rollback(db);
        json_decref(origins);
        return st;
    }
    json_t *admin = json_pack("{s:s, s:s, s:s}", "id", agent_id, "email", email, "name", name);
    if (password[0] != '\0') {
        (void)json_object_set_new(admin, "password", json_string(password));
    }
    print_json(json_pack("{s:{s:s, s:s, s:o}, s:s, s:s, s:o}", "workspace", "id", ws_id, "name",
                         o->name, "allowed_origins", origins, "secret_key", sk.key,
                         "publishable_key", pk.key, "admin", admin));
    return SD_OK;
}

static sd_status workspace_list(sd_db *db, struct sd_err *err)
{
    sd_arena *a = sd_arena_new();
    struct sd_workspace *rows = NULL;
    size_t n = 0;
    sd_status st = sd_store_workspace_list(db, a, 1000, &rows, &n, err);
    if (st == SD_OK) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            (void)json_array_append_new(
                arr, json_pack("{s:s, s:s}", "id", rows[i].id, "name", rows[i].name));
        }
        print_json(json_pack("{s:o}", "workspaces", arr));
    }
    sd_arena_free(a);
    return st;
}

static sd_status check_workspace(sd_db *db, const char *id, struct sd_err *err)
{
    sd_arena *a = sd_arena_new();
    struct sd_workspace w;
    sd_status st = sd_store_workspace_get(db, a, id, &w, err);
    sd_arena_free(a);
    if (st == SD_E_NOT_FOUND) {
        return sd_err_set(err, st, "workspace",
                          "no workspace '%s' (see 'showdesk admin workspace list')", id);
    }
    return st;
}

static sd_status agent_add(sd_db *db, const struct opts *o, struct sd_err *err)
{
    char agent_id[40], password[32];
    const char *role = o->role ? o->role : "agent";
    const char *name = o->name ? o->name : "";
    sd_status st = check_workspace(db, o->workspace, err);
    if (st == SD_OK) {
        st = sd_prov_agent(db, o->workspace, o->email, name, role, o->password, password, agent_id,
                           err);
    }
    if (st != SD_OK) {
        return st;
    }
    json_t *j =
        json_pack("{s:{s:s, s:s, s:s}}", "agent", "id", agent_id, "email", o->email, "role", role);
    if (password[0] != '\0') {
        (void)json_object_set_new(j, "password", json_string(password));
    }
    print_json(j);
    return SD_OK;
}

static sd_status key_create(sd_db *db, const struct opts *o, struct sd_err *err)
{
    struct sd_new_key k;
    sd_status st = check_workspace(db, o->workspace, err);
    if (st == SD_OK) {
        st = sd_prov_key(db, o->workspace, o->kind, o->name ? o->name : o->kind, &k, err);
    }
    if (st == SD_OK) {
        print_json(json_pack("{s:s, s:s, s:s}", "id", k.id, "kind", o->kind, "key", k.key));
    }
    return st;
}

static sd_status key_list(sd_db *db, const struct opts *o, struct sd_err *err)
{
    sd_arena *a = sd_arena_new();
    struct sd_api_key *rows = NULL;
    size_t n = 0;
    sd_status st = check_workspace(db, o->workspace, err);
    if (st == SD_OK) {
        st = sd_store_key_list(db, a, o->workspace, NULL, 1000, &rows, &n, err);
    }
    if (st == SD_OK) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            (void)json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:b}", "id",
                                                       rows[i].id, "kind", rows[i].kind, "name",
                                                       rows[i].name, "prefix", rows[i].prefix,
                                                       "revoked", rows[i].revoked_at != 0));
        }
        print_json(json_pack("{s:o}", "keys", arr));
    }
    sd_arena_free(a);
    return st;
}

static sd_status key_revoke(sd_db *db, const struct opts *o, struct sd_err *err)
{
    sd_status st = sd_store_key_revoke(db, o->workspace, o->id, sd_clock_wall_ms(), err);
    if (st == SD_OK) {
        print_json(json_pack("{s:s}", "revoked", o->id));
    }
    return st;
}

int sd_cmd_admin(int argc, char **argv, char **envp)
{
    struct opts o = {0};
    char *cfg_argv[64];
    int cfg_argc = 0;
    if (argc > 60) {
        (void)fprintf(stderr, "showdesk admin: too many arguments\n");
        return 2;
    }
    int rc = split_args(argc, argv, &o, cfg_argv, &cfg_argc);
    if (rc != 0) {
        return rc;
    }
    struct sd_config cfg;
    struct sd_err err = SD_ERR_INIT;
    bool help = false;
    char *rest[4];
    size_t n_rest = 0;
    if (sd_config_load(&cfg, cfg_argc, cfg_argv, envp, &help, rest, 4, &n_rest, &err) != SD_OK) {
        (void)fprintf(stderr, "showdesk admin: %s\n", err.msg);
        return 2;
    }
    if (help || n_rest != 2) {
        (void)fputs(usage_text, help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *object = rest[0], *action = rest[1];
    enum { WS_CREATE, WS_LIST, AGENT_ADD, KEY_CREATE, KEY_LIST, KEY_REVOKE } what;
    if (strcmp(object, "workspace") == 0 && strcmp(action, "create") == 0) {
        what = WS_CREATE, rc = need(o.name, "--name");
    } else if (strcmp(object, "workspace") == 0 && strcmp(action, "list") == 0) {
        what = WS_LIST;
    } else if (strcmp(object, "agent") == 0 && strcmp(action, "add") == 0) {
        what = AGENT_ADD, rc = need(o.workspace, "--workspace") || need(o.email, "--email");
    } else if (strcmp(object, "key") == 0 && strcmp(action, "create") == 0) {
        what = KEY_CREATE, rc = need(o.workspace, "--workspace") || need(o.kind, "--kind");
    } else if (strcmp(object, "key") == 0 && strcmp(action, "list") == 0) {
        what = KEY_LIST, rc = need(o.workspace, "--workspace");
    } else if (strcmp(object, "key") == 0 && strcmp(action, "revoke") == 0) {
        what = KEY_REVOKE, rc = need(o.workspace, "--workspace") || need(o.id, "--id");
    } else {
        (void)fprintf(stderr, "showdesk admin: unknown action '%s %s'\n\n%s", object, action,
                      usage_text);
        return 2;
    }
    if (rc != 0) {
        return 2;
    }

    sd_store *store = NULL;
    sd_db *db = NULL;
    if (sd_secret_init(&err) != SD_OK || sd_cmd_open_store(&cfg, 1, &store, &err) != SD_OK) {
        return sd_cmd_fail("admin", &err);
    }
    sd_status st = sd_store_get(store, &db, &err);
    if (st == SD_OK) {
        switch (what) {
        case WS_CREATE:
            st = workspace_create(db, &o, &err);
            break;
        case WS_LIST:
            st = workspace_list(db, &err);
            break;
        case AGENT_ADD:
            st = agent_add(db, &o, &err);
            break;
        case KEY_CREATE:
            st = key_create(db, &o, &err);
            break;
        case KEY_LIST:
            st = key_list(db, &o, &err);
            break;
        case KEY_REVOKE:
            st = key_revoke(db, &o, &err);
            break;
        }
    }
    sd_store_put(store, db);
    sd_store_close(store);
    return st == SD_OK ? 0 : sd_cmd_fail("admin", &err);
}
