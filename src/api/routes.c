/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The route table; see api.h. Keep docs/openapi.yaml in step with it. */
#include "api/api.h"

#include "api/internal.h"
#include "base/banned.h"

#define PUB    SD_ACCESS_PUBLIC
#define AGENT  SD_ACCESS_AGENT
#define ADMIN  SD_ACCESS_ADMIN
#define WIDGET SD_ACCESS_WIDGET
#define JSON   SD_ROUTE_JSON

/* A route whose handler gets the whole body, and one that streams it. */
#define R(method, pattern, name, access, flags, fn)                                                \
    {                                                                                              \
        method, pattern, name, access, flags, fn, NULL                                             \
    }
#define S(method, pattern, name, access, stream)                                                   \
    {                                                                                              \
        method, pattern, name, access, 0, NULL, stream                                             \
    }

static const struct sd_route routes[] = {
    R("GET", "/healthz", "healthz", PUB, 0, sd_api_healthz),
    R("GET", "/readyz", "readyz", PUB, 0, sd_api_readyz),
    R("GET", "/metrics", "metrics", PUB, 0, sd_api_metrics),

    R("POST", "/api/v1/auth/login", "auth.login", PUB, JSON, sd_api_login),
    R("POST", "/api/v1/auth/logout", "auth.logout", AGENT, 0, sd_api_logout),
    R("GET", "/api/v1/auth/me", "auth.me", AGENT, 0, sd_api_me),

    R("GET", "/api/v1/workspace", "workspace.get", AGENT, 0, sd_api_workspace_get),
    R("PATCH", "/api/v1/workspace", "workspace.update", ADMIN, JSON, sd_api_workspace_update),

    R("GET", "/api/v1/agents", "agents.list", AGENT, 0, sd_api_agents_list),
    R("POST", "/api/v1/agents", "agents.create", ADMIN, JSON, sd_api_agents_create),
    R("GET", "/api/v1/agents/{id}", "agents.get", AGENT, 0, sd_api_agents_get),
    R("PATCH", "/api/v1/agents/{id}", "agents.update", AGENT, JSON, sd_api_agents_update),
    R("DELETE", "/api/v1/agents/{id}", "agents.delete", ADMIN, 0, sd_api_agents_delete),

    R("GET", "/api/v1/customers", "customers.list", AGENT, 0, sd_api_customers_list),
    R("POST", "/api/v1/customers", "customers.create", AGENT, JSON, sd_api_customers_create),
    R("GET", "/api/v1/customers/{id}", "customers.get", AGENT, 0, sd_api_customers_get),
    R("PATCH", "/api/v1/customers/{id}", "customers.update", AGENT, JSON, sd_api_customers_update),
    R("DELETE", "/api/v1/customers/{id}", "customers.delete", ADMIN, 0, sd_api_customers_delete),

    R("GET", "/api/v1/keys", "keys.list", ADMIN, 0, sd_api_keys_list),
    R("POST", "/api/v1/keys", "keys.create", ADMIN, JSON, sd_api_keys_create),
    R("DELETE", "/api/v1/keys/{id}", "keys.revoke", ADMIN, 0, sd_api_keys_revoke),

    R("GET", "/api/v1/tickets", "tickets.list", AGENT, 0, sd_api_tickets_list),
    R("POST", "/api/v1/tickets", "tickets.create", WIDGET, JSON, sd_api_tickets_create),
    R("GET", "/api/v1/tickets/{id}", "tickets.get", AGENT, 0, sd_api_tickets_get),
    R("PATCH", "/api/v1/tickets/{id}", "tickets.update", AGENT, JSON, sd_api_tickets_update),
    R("DELETE", "/api/v1/tickets/{id}", "tickets.delete", ADMIN, 0, sd_api_tickets_delete),
    R("GET", "/api/v1/tickets/{id}/messages", "messages.list", AGENT, 0, sd_api_messages_list),
    R("POST", "/api/v1/tickets/{id}/messages", "messages.create", AGENT, JSON,
      sd_api_messages_create),
    R("GET", "/api/v1/tickets/{id}/activity", "activity.list", AGENT, 0, sd_api_activity_list),
    R("POST", "/api/v1/tickets/{id}/deflection", "tickets.deflection", WIDGET, JSON,
      sd_api_tickets_deflection),

    R("GET", "/api/v1/kb/articles", "kb.list", AGENT, 0, sd_api_kb_list),
    R("POST", "/api/v1/kb/articles", "kb.create", AGENT, JSON, sd_api_kb_create),
    R("GET", "/api/v1/kb/articles/{id}", "kb.get", WIDGET, 0, sd_api_kb_get),
    R("PATCH", "/api/v1/kb/articles/{id}", "kb.update", AGENT, JSON, sd_api_kb_update),
    R("DELETE", "/api/v1/kb/articles/{id}", "kb.delete", AGENT, 0, sd_api_kb_delete),
    R("GET", "/api/v1/kb/search", "kb.search", WIDGET, 0, sd_api_kb_search),
    R("GET", "/api/v1/triage/accuracy", "triage.accuracy", AGENT, 0, sd_api_triage_accuracy),
    R("POST", "/api/v1/triage/train", "triage.train", ADMIN, 0, sd_api_triage_train),

    R("OPTIONS", "/api/v1/uploads", "uploads.options", PUB, 0, sd_api_uploads_options),
    S("POST", "/api/v1/uploads", "uploads.create", WIDGET, sd_api_uploads_create),
    R("OPTIONS", "/api/v1/uploads/{id}", "uploads.options", PUB, 0, sd_api_uploads_options),
    R("GET", "/api/v1/uploads/{id}", "uploads.head", WIDGET, 0, sd_api_uploads_head),
    S("PATCH", "/api/v1/uploads/{id}", "uploads.patch", WIDGET, sd_api_uploads_patch),
    R("DELETE", "/api/v1/uploads/{id}", "uploads.delete", WIDGET, 0, sd_api_uploads_delete),
    R("GET", "/api/v1/media/{id}", "media.get", WIDGET, 0, sd_api_media_get),
    R("GET", "/api/v1/media/{id}/transcript", "media.transcript", WIDGET, 0,
      sd_api_media_transcript),
    R("GET", "/api/v1/search", "search", AGENT, 0, sd_api_search),
    R("GET", "/media/{id}/{file}", "media.file", PUB, 0, sd_api_media_file),
};

const struct sd_route *sd_api_routes(size_t *n_out)
{
    *n_out = SD_ARRAY_LEN(routes);
    return routes;
}
