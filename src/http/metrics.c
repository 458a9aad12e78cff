/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Prometheus metrics; see metrics.h. */
#include "http/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "base/mem.h"
#include "base/banned.h"

static const int statuses[] = {200, 201, 202, 204, 206, 301, 302, 304, 400, 401, 403,
                               404, 405, 409, 413, 415, 416, 422, 429, 500, 503};
#define N_STATUS (SD_ARRAY_LEN(statuses) + 1) /* last: any other */

static const double bounds_s[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                  0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define N_BUCKETS (SD_ARRAY_LEN(bounds_s) + 1) /* last: +Inf */

struct slot {
    atomic_uint_fast64_t by_status[N_STATUS];
    atomic_uint_fast64_t buckets[N_BUCKETS];
    atomic_uint_fast64_t sum_ns;
};

struct sd_metrics {
    atomic_int_fast64_t in_flight;
    const struct sd_route *routes;
    size_t n_routes;
    struct slot *slots; /* n_routes + 1 */
};

sd_metrics *sd_metrics_new(const struct sd_route *routes, size_t n_routes)
{
    sd_metrics *m = sd_xcalloc(1, sizeof(*m));
    m->routes = routes;
    m->n_routes = n_routes;
    m->slots = sd_xcalloc(n_routes + 1, sizeof(struct slot));
    atomic_init(&m->in_flight, 0);
    for (size_t i = 0; i <= n_routes; i++) {
        for (size_t k = 0; k < N_STATUS; k++) {
            atomic_init(&m->slots[i].by_status[k], 0);
        }
        for (size_t k = 0; k < N_BUCKETS; k++) {
            atomic_init(&m->slots[i].buckets[k], 0);
        }
        atomic_init(&m->slots[i].sum_ns, 0);
    }
    return m;
}

void sd_metrics_free(sd_metrics *m)
{
    if (m == NULL) {
        return;
    }
    free(m->slots);
    free(m);
}

void sd_metrics_started(sd_metrics *m)
{
    atomic_fetch_add_explicit(&m->in_flight, 1, memory_order_relaxed);
}

void sd_metrics_observe(sd_metrics *m, const struct sd_route *route, int status, uint64_t dur_ns)
{
    atomic_fetch_sub_explicit(&m->in_flight, 1, memory_order_relaxed);
    size_t idx = route ? (size_t)(route - m->routes) : m->n_routes;
    if (idx > m->n_routes) {
        idx = m->n_routes;
    }
    struct slot *s = &m->slots[idx];
    size_t k = 0;
    while (k < SD_ARRAY_LEN(statuses) && statuses[k] != status) {
        k++;
    }
    atomic_fetch_add_explicit(&s->by_status[k], 1, memory_order_relaxed);
    double sec = (double)dur_ns / 1e9;
    size_t b = 0;
    while (b < SD_ARRAY_LEN(bounds_s) && sec > bounds_s[b]) {
        b++;
    }
    atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->sum_ns, dur_ns, memory_order_relaxed);
}

static const char *route_name(const sd_metrics *m, size_t i)
{
    return i < m->n_routes ? m->routes[i].name : "unmatched";
}

sd_status sd_metrics_render(sd_metrics *m, sd_store *store, struct sd_buf *out)
{
    sd_status st = sd_buf_puts(out, "# HELP showdesk_http_requests_total HTTP requests by route "
                                    "and status.\n# TYPE showdesk_http_requests_total counter\n");
    for (size_t i = 0; st == SD_OK && i <= m->n_routes; i++) {
        for (size_t k = 0; st == SD_OK && k < N_STATUS; k++) {
            uint64_t v = atomic_load_explicit(&m->slots[i].by_status[k], memory_order_relaxed);
            if (v == 0) {
                continue;
            }
            if (k < SD_ARRAY_LEN(statuses)) {
                st = sd_buf_printf(
                    out, "showdesk_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                    route_name(m, i), statuses[k], (unsigned long long)v);
            } else {
                st = sd_buf_printf(
                    out, "showdesk_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
                    route_name(m, i), (unsigned long long)v);
            }
        }
    }
    if (st == SD_OK) {
        st = sd_buf_puts(out, "# HELP showdesk_http_request_duration_seconds Time from request "
                              "to response, by route.\n"
                              "# TYPE showdesk_http_request_duration_seconds histogram\n");
    }
    for (size_t i = 0; st == SD_OK && i <= m->n_routes; i++) {
        uint64_t total = 0;
        for (size_t b = 0; b < N_BUCKETS; b++) {
            total += atomic_load_explicit(&m->slots[i].buckets[b], memory_order_relaxed);
        }
        if (total == 0) {
            continue;
        }
        uint64_t cum = 0;
        for (size_t b = 0; st == SD_OK && b < N_BUCKETS; b++) {
            cum += atomic_load_explicit(&m->slots[i].buckets[b], memory_order_relaxed);
            if (b < SD_ARRAY_LEN(bounds_s)) {
                st = sd_buf_printf(out,
                                   "showdesk_http_request_duration_seconds_bucket{route=\"%s\","
                                   "le=\"%g\"} %llu\n",
                                   route_name(m, i), bounds_s[b], (unsigned long long)cum);
            } else {
                st = sd_buf_printf(out,
                                   "showdesk_http_request_duration_seconds_bucket{route=\"%s\","
                                   "le=\"+Inf\"} %llu\n",
                                   route_name(m, i), (unsigned long long)cum);
            }
        }
        if (st == SD_OK) {
            st = sd_buf_printf(
                out,
                "showdesk_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                "showdesk_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                route_name(m, i),
                (double)atomic_load_explicit(&m->slots[i].sum_ns, memory_order_relaxed) / 1e9,
                route_name(m, i), (unsigned long long)total);
        }
    }
    if (st == SD_OK) {
        st = sd_buf_printf(out,
                           "# HELP showdesk_http_requests_in_flight Requests received and not "
                           "yet answered.\n"
                           "# TYPE showdesk_http_requests_in_flight gauge\n"
                           "showdesk_http_requests_in_flight %lld\n",
                           (long long)atomic_load_explicit(&m->in_flight, memory_order_relaxed));
    }
    if (st == SD_OK && store != NULL) {
        struct sd_store_stats ps;
        sd_store_stats(store, &ps);
        st = sd_buf_printf(out,
                           "# HELP showdesk_db_pool_connections Size of the database pool.\n"
                           "# TYPE showdesk_db_pool_connections gauge\n"
                           "showdesk_db_pool_connections{driver=\"%s\"} %zu\n"
                           "# HELP showdesk_db_pool_in_use Connections handed out now.\n"
                           "# TYPE showdesk_db_pool_in_use gauge\n"
                           "showdesk_db_pool_in_use %zu\n"
                           "# HELP showdesk_db_pool_waits_total Requests that waited for a "
                           "connection.\n"
                           "# TYPE showdesk_db_pool_waits_total counter\n"
                           "showdesk_db_pool_waits_total %llu\n"
                           "# HELP showdesk_db_pool_timeouts_total Requests that got no "
                           "connection in time.\n"
                           "# TYPE showdesk_db_pool_timeouts_total counter\n"
                           "showdesk_db_pool_timeouts_total %llu\n",
                           sd_store_driver_name(store), ps.n_conns, ps.n_in_use,
                           (unsigned long long)ps.n_waits, (unsigned long long)ps.n_timeouts);
    }
    return st;
}
