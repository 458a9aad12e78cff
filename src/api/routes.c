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

static const struct sd_route routes[] = {
    {"GET", "/healthz", "healthz", PUB, 0, sd_api_healthz},
    {"GET", "/readyz", "readyz", PUB, 0, sd_api_readyz},
    {"GET", "/metrics", "metrics", PUB, 0, sd_api_metrics},

    {"POST", "/api/v1/auth/login", "auth.login", PUB, JSON, sd_api_login},
    {"POST", "/api/v1/auth/logout", "auth.logout", AGENT, 0, sd_api_logout},
    {"GET", "/api/v1/auth/me", "auth.me", AGENT, 0, sd_api_me},

    {"GET", "/api/v1/workspace", "workspace.get", AGENT, 0, sd_api_workspace_get},
    {"PATCH", "/api/v1/workspace", "workspace.update", ADMIN, JSON, sd_api_workspace_update},

    {"GET", "/api/v1/agents", "agents.list", AGENT, 0, sd_api_agents_list},
    {"POST", "/api/v1/agents", "agents.create", ADMIN, JSON, sd_api_agents_create},
    {"GET", "/api/v1/agents/{id}", "agents.get", AGENT, 0, sd_api_agents_get},
    {"PATCH", "/api/v1/agents/{id}", "agents.update", AGENT, JSON, sd_api_agents_update},
    {"DELETE", "/api/v1/agents/{id}", "agents.delete", ADMIN, 0, sd_api_agents_delete},

    {"GET", "/api/v1/customers", "customers.list", AGENT, 0, sd_api_customers_list},
    {"POST", "/api/v1/customers", "customers.create", AGENT, JSON, sd_api_customers_create},
    {"GET", "/api/v1/customers/{id}", "customers.get", AGENT, 0, sd_api_customers_get},
    {"PATCH", "/api/v1/customers/{id}", "customers.update", AGENT, JSON, sd_api_customers_update},
    {"DELETE", "/api/v1/customers/{id}", "customers.delete", ADMIN, 0, sd_api_customers_delete},

    {"GET", "/api/v1/keys", "keys.list", ADMIN, 0, sd_api_keys_list},
    {"POST", "/api/v1/keys", "keys.create", ADMIN, JSON, sd_api_keys_create},
    {"DELETE", "/api/v1/keys/{id}", "keys.revoke", ADMIN, 0, sd_api_keys_revoke},

    {"GET", "/api/v1/tickets", "tickets.list", AGENT, 0, sd_api_tickets_list},
    {"POST", "/api/v1/tickets", "tickets.create", WIDGET, JSON, sd_api_tickets_create},
    {"GET", "/api/v1/tickets/{id}", "tickets.get", AGENT, 0, sd_api_tickets_get},
    {"PATCH", "/api/v1/tickets/{id}", "tickets.update", AGENT, JSON, sd_api_tickets_update},
    {"DELETE", "/api/v1/tickets/{id}", "tickets.delete", ADMIN, 0, sd_api_tickets_delete},
    {"GET", "/api/v1/tickets/{id}/messages", "messages.list", AGENT, 0, sd_api_messages_list},
    {"POST", "/api/v1/tickets/{id}/messages", "messages.create", AGENT, JSON,
     sd_api_messages_create},
    {"GET", "/api/v1/tickets/{id}/activity", "activity.list", AGENT, 0, sd_api_activity_list},
};

const struct sd_route *sd_api_routes(size_t *n_out)
{
    *n_out = SD_ARRAY_LEN(routes);
    return routes;
}
