/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: `showdesk migrate` applies the database migrations and exits
 * (serve does the same at start; this is for deployments that migrate in a
 * separate step), and `showdesk version` prints the version.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "sd_version.h"
#include "base/banned.h"

int sd_cmd_migrate(int argc, char **argv, char **envp)
{
    struct sd_config cfg;
    struct sd_err err = SD_ERR_INIT;
    int rc =
        sd_cmd_config("migrate",
                      "usage: showdesk migrate [--data DIR] [--db URL]\n\n"
                      "Applies the database migrations that are not applied yet, then "
                      "exits.\nTakes the same settings as 'showdesk serve' (see its --help).\n",
                      false, argc, argv, envp, &cfg);
    if (rc >= 0) {
        return rc;
    }
    sd_store *store = NULL;
    if (sd_cmd_open_store(&cfg, 1, &store, &err) != SD_OK) {
        return sd_cmd_fail("migrate", &err);
    }
    sd_db *db = NULL;
    int version = 0;
    sd_status st = sd_store_get(store, &db, &err);
    if (st == SD_OK) {
        st = sd_store_schema_version(db, &version, &err);
    }
    sd_store_put(store, db);
    const char *driver = sd_store_driver_name(store);
    sd_store_close(store);
    if (st != SD_OK) {
        return sd_cmd_fail("migrate", &err);
    }
    (void)printf("database (%s) is at schema version %d\n", driver, version);
    return 0;
}

int sd_cmd_version(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc > 1) {
        bool help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        (void)fputs("usage: showdesk version\n\nPrints the version of this binary.\n",
                    help ? stdout : stderr);
        return help ? 0 : 2;
    }
    (void)printf("showdesk %s\n", SD_VERSION);
    return 0;
}
