/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Fuzz target: route matching of untrusted method + path against the real
 * API route table. Input: "METHOD PATH" (first space splits). Every match
 * must name a route whose pattern is valid, with parameters that are
 * non-empty single segments.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/mem.h"
#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) {
        return 0;
    }
    char *text = sd_xstrndup((const char *)data, size);
    if (strlen(text) != size) { /* a NUL inside: not an HTTP request line */
        free(text);
        return 0;
    }
    char *sp = strchr(text, ' ');
    const char *method = "GET";
    const char *path = text;
    if (sp != NULL) {
        *sp = '\0';
        method = text;
        path = sp + 1;
    }
    size_t n = 0;
    const struct sd_route *routes = sd_api_routes(&n);
    sd_arena *a = sd_arena_new();
    struct sd_router_match m;
    enum sd_router_result r = sd_router_match(routes, n, method, path, a, &m);
    if (r == SD_ROUTER_OK) {
        SD_ASSERT(sd_router_pattern_valid(m.route->pattern));
        SD_ASSERT(strcmp(m.route->method, method) == 0);
        for (size_t i = 0; i < m.n_params; i++) {
            SD_ASSERT(m.values[i][0] != '\0');
            SD_ASSERT(strchr(m.values[i], '/') == NULL);
        }
    } else if (r == SD_ROUTER_BAD_METHOD) {
        SD_ASSERT(m.allow[0] != '\0');
    }
    sd_arena_free(a);
    free(text);
    return 0;
}
