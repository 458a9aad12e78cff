/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Route matching; see router.h. */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

#include "base/banned.h"

/* Next segment of @p (which starts after a '/'); returns its length. */
static size_t seg_len(const char *p)
{
    const char *s = strchr(p, '/');
    return s ? (size_t)(s - p) : strlen(p);
}

static bool path_ok(const char *path)
{
    if (path[0] != '/') {
        return false;
    }
    if (path[1] == '\0') {
        return true;
    }
    const char *p = path + 1;
    for (;;) {
        size_t n = seg_len(p);
        if (n == 0) {
            return false; /* "//" or a trailing slash */
        }
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
            return false;
        }
        if (p[n] == '\0') {
            return true;
        }
        p += n + 1;
    }
}

static bool match_one(const char *pattern, const char *path, sd_arena *a, struct sd_router_match *m)
{
    const char *pp = pattern + 1;
    const char *xp = path + 1;
    size_t n_params = 0;
    if (pattern[1] == '\0' || path[1] == '\0') {
        return pattern[1] == path[1];
    }
    for (;;) {
        size_t pn = seg_len(pp);
        size_t xn = seg_len(xp);
        if (pp[0] == '{') {
            if (xn == 0 || n_params == SD_ROUTE_MAX_PARAMS) {
                return false;
            }
            if (a != NULL) {
                m->names[n_params] = NULL; /* set by the caller from the pattern */
                m->values[n_params] = sd_arena_strndup(a, xp, xn);
            }
            n_params++;
        } else if (pn != xn || memcmp(pp, xp, pn) != 0) {
            return false;
        }
        bool p_end = pp[pn] == '\0';
        bool x_end = xp[xn] == '\0';
        if (p_end || x_end) {
            if (p_end && x_end) {
                m->n_params = n_params;
                return true;
            }
            return false;
        }
        pp += pn + 1;
        xp += xn + 1;
    }
}

/* Fills m->names from the pattern's {name} segments, in the route's storage. */
static void name_params(const char *pattern, sd_arena *a, struct sd_router_match *m)
{
    size_t k = 0;
    for (const char *p = strchr(pattern, '{'); p != NULL && k < m->n_params;
         p = strchr(p + 1, '{')) {
        const char *e = strchr(p, '}');
        if (e == NULL) {
            break;
        }
        m->names[k++] = sd_arena_strndup(a, p + 1, (size_t)(e - p - 1));
    }
}

enum sd_router_result sd_router_match(const struct sd_route *routes, size_t n_routes,
                                      const char *method, const char *path, sd_arena *a,
                                      struct sd_router_match *out)
{
    memset(out, 0, sizeof(*out));
    if (!path_ok(path)) {
        return SD_ROUTER_NOT_FOUND;
    }
    bool path_seen = false;
    size_t allow_len = 0;
    for (size_t i = 0; i < n_routes; i++) {
        struct sd_router_match m;
        memset(&m, 0, sizeof(m));
        if (!match_one(routes[i].pattern, path, NULL, &m)) {
            continue;
        }
        if (strcmp(routes[i].method, method) == 0) {
            (void)match_one(routes[i].pattern, path, a, out);
            out->route = &routes[i];
            name_params(routes[i].pattern, a, out);
            return SD_ROUTER_OK;
        }
        path_seen = true;
        int w = snprintf(out->allow + allow_len, sizeof(out->allow) - allow_len, "%s%s",
                         allow_len ? ", " : "", routes[i].method);
        if (w > 0 && (size_t)w < sizeof(out->allow) - allow_len) {
            allow_len += (size_t)w;
        }
    }
    return path_seen ? SD_ROUTER_BAD_METHOD : SD_ROUTER_NOT_FOUND;
}

bool sd_router_pattern_valid(const char *pattern)
{
    if (!path_ok(pattern)) {
        return false;
    }
    size_t n_params = 0;
    for (const char *p = pattern + 1; *p;) {
        size_t n = seg_len(p);
        if (p[0] == '{') {
            if (n < 3 || p[n - 1] != '}' || ++n_params > SD_ROUTE_MAX_PARAMS) {
                return false;
            }
        } else if (memchr(p, '{', n) != NULL || memchr(p, '}', n) != NULL) {
            return false;
        }
        p += n;
        if (*p == '/') {
            p++;
        }
    }
    return true;
}
