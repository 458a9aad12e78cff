/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the REST API, /api/v1, as one route table for the HTTP server.
 *
 * routes.c holds the table: method, pattern, name, access level, flags and
 * handler, one line a route. docs/openapi.yaml describes the same routes, and
 * a test checks that the two agree. Handlers live one resource per file.
 * The table is constant; MT safe.
 */
#ifndef SD_API_API_H
#define SD_API_API_H

#include <stddef.h>

#include "http/http.h"

/** The route table; borrowed, static. */
const struct sd_route *sd_api_routes(size_t *n_out);

#endif
