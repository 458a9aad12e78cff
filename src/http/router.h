/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: matching a method and path against a route table.
 *
 * Patterns are literal segments and `{name}` parameters, one segment each:
 * "/api/v1/tickets/{id}/messages". A parameter matches one non-empty segment.
 * A trailing slash, an empty segment ("//"), "." or ".." never match. When the
 * path matches some route but not with this method, the answer is "method not
 * allowed" with the methods that would be. The table is linear: Showdesk has
 * dozens of routes, not thousands, and a scan of short strings is faster than
 * the hashing a trie would need. Pure, MT safe.
 */
#ifndef SD_HTTP_ROUTER_H
#define SD_HTTP_ROUTER_H

#include <stddef.h>

#include "base/arena.h"
#include "http/http.h"

enum sd_router_result { SD_ROUTER_OK, SD_ROUTER_NOT_FOUND, SD_ROUTER_BAD_METHOD };

struct sd_router_match {
    const struct sd_route *route;
    const char *names[SD_ROUTE_MAX_PARAMS];
    const char *values[SD_ROUTE_MAX_PARAMS]; /* in @a */
    size_t n_params;
    char allow[64]; /* with SD_ROUTER_BAD_METHOD: "GET, POST" */
};

/** Matches @method and @path (no query string); parameter values go into @a. */
enum sd_router_result sd_router_match(const struct sd_route *routes, size_t n_routes,
                                      const char *method, const char *path, sd_arena *a,
                                      struct sd_router_match *out);

/** True when @pattern is well formed (checked for every route at start-up). */
bool sd_router_pattern_valid(const char *pattern);

#endif
