/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: creating workspaces, agents and keys from the command line (admin
 * and demo). The API creates the same rows through its handlers; both write
 * only through the store and hash every secret with domain/secret.h. The
 * plain password or key is returned once, to be printed, and never stored.
 * Main thread only.
 */
#ifndef SD_CMD_PROVISION_H
#define SD_CMD_PROVISION_H

#include "base/arena.h"
#include "domain/secret.h"
#include "store/store.h"

struct sd_new_key {
    char id[40];
    char key[SD_SECRET_KEY_MAX];
};

/** Creates a workspace named @name with @origins_json (nullable: "[]"); its id into @id_out. */
SD_MUST_CHECK sd_status sd_prov_workspace(sd_db *db, const char *name, const char *origins_json,
                                          char id_out[40], struct sd_err *err);
/**
 * Creates an agent; @password nullable (a random one is made and written to
 * @password_out, 32 bytes). The agent id goes into @id_out.
 */
SD_MUST_CHECK sd_status sd_prov_agent(sd_db *db, const char *ws_id, const char *email,
                                      const char *name, const char *role, const char *password,
                                      char password_out[32], char id_out[40], struct sd_err *err);
/** Creates a key of @kind ("secret" or "publishable") named @name. */
SD_MUST_CHECK sd_status sd_prov_key(sd_db *db, const char *ws_id, const char *kind,
                                    const char *name, struct sd_new_key *out, struct sd_err *err);

#endif
