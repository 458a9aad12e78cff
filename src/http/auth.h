/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: who is calling, and may they.
 *
 * Three kinds of credentials, looked up by the hash of the secret only:
 *  - `Authorization: Bearer sk_…`: a secret key, for the client's servers;
 *    full access to its workspace.
 *  - `Authorization: Bearer pk_…`: a publishable key, for the widget in the
 *    client's pages; it may only call SD_ACCESS_WIDGET routes (create a
 *    ticket), only from an origin the workspace allows (the browser's Origin
 *    header), and is rate-limited per key and address.
 *  - the `sd_session` cookie (HttpOnly, SameSite=Lax, Secure behind TLS): an
 *    agent's login. Any method but GET and HEAD must also send the session's
 *    CSRF token in `X-CSRF-Token` (double submit: a page of another site can
 *    make the browser send the cookie, but cannot read the token).
 * The route's access level decides the rest; a failure is 401 (who are you)
 * or 403 (not you), with a message that says which credential to use.
 * Request thread only.
 */
#ifndef SD_HTTP_AUTH_H
#define SD_HTTP_AUTH_H

#include <stdbool.h>

#include "http/http.h"

#define SD_SESSION_COOKIE "sd_session"

/**
 * Fills req->auth from the request's credentials and checks them against
 * req->route's access level. On refusal writes the error to @resp and
 * returns false.
 */
bool sd_auth_authorize(struct sd_req *req, struct sd_resp *resp);

/** Answers a CORS preflight (OPTIONS) for the widget's routes. */
void sd_auth_preflight(struct sd_req *req, struct sd_resp *resp);

/** True when @origin is in the workspace's allowed_origins JSON array. */
bool sd_auth_origin_allowed(const char *allowed_origins_json, const char *origin);

#endif
