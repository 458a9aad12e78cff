/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: request metrics in Prometheus text format.
 *
 * Counters per route and status, and a latency histogram per route, kept in
 * fixed arrays of atomics sized at start from the route table (plus one slot
 * for requests that matched no route), so observing costs a few relaxed
 * atomic adds and no lock. The database pool gauges come from the store at
 * render time. MT safe.
 */
#ifndef SD_HTTP_METRICS_H
#define SD_HTTP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "http/http.h"

typedef struct sd_metrics sd_metrics;

/** Caller owns the result; @routes are borrowed and must outlive it. */
sd_metrics *sd_metrics_new(const struct sd_route *routes, size_t n_routes);
void sd_metrics_free(sd_metrics *m);
/** Counts a request that has started (its headers are in). */
void sd_metrics_started(sd_metrics *m);
/** Counts one finished request; @route is NULL when none matched. */
void sd_metrics_observe(sd_metrics *m, const struct sd_route *route, int status, uint64_t dur_ns);
/** Appends the exposition text; @store (nullable) adds pool gauges. */
SD_MUST_CHECK sd_status sd_metrics_render(sd_metrics *m, sd_store *store, struct sd_buf *out);

#endif
